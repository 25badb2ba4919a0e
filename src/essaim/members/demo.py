"""The demo's memberships: dues, members who paid, who did not, a household, last year's."""

import datetime as dt
import random

from django.utils import timezone
from django_scopes import scope

from essaim.core import demo
from essaim.payments import services as payment_services
from essaim.people import services as people_services
from essaim.people.models import Person

from . import services
from .models import DuesPayment, Membership

PAYMENT_INSTRUCTIONS = (
    "Par chèque à l'ordre des Amis du Quartier, déposé dans la boîte aux lettres du 12 rue "
    "Saint-Maur, ou par virement (IBAN FR76 3000 4000 0312 3456 7890 143, en indiquant votre "
    "nom). En espèces lors des permanences du samedi matin."
)


def _quartier(context: dict) -> None:
    quartier, presidente = context["quartier"], context["users"]["presidente"]
    tresorier = context["users"]["tresorier"]
    with scope(association=quartier):
        services.membership_settings_update(
            association=quartier,
            acting_user=presidente,
            join_enabled=True,
            join_intro=(
                "Rejoignez les habitants qui font vivre le quartier Saint-Ambroise : fête de "
                "quartier, jardin partagé, coups de main entre voisins."
            ),
            payment_instructions=PAYMENT_INSTRUCTIONS,
            statutes_url="https://amis-du-quartier.example/statuts.pdf",
        )
        annual = services.membership_type_create(
            association=quartier,
            acting_user=presidente,
            name="Adhésion annuelle",
            description="Pour une personne, du 1er janvier au 31 décembre.",
            amount_cents=2000,
            reduced_amount_cents=1000,
            reduced_label="étudiants, demandeurs d'emploi, bénéficiaires des minima sociaux",
        )
        family = services.membership_type_create(
            association=quartier,
            acting_user=presidente,
            name="Adhésion famille",
            description="Tout le foyer, une seule cotisation.",
            amount_cents=3500,
            is_household=True,
            max_household_size=6,
            position=1,
        )
        today = timezone.localdate()
        rng = random.Random(75011)
        persons = list(Person.objects.filter(association=quartier).order_by("id"))
        # Germaine Lebrun and Lucien Ferrand live together: one household membership.
        couple = [p for p in persons if p.last_name in ("Lebrun", "Ferrand") and not p.email]
        others = [p for p in persons if p not in couple]
        # Last year, then this year: most renewed, a few did not (they show as expired).
        last_year = dt.date(today.year - 1, 3, 1)
        for person in others[:30]:
            membership = services.membership_create(
                association=quartier,
                acting_user=presidente,
                person=person,
                membership_type=annual,
                start_on=last_year,
                rate="reduced" if rng.random() < 0.2 else "normal",
            )
            services.dues_payment_record(
                association=quartier,
                acting_user=tresorier,
                memberships=[membership],
                method=rng.choice(["cheque", "cash", "transfer"]),
                paid_on=last_year + dt.timedelta(days=rng.randrange(0, 60)),
            )
            if rng.random() < 0.85:
                renewal = services.membership_renew(
                    association=quartier, acting_user=presidente, membership=membership
                )
                if rng.random() < 0.75 and renewal.period_start <= today:
                    services.dues_payment_record(
                        association=quartier,
                        acting_user=tresorier,
                        memberships=[renewal],
                        method=rng.choice(["cheque", "cash", "transfer"]),
                        paid_on=min(
                            today, renewal.period_start + dt.timedelta(days=rng.randrange(0, 90))
                        ),
                    )
        if len(couple) == 2:
            people_services.person_update(
                association=quartier,
                acting_user=presidente,
                person=couple[1],
                address_line1=couple[0].address_line1,
            )
            household = services.household_membership_create(
                association=quartier,
                acting_user=presidente,
                persons=couple,
                membership_type=family,
                name="Foyer Lebrun-Ferrand",
            )
            services.dues_payment_record(
                association=quartier,
                acting_user=tresorier,
                memberships=household[:1],
                method="cheque",
                reference="0004521",
            )


def _velo(context: dict) -> None:
    velo, coordinator = context["velo"], context["users"]["velo"]
    with scope(association=velo):
        services.membership_settings_update(
            association=velo,
            acting_user=coordinator,
            join_enabled=True,
            approval_required=False,
            payment_instructions="Par carte ou en espèces à l'atelier, ou par virement.",
        )
        season = services.membership_type_create(
            association=velo,
            acting_user=coordinator,
            name="Adhésion saison",
            description="De septembre à août : accès aux ateliers et à la vélo-école.",
            amount_cents=1500,
            reduced_amount_cents=500,
            reduced_label="personnes en insertion, étudiants",
            period_kind="season",
            season_start_month=9,
        )
        services.membership_type_create(
            association=velo,
            acting_user=coordinator,
            name="Adhésion de soutien",
            price_kind="sliding",
            amount_cents=3000,
            min_amount_cents=1000,
            position=1,
        )
        # 1,200 members of the season, created in bulk (the demo must load in seconds).
        period = season.period_for(timezone.localdate())
        rng = random.Random(69)
        rows = []
        for person in Person.objects.filter(association=velo).order_by("id")[:1200]:
            paid = rng.random() < 0.85
            reduced = rng.random() < 0.3
            rows.append(
                Membership(
                    association=velo,
                    person=person,
                    sort_name=person.sort_name,
                    membership_type=season,
                    period_start=period.start,
                    period_end=period.end,
                    grace_until=period.end + dt.timedelta(days=30),
                    rate="reduced" if reduced else "normal",
                    amount_due_cents=500 if reduced else 1500,
                    paid_on=min(
                        timezone.localdate(), period.start + dt.timedelta(days=rng.randrange(45))
                    )
                    if paid
                    else None,
                    approved_at=timezone.now(),
                    source=Membership.Source.IMPORT,
                )
            )
        # One payment per member, as at the workshop's desk (bulk: the demo loads in seconds).
        paid_rows = [row for row in rows if row.paid_on]
        payments = DuesPayment.objects.bulk_create(
            [
                DuesPayment(
                    association=velo,
                    amount_cents=row.amount_due_cents,
                    method=rng.choice(["cash", "card", "transfer"]),
                    paid_on=row.paid_on,
                    note="Permanences de la rentrée (démo)",
                )
                for row in paid_rows
            ],
            batch_size=500,
        )
        ledger = payment_services.payment_record_many(
            association=velo,
            acting_user=coordinator,
            rows=[
                {
                    "amount_cents": dues.amount_cents,
                    "method": dues.method,
                    "paid_on": dues.paid_on,
                    "person_id": row.person_id,
                    "payer_name": row.person.full_name,
                }
                for row, dues in zip(paid_rows, payments, strict=True)
            ],
        )
        for dues, money in zip(payments, ledger, strict=True):
            dues.payment = money
        DuesPayment.objects.bulk_update(payments, ["payment"], batch_size=500)
        for row, payment in zip(paid_rows, payments, strict=True):
            row.payment = payment
        Membership.objects.bulk_create(rows, batch_size=500)


def load(context: dict) -> None:
    _quartier(context)
    _velo(context)


demo.register("members", load, order=20)
