"""Move DRF's plain-text tokens (rest_framework.authtoken) into ApiToken, hashed, then drop them.

Existing clients keep their `Authorization: Token <key>`: the key's SHA-256 is what is stored
now, with `AUTH_TOKEN_TTL` to live from this migration on. The plain-text table is dropped,
and authtoken's migration records with it (the app is no longer installed).
"""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.db import migrations
from django.utils import timezone

LEGACY_TABLE = "authtoken_token"


def hash_legacy_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if LEGACY_TABLE not in connection.introspection.table_names():
        return
    ApiToken = apps.get_model("accounts", "ApiToken")
    User = apps.get_model("accounts", "User")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT key, user_id FROM {LEGACY_TABLE}")  # noqa: S608 - a constant
        rows = cursor.fetchall()
    passwords = dict(User.objects.filter(pk__in=[user_id for _, user_id in rows]).values_list("pk", "password"))
    expires_at = timezone.now() + timedelta(seconds=settings.AUTH_TOKEN_TTL)
    ApiToken.objects.bulk_create(
        [
            ApiToken(
                digest=hashlib.sha256(key.encode()).hexdigest(),
                user_id=user_id,
                # frozen copy of apps.accounts.tokens.password_mark
                password_mark=hashlib.sha256(f"brisk-token-mark:{passwords[user_id]}".encode()).hexdigest(),
                expires_at=expires_at,
            )
            for key, user_id in rows
            if user_id in passwords
        ],
        ignore_conflicts=True,
    )
    schema_editor.execute(f"DROP TABLE {LEGACY_TABLE}")
    schema_editor.execute("DELETE FROM django_migrations WHERE app = 'authtoken'")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_api_token")]

    # No way back: the plain-text keys are gone by design.
    operations = [migrations.RunPython(hash_legacy_tokens, migrations.RunPython.noop)]
