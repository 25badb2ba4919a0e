"""The demo's gifts and tax receipts: Les Amis du Quartier may issue receipts; a few donors
gave last year and this year, by cheque, transfer or cash, one gave a tent, one waived her
travel expenses; last year's annual receipts are issued."""

import datetime as dt
import random

from django.utils import timezone
from django_scopes import scope

from essaim.core import demo
from essaim.people.models import Person

from . import services
from .models import Gift, TaxReceipt


def _quartier(context: dict) -> None:
    quartier = context["quartier"]
    presidente, tresorier = context["users"]["presidente"], context["users"]["tresorier"]
    today = timezone.localdate()
    with scope(association=quartier):
        services.fiscal_settings_update(
            association=quartier,
            acting_user=presidente,
            eligible=True,
            category="general_interest",
            signatory_name="Hélène Martin",
            signatory_title="Présidente",
            place="Paris",
        )
        rng = random.Random(11580)
        donors = list(
            Person.objects.filter(association=quartier)
            .exclude(address_line1="")
            .exclude(email="")
            .order_by("id")[5:17]
        )
        last_year = today.year - 1
        for index, person in enumerate(donors):
            for _ in range(rng.choice((1, 1, 2, 3))):
                services.gift_record(
                    association=quartier,
                    acting_user=tresorier,
                    person=person,
                    amount_cents=rng.choice((1500, 2000, 3000, 5000, 10000)),
                    received_on=dt.date(last_year, 1, 1) + dt.timedelta(days=rng.randrange(360)),
                    method=rng.choice(("cheque", "transfer", "cash")),
                )
            if index % 3 == 0:  # this year's gifts, not receipted yet
                services.gift_record(
                    association=quartier,
                    acting_user=tresorier,
                    person=person,
                    amount_cents=rng.choice((2000, 5000)),
                    received_on=max(
                        dt.date(today.year, 1, 1), today - dt.timedelta(days=rng.randrange(60))
                    ),
                    method=rng.choice(("cheque", "transfer")),
                )
        if len(donors) >= 2:
            services.gift_record(
                association=quartier,
                acting_user=tresorier,
                person=donors[0],
                amount_cents=18000,
                received_on=dt.date(last_year, 6, 12),
                nature=Gift.Nature.IN_KIND,
                description="Un barnum de 3 × 6 m pour la fête de quartier",
            )
            services.gift_record(
                association=quartier,
                acting_user=tresorier,
                person=donors[1],
                amount_cents=8640,
                received_on=dt.date(last_year, 9, 20),
                nature=Gift.Nature.EXPENSES,
                description="Trajets en voiture pour la collecte de la brocante (240 km)",
            )
        # Last year's annual receipts, as the treasurer issued them in January; then one
        # receipt for a gift of this year.
        for group in _groups(quartier, last_year):
            services.receipt_issue(
                association=quartier,
                acting_user=tresorier,
                gifts=group,
                kind=TaxReceipt.Kind.ANNUAL,
                images=(None, None),
            )
        recent = Gift.objects.filter(association=quartier, received_on__year=today.year).first()
        if recent is not None:
            services.receipt_issue(
                association=quartier, acting_user=tresorier, gifts=[recent], images=(None, None)
            )


def _groups(association, year: int) -> list[list[Gift]]:
    from . import selectors

    return [
        list(Gift.objects.filter(pk__in=ids).select_related("payment", "person"))
        for ids in selectors.annual_groups(association, year)
    ]


demo.register("fundraising", _quartier, order=30)
