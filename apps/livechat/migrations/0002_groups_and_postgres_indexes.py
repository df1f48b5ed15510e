"""The "Agents" and "Supervisors" groups with their permissions, and the PostgreSQL-only indexes.

The permissions are made here (post_migrate makes them only after every migration ran).
The GIN index on `payload` and the full-text index on `content` exist on PostgreSQL only:
the embedded SQLite default has neither (message search falls back to a contains match).
"""

from django.db import migrations

PG_INDEXES = [
    ("lc_message_payload_gin", 'CREATE INDEX IF NOT EXISTS lc_message_payload_gin ON livechat_message USING gin (payload)'),
    (
        "lc_message_content_fts",
        "CREATE INDEX IF NOT EXISTS lc_message_content_fts ON livechat_message "
        "USING gin (to_tsvector('simple', content))",
    ),
]


def create_groups(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    content_type, _ = ContentType.objects.get_or_create(app_label="livechat", model="chatsession")
    agent, _ = Permission.objects.get_or_create(
        content_type=content_type, codename="agent", defaults={"name": "Works the live-chat desk"}
    )
    supervisor, _ = Permission.objects.get_or_create(
        content_type=content_type, codename="supervisor", defaults={"name": "Supervises the live-chat desk"}
    )
    Group.objects.get_or_create(name="Agents")[0].permissions.add(agent)
    Group.objects.get_or_create(name="Supervisors")[0].permissions.add(agent, supervisor)


def fill_handoff_keywords(apps, schema_editor):
    from django.conf import settings

    HandoffKeyword = apps.get_model("livechat", "HandoffKeyword")
    for keyword in settings.LIVECHAT_HANDOFF_KEYWORDS:
        if keyword.strip():
            HandoffKeyword.objects.get_or_create(keyword=keyword.strip().lower())


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Agents", "Supervisors"]).delete()


def create_pg_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for _, sql in PG_INDEXES:
        schema_editor.execute(sql)


def drop_pg_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _ in PG_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("livechat", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(create_groups, remove_groups),
        migrations.RunPython(fill_handoff_keywords, migrations.RunPython.noop),
        migrations.RunPython(create_pg_indexes, drop_pg_indexes),
    ]
