"""Load demo data: the demo logins, then each app's `demo.seed_demo(stdout=...)` if it has one.

Idempotent: running it twice leaves the same data.
"""

from __future__ import annotations

import os
from importlib import import_module
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from apps.accounts.services import demo_users_ensure

DEMO_PASSWORD = "brisk-demo"  # noqa: S105 - printed on purpose: demo logins only


class Command(BaseCommand):
    help = "Load idempotent demo data for every app and print the demo logins."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            users = demo_users_ensure(password=DEMO_PASSWORD)
        for config in apps.get_app_configs():
            if not config.name.startswith("apps."):
                continue
            try:
                module = import_module(f"{config.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.demo":
                    raise
                continue
            with transaction.atomic():
                module.seed_demo(users=users, stdout=self.stdout)
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for user in users.values():
            role = "superuser" if user.is_superuser else "user"
            self.stdout.write(f"  {user.username:<8} {role}")
        # `make run` serves on $HOST:$PORT and passes both here, so the links are the real ones.
        base = f"http://{os.environ.get('HOST') or '127.0.0.1'}:{os.environ.get('PORT') or '8000'}"
        self.stdout.write(f"Start page: {base}/  Admin: {base}/admin/  API docs: {base}/api/docs/")
