"""Make sure PostgreSQL and Redis answer, starting them if this machine has them and they are down.

Exit status: 0 both reachable; 3 unreachable (the caller may fall back to the
embedded default); 1 unreachable while CI is set (CI must not fall back).
"""
# ruff: noqa: S603, S607 - fixed argument lists of the machine's own service commands, no shell

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from django.core.management.base import BaseCommand

START_TIMEOUT_SECONDS = 20


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _start_postgres() -> None:
    versions = sorted(p.name for p in Path("/etc/postgresql").glob("*")) if Path("/etc/postgresql").exists() else []
    if versions and shutil.which("pg_ctlcluster"):
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"],
            check=False,
            capture_output=True,
        )


def _start_redis(port: int) -> None:
    if shutil.which("redis-server"):
        subprocess.run(
            [
                "redis-server",
                "--daemonize",
                "yes",
                "--bind",
                "127.0.0.1",
                "--port",
                str(port),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            check=False,
            capture_output=True,
        )


def _wait(host: str, port: int) -> bool:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if _reachable(host, port):
            return True
        time.sleep(0.3)
    return False


class Command(BaseCommand):
    help = "Ensure PostgreSQL (DATABASE_URL) and Redis (REDIS_URL) answer; start local ones that are down."

    def handle(self, *args: Any, **options: Any) -> None:
        missing = []
        db = urlparse(os.environ.get("DATABASE_URL", ""))
        redis = urlparse(os.environ.get("REDIS_URL", ""))
        local = {"127.0.0.1", "localhost"}
        if db.scheme.startswith("postgres"):
            host, port = db.hostname or "127.0.0.1", db.port or 5432
            if not _reachable(host, port):
                if host in local:
                    _start_postgres()
                if not _wait(host, port):
                    missing.append(f"PostgreSQL at {host}:{port}")
        if redis.scheme.startswith("redis"):
            host, port = redis.hostname or "127.0.0.1", redis.port or 6379
            if not _reachable(host, port):
                if host in local:
                    _start_redis(port)
                if not _wait(host, port):
                    missing.append(f"Redis at {host}:{port}")
        if not missing:
            return
        message = "unreachable: " + ", ".join(missing)
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            self.stderr.write(f"{message} (CI is set, so no fallback to the embedded default)")
            sys.exit(1)
        self.stderr.write(message)
        sys.exit(3)
