"""What is due by SEPA direct debit, asked of the apps that are owed money.

The payments app builds the batches (mandates.debit_batch_create) but does not know what
is owed: a monthly gift, a gift promised on a campaign page, dues. Each app registers a
source, a function `(association, collection_date) -> list[DueDebit]`, in its AppConfig.ready;
the « Prélèvements » screen lists what every source says is due on that day, and the
treasurer builds the batch from it.

A DueDebit's key is its idempotency key (`recurring:<uuid>:2026-12`, `intent:<uuid>`): the
Payment recorded for it carries the key, so a debit is never built twice, and when its
status changes (`payment_status_changed`) the owing app finds what it was for by the key.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from essaim.core.models import Association

from .models import Mandate, Payment


@dataclass(frozen=True)
class DueDebit:
    mandate: Mandate
    amount_cents: int
    remittance: str  # printed on the debtor's bank statement (≤ 140 characters)
    key: str  # idempotency key: one debit per key, ever
    label: str  # what the treasurer sees: "Don mensuel — décembre 2026"

    def item(self) -> tuple[Mandate, int, str, str]:
        """The (mandate, amount, remittance, key) that debit_batch_create takes."""
        return (self.mandate, self.amount_cents, self.remittance, self.key)


Source = Callable[[Association, dt.date], list[DueDebit]]
_SOURCES: dict[str, Source] = {}


def register(name: str, source: Source) -> None:
    """Register (or replace, on reload) the source called `name`."""
    _SOURCES[name] = source


def unregister(name: str) -> None:
    """Forget the source called `name` (a test's own source, once the test is over)."""
    _SOURCES.pop(name, None)


def due_debits(association: Association, collection_date: dt.date) -> list[DueDebit]:
    """Everything due on `collection_date` by every source, without the keys already
    debited in an earlier batch, one debit per mandate (the first source's), in a stable
    order (the sources' names, then their own order)."""
    found: list[DueDebit] = []
    for name in sorted(_SOURCES):
        found.extend(_SOURCES[name](association, collection_date))
    keys = {debit.key for debit in found}
    used = set(
        Payment.objects.filter(association=association, idempotency_key__in=keys).values_list(
            "idempotency_key", flat=True
        )
    )
    due: list[DueDebit] = []
    mandates: set[int] = set()
    for debit in found:
        if debit.key in used or debit.mandate.pk in mandates:
            continue
        mandates.add(debit.mandate.pk)
        due.append(debit)
    return due
