"""Send mailings from the command line: what `manage.py worker` does through its tasks, for
a machine that prefers a dedicated sender (and for the mailing_send benchmark).

    manage.py mailing_send                 # start the due mailings, send until none is left
    manage.py mailing_send --mailing UUID  # that one only
    manage.py mailing_send --loop          # keep watching for due mailings

Killing it (even with SIGKILL) loses nothing and sends nobody twice: the next run waits for
the dead run's lease to expire (sending.LEASE_SECONDS), recovers its rows and goes on.
"""

import time

from django.core.management.base import BaseCommand
from django_scopes import scopes_disabled

from essaim.communication.mailings import mailing_start
from essaim.communication.models import Mailing
from essaim.communication.sending import send_mailing
from essaim.communication.tasks import dispatch


class Command(BaseCommand):
    help = "Start the due mailings and send them (resumes after a crash)."

    def add_arguments(self, parser):
        parser.add_argument("--mailing", help="UUID of one mailing")
        parser.add_argument("--loop", action="store_true", help="keep running")
        parser.add_argument("--rate", type=int, help="messages per minute (overrides settings)")
        parser.add_argument("--batch", type=int, default=200)

    def _ids(self, options) -> list[int]:
        if options["mailing"]:
            with scopes_disabled():
                row = Mailing.objects.filter(uuid=options["mailing"]).first()
            if row is None:
                self.stderr.write("Unknown mailing.")
                return []
            return (
                [row.pk] if row.status in (Mailing.Status.SCHEDULED, Mailing.Status.SENDING) else []
            )
        return dispatch()

    def handle(self, *args, **options):
        while True:
            ids = self._ids(options)
            busy = False
            for mailing_id in ids:
                mailing_start(mailing_id)
                figures = send_mailing(mailing_id, rate=options["rate"], batch=options["batch"])
                busy = busy or figures["outcome"] in ("busy", "more")
                self.stdout.write(f"mailing {mailing_id}: {figures}")
            if not options["loop"] and not busy:
                return
            time.sleep(2 if busy else 10)
