from django_tasks import task


@task()
def receipts_annual(run_id: int) -> None:
    from .rendering import render_many
    from .services import receipt_run_execute

    receipt_run_execute(run_id, render_many=render_many)
