"""Signals of payments: the apps that payments pay for (members, fundraising, events) react
to a payment without payments knowing them (DESIGN.md, "Dependencies point one way")."""

from django.dispatch import Signal

# Sent inside the transaction that records a payment (previous=None) or changes its status.
# Arguments: association, payment (Payment), previous (the former status or None),
# acting_user (None for a provider event or a background job).
# A receiver that must not run when the transaction rolls back uses transaction.on_commit.
payment_status_changed = Signal()
