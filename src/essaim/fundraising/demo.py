"""The demo's gifts and tax receipts: Les Amis du Quartier may issue receipts; a few donors
gave last year and this year, by cheque, transfer or cash, one gave a tent, one waived her
travel expenses; last year's annual receipts are issued.

Its campaign "Un toit pour la maison de quartier" is published: donors gave on its page by
SEPA direct debit through share links (newsletter, Facebook, QR code on the flyer), one gives
every month, one gift still waits for the next batch."""

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


# (share link, amount in cents, every month, debit already collected)
CAMPAIGN_GIFTS = (
    ("newsletter", 5000, False, True),
    ("newsletter", 10000, False, True),
    ("facebook", 2000, False, True),
    ("facebook", 3000, False, True),
    ("qr", 5000, False, True),
    ("", 20000, False, True),
    ("newsletter", 1500, True, True),
    ("facebook", 5000, False, False),
)


def _campaign(context: dict) -> None:
    from essaim.payments import mandates
    from essaim.payments import services as payment_services

    from . import campaigns, donations, recurring

    quartier = context["quartier"]
    tresorier = context["users"]["tresorier"]
    today = timezone.localdate()
    with scope(association=quartier):
        if mandates.creditor_settings_of(quartier) is None:
            mandates.creditor_settings_save(
                association=quartier,
                acting_user=tresorier,
                creditor_name="Les Amis du Quartier",
                creditor_id="FR72ZZZ123456",
                iban="FR1420041010050500013M02606",
                prenotification_days=5,
            )
        campaign = campaigns.campaign_create(
            association=quartier,
            acting_user=tresorier,
            slug="toit-maison-de-quartier",
            title="Un toit pour la maison de quartier",
            summary="Le toit de la maison de quartier fuit : aidez-nous à le refaire avant "
            "l'hiver.",
            story="Depuis trois hivers, il pleut dans la grande salle où se retrouvent l'aide "
            "aux devoirs, la chorale et le repas partagé du jeudi.\n\nLe couvreur a chiffré "
            "la réfection à 12 000 €. La mairie en prend la moitié : il nous manque 6 000 €.",
            goal_cents=600_000,
            starts_on=today - dt.timedelta(days=30),
            ends_on=today + dt.timedelta(days=45),
            suggested_amounts=[2000, 5000, 10000],
            thank_you_message="Grâce à vous, la grande salle restera au sec cet hiver. Merci !",
        )
        campaign = campaigns.campaign_publish(
            association=quartier, acting_user=tresorier, campaign=campaign
        )
        donors = list(
            Person.objects.filter(association=quartier)
            .exclude(address_line1="")
            .exclude(email="")
            .exclude(postcode="")
            .order_by("id")[20 : 20 + len(CAMPAIGN_GIFTS)]
        )
        for person, (source, amount, monthly, collected) in zip(
            donors, CAMPAIGN_GIFTS, strict=False
        ):
            intent = donations.donation_start(
                association=quartier,
                campaign=campaign,
                amount_cents=amount,
                method="sepa_debit",
                monthly=monthly,
                source=source,
                contact={
                    name: getattr(person, name)
                    for name in (
                        "first_name",
                        "last_name",
                        "email",
                        "address_line1",
                        "address_line2",
                        "postcode",
                        "city",
                    )
                },
                news=True,
                iban="FR7630006000011234567890189",
                account_holder=person.full_name,
                mandate_accepted=True,
            )
            if not collected:
                continue
            key = (
                recurring.recurring_key(intent.recurring, today)
                if monthly
                else donations.intent_key(intent)
            )
            # The debit collected: the payment succeeds and the gift is recorded (signals).
            payment_services.payment_record(
                association=quartier,
                acting_user=tresorier,
                amount_cents=amount,
                method="sepa_debit",
                paid_on=today - dt.timedelta(days=3),
                payer_name=person.full_name[:70],
                idempotency_key=key,
            )


demo.register("fundraising", _quartier, order=30)
demo.register("fundraising_campaign", _campaign, order=31)
