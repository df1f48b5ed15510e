"""Migration 0007 moves every existing project into a workspace per creator, on PostgreSQL
and on SQLite (the embedded default)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.db import connection

from tests.liveserver import ROOT
from tests.projects import workspace_migration


@pytest.mark.django_db(transaction=True)
def test_the_workspace_migration_on_the_test_database():
    try:
        workspace_migration.run(connection)
    finally:
        from django.db.migrations.executor import MigrationExecutor

        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())  # never leave the database behind


SCRIPT = """
import django
django.setup()
from django.db import connection
from tests.projects import workspace_migration
workspace_migration.run(connection)
print("migration ok")
"""


@pytest.mark.django_db  # no query runs here; the session fixtures expect the test database
def test_the_workspace_migration_on_sqlite(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("REDIS_URL", "DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'brisk.sqlite3'}", DJANGO_SETTINGS_MODULE="config.settings")
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "migration ok" in result.stdout
