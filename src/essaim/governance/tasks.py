from django_scopes import scope, scopes_disabled
from django_tasks import task


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
