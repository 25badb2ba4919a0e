"""Signals core sends so that apps above it can react without core knowing them."""

from django.dispatch import Signal

# Sent inside the transaction that gives a user a seat in an association's team.
# Arguments: association, assignment (RoleAssignment), acting_user.
seat_created = Signal()
