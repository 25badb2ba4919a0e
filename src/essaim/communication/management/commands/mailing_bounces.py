"""Read bounce reports (DSN, RFC 3464) and complaints (ARF, RFC 5965).

    manage.py mailing_bounces < message.eml           # one raw message on stdin (MTA pipe)
    manage.py mailing_bounces --maildir ~/Maildir     # every message of a maildir's new/ cur/

A message that is not a report (an out-of-office reply, a person answering) is reported and
changes nothing. With --maildir, handled messages are removed when --delete is given.
"""

import mailbox
import sys

from django.core.management.base import BaseCommand, CommandError

from essaim.communication.bounces import NotAReport, report_receive


class Command(BaseCommand):
    help = "Record bounces and complaints from raw messages (stdin or a maildir)."

    def add_arguments(self, parser):
        parser.add_argument("--maildir")
        parser.add_argument("--delete", action="store_true")

    def _one(self, raw: bytes, label: str) -> bool:
        try:
            outcomes = report_receive(raw)
        except NotAReport as error:
            self.stderr.write(f"{label}: not a bounce or complaint report ({error}); nothing done.")
            return False
        self.stdout.write(f"{label}: {', '.join(outcomes)}")
        return True

    def handle(self, *args, **options):
        if options["maildir"]:
            box = mailbox.Maildir(options["maildir"], factory=None, create=False)
            for key in list(box.keys()):
                if self._one(box.get_bytes(key), key) and options["delete"]:
                    box.remove(key)
            return
        raw = sys.stdin.buffer.read()
        if not raw.strip():
            raise CommandError("No message on standard input.")
        if not self._one(raw, "stdin"):
            raise CommandError("Not a bounce or complaint report.")
