from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "apps.jobs"
    label = "jobs"

    def ready(self) -> None:
        # the registry of @internal functions, filled at start-up (apps.jobs.internal); their
        # rows are made by `manage.py jobs_sync_internal` (`make migrate`), or on first use
        from apps.jobs import internal_jobs  # noqa: F401
