"""Keep each membership's copy of its person's sort key and erasure in step with the person."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from essaim.payments.models import Payment
from essaim.payments.signals import payment_status_changed
from essaim.people.models import Person

from . import cache as member_cache
from .models import DuesPayment, Membership


@receiver(post_save, sender=Person)
def follow_person_name(sender, instance: Person, update_fields=None, **kwargs):
    if update_fields is not None and not {"sort_name", "erased_at"} & set(update_fields):
        return
    erased = instance.erased_at is not None
    # _base_manager: a person saved outside any tenant scope (retention job, merge) still
    # updates its memberships; the filter on the person keeps it to one association.
    updated = (
        Membership._base_manager.filter(person_id=instance.pk)
        .exclude(sort_name=instance.sort_name, person_erased=erased)
        .update(sort_name=instance.sort_name, person_erased=erased)
    )
    if updated:  # the cached counts leave out erased persons
        member_cache.changed(association_id=instance.association_id)


@receiver(payment_status_changed)
def dues_follow_their_money(sender, association, payment, previous, acting_user=None, **kwargs):
    """A bounced cheque, a returned debit, a refund: the dues it paid are unpaid again."""
    if payment.status not in (
        Payment.Status.FAILED,
        Payment.Status.REFUNDED,
        Payment.Status.CANCELLED,
    ):
        return
    dues = DuesPayment._base_manager.filter(payment=payment).first()
    if dues is not None:
        from .services import dues_payment_unlink

        dues_payment_unlink(association=association, acting_user=acting_user, payment=dues)
