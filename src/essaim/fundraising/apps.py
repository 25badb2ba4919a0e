from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FundraisingConfig(AppConfig):
    name = "essaim.fundraising"
    label = "fundraising"
    verbose_name = _("Gifts and tax receipts")

    def ready(self) -> None:
        from essaim.payments import debit_sources

        from . import (  # noqa: F401
            demo,
            donations,
            privacy_entries,
            receivers,
            recurring,
            registrations,
            tasks,
        )

        # What is due by SEPA direct debit: one-off gifts promised on a campaign's page, and
        # each month's debit of the monthly gifts.
        debit_sources.register("fundraising.gifts", donations.intents_due)
        debit_sources.register("fundraising.monthly_gifts", recurring.recurring_due)
