from django_scopes import scope, scopes_disabled
from django_tasks import task

from essaim.core import scheduler


@task()
def convocations_send(assembly_id: int) -> int:
    """Convene the members not convened yet (idempotent: may run twice)."""
    from .models import Assembly
    from .services import convocations_send as send

    with scopes_disabled():
        assembly = Assembly.objects.select_related("association").filter(pk=assembly_id).first()
    if assembly is None:
        return 0
    with scope(association=assembly.association):
        return send(assembly)


@task()
def decisions_tick() -> dict:
    """Close the decisions whose deadline passed, remind those who have not answered."""
    from .decisions import decisions_close_due, decisions_remind

    return {"closed": decisions_close_due(), "reminded": decisions_remind()}


@task()
def governance_digests() -> int:
    """The day's (or week's) summary e-mails of consultations and decisions."""
    from .digests import digests_send

    return digests_send()


scheduler.register("governance_decisions_tick", decisions_tick, minutes=15)
scheduler.register("governance_digests", governance_digests, minutes=24 * 60)
