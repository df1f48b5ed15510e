"""Background work of interview practice (Celery; eager in the embedded default)."""

from celery import shared_task

from apps.interviews.services import operation_run


@shared_task(name="apps.interviews.tasks.run_operation")
def run_operation(operation_id: int) -> str | None:
    """Generate a question or feedback for one Operation; the outcome is on the row and announced."""
    op = operation_run(operation_id=operation_id)
    return None if op is None else op.status
