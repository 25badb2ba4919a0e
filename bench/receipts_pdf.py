"""receipts_pdf: 10,000 annual tax receipts drawn as PDFs and stored.

Quality bar (issue 4): 10,000 annual receipts generated as PDFs in under 2 minutes on this
2-core machine. Measured: one annual run (`fundraising.services.receipt_run_execute`, what the
background task does) over 10,000 donors with one to four gifts each, on PostgreSQL: numbers
taken without gaps, PDFs drawn by the rendering pool, stored with their SHA-256, gifts linked;
e-mails to donors off (that is the outbox's work, measured elsewhere).
"""

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from essaim.fundraising import rendering, services
from essaim.fundraising.models import Gift, ReceiptCounter, ReceiptRun, TaxReceipt
from essaim.payments.models import Payment
from essaim.people.models import Person

from . import data
from .harness import Context, Result, Stopwatch, out
from .registry import register

TARGET_SECONDS = 120.0
DONORS = 10_000
SPEC = data.Spec("bench-dons", "Bench — Les Donateurs", DONORS, seed=11580)


def _prepare(association, user) -> int:
    """Gifts of last year for the 10,000 contacts (kept between runs); receipts removed."""
    year = timezone.localdate().year - 1
    with scope(association=association):
        TaxReceipt.objects.filter(association=association).delete()
        ReceiptCounter.objects.filter(association=association).delete()
        ReceiptRun.objects.filter(association=association).delete()
        if Gift.objects.filter(association=association).count() >= DONORS:
            return year
        with transaction.atomic():
            Gift.objects.filter(association=association).delete()
            Payment.objects.filter(association=association).delete()
            rng = random.Random(11580)
            persons = list(Person.objects.filter(association=association).order_by("id"))
            payments, gifts = [], []
            for person in persons:
                if not person.address_line1:
                    person.address_line1 = f"{rng.randint(1, 120)} rue de la République"
                for _ in range(rng.choice((1, 1, 2, 4))):
                    day = dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(365))
                    amount = rng.choice((1000, 2000, 3000, 5000, 10000, 15000))
                    payment = Payment(
                        association=association,
                        amount_cents=amount,
                        method=rng.choice(("cheque", "transfer", "card_online", "cash")),
                        status="succeeded",
                        paid_on=day,
                        person=person,
                        payer_name=person.full_name[:200],
                    )
                    payments.append(payment)
                    gifts.append(
                        Gift(
                            association=association,
                            person=person,
                            amount_cents=amount,
                            received_on=day,
                            payment=payment,
                        )
                    )
            Person.objects.bulk_update(persons, ["address_line1"], batch_size=2000)
            Payment.objects.bulk_create(payments, batch_size=2000)
            for gift in gifts:
                gift.payment_id = gift.payment.pk
            Gift.objects.bulk_create(gifts, batch_size=2000)
        services.fiscal_settings_update(
            association=association,
            acting_user=user,
            eligible=True,
            signatory_name="Hélène Martin",
            signatory_title="Présidente",
            place="Paris",
        )
    with scopes_disabled():
        association.rna = "W751234567"
        association.address_line1 = "12 rue Saint-Maur"
        association.save()
    return year


@register(
    "receipts_pdf",
    target=TARGET_SECONDS,
    unit="s",
    description="10,000 annual tax receipts drawn as PDFs and stored",
)
def receipts_pdf(context: Context) -> Result:
    context.warn_if_not_postgresql()
    user = data.bench_user()
    association, _generated = data.ensure(SPEC, user)
    with Stopwatch() as preparing:
        year = _prepare(association, user)
    out(f"Gifts of {year} ready in {preparing.seconds:.1f} s.")
    with scope(association=association):
        run = ReceiptRun.objects.create(association=association, year=year, send_emails=False)
    out(f"Drawing with {rendering.processes()} processes (ESSAIM_RECEIPT_PROCESSES).")
    with Stopwatch() as watch:
        services.receipt_run_execute(run.pk, render_many=rendering.render_many)
    run.refresh_from_db()
    with scope(association=association):
        sequences = list(
            TaxReceipt.objects.filter(association=association)
            .order_by("sequence")
            .values_list("sequence", flat=True)
        )
    gap_free = sequences == list(range(1, len(sequences) + 1))
    per = watch.seconds / max(run.issued, 1) * 1000
    out(
        f"{run.issued:,} receipts in {watch.seconds:.1f} s ({per:.1f} ms each), target "
        f"< {TARGET_SECONDS:.0f} s; numbers 1 to {len(sequences):,} "
        f"{'without a gap' if gap_free else 'WITH GAPS'}; skipped: {len(run.skipped)}."
    )
    ok = run.status == "done" and run.issued >= DONORS and gap_free
    ok = ok and watch.seconds < TARGET_SECONDS
    return Result(name="receipts_pdf", value=watch.seconds, unit="s", target=TARGET_SECONDS, ok=ok)
