import pytest


@pytest.fixture(autouse=True)
def _celery_runs_here():
    """Operations run for real, in this process (a worker's `apply`), when their transaction
    commits: the tests capture on_commit callbacks and execute them."""
    from config.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before
