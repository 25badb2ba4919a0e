"""`manage.py load_demo`: the demo (two associations, their teams, contacts, members…).

Every app adds its part through core.demo. Idempotent: a second run finds the demo and
changes nothing.
"""

from django.core.management.base import BaseCommand
from django.db import transaction
from django_scopes import scopes_disabled

from essaim.core import demo
from essaim.core.models import Association

DEMO_SLUG = "amis-du-quartier"


class Command(BaseCommand):
    help = "Load the demo: two associations, their teams, contacts and members."

    def handle(self, *args, **options):
        with scopes_disabled():
            if Association.objects.filter(slug=DEMO_SLUG).exists():
                self.stdout.write("Demo data already loaded: nothing to do.")
                return
            context: dict = {}
            with transaction.atomic():
                for loader in demo.loaders():
                    loader.load(context)
                    self.stdout.write(f"  {loader.name}: loaded")
        self.stdout.write(self.style.SUCCESS("Demo loaded. Logins are listed in README.md."))
