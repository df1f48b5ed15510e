from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from apps.core import db, profiling, strict

        # Every new database connection gets the query-counting wrapper once.
        connection_created.connect(profiling.install_query_wrapper, dispatch_uid="brisk-query-wrapper")
        # String fields take strings only, as the OpenAPI description says (apps.core.strict).
        strict.install()
        # timestamptz parsed by psycopg's C loader, not Django's pure-Python one (apps.core.db)
        db.install_fast_timestamptz_loader()
