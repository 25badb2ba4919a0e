"""Background work of imports. Tasks take ids, re-enter the tenant scope, and may run twice:
a check of an outdated mapping stops by itself, an import claimed by another worker is left
to it, an interrupted one resumes after its last complete chunk."""

from django_scopes import scope, scopes_disabled
from django_tasks import task

from ..models import ImportJob
from . import engine


def _association(job_id: int):
    with scopes_disabled():
        job = ImportJob.objects.select_related("association").filter(pk=job_id).first()
    return job.association if job else None


@task()
def membership_import_analyse(job_id: int, revision: int) -> str:
    association = _association(job_id)
    if association is None:
        return "deleted"
    with scope(association=association):
        return engine.analyse(job_id, revision)


@task()
def membership_import_run(job_id: int) -> str:
    association = _association(job_id)
    if association is None:
        return "deleted"
    with scope(association=association):
        return engine.execute(job_id)
