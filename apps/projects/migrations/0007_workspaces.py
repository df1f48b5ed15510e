"""Workspaces: `Application` and `ApplicationMember`, and every project moved into one.

The data step makes one workspace per project creator (named after them), moves the
creator's projects into it and makes every member of those projects a workspace member:
the creator an owner, a project viewer a viewer, any other project member an editor (the
strongest role a user has across the moved projects wins). A project whose creator was
deleted goes with its first admin's (else its first member's) workspace; one without any
member into an ownerless "Unowned projects" workspace. Plain ORM on the historical models:
it runs on SQLite (the embedded default) as on PostgreSQL.
"""

from collections import defaultdict

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

ROLE_STRENGTH = {"owner": 3, "editor": 2, "viewer": 1}


def move_projects_into_workspaces(apps, schema_editor):
    db = schema_editor.connection.alias
    Project = apps.get_model("projects", "Project")
    ProjectMember = apps.get_model("projects", "ProjectMember")
    Application = apps.get_model("projects", "Application")
    ApplicationMember = apps.get_model("projects", "ApplicationMember")
    User = apps.get_model(settings.AUTH_USER_MODEL)

    projects = list(Project.objects.using(db).order_by("id").values_list("id", "created_by_id"))
    if not projects:
        return
    members = defaultdict(list)
    for project_id, user_id, role in ProjectMember.objects.using(db).order_by("id").values_list(
        "project_id", "user_id", "role"
    ):
        members[project_id].append((user_id, role))

    def owner_of(project_id, created_by_id):
        if created_by_id is not None:
            return created_by_id
        rows = members[project_id]
        admins = [user_id for user_id, role in rows if role == "admin"]
        return (admins or [user_id for user_id, _ in rows] or [None])[0]

    groups = defaultdict(list)
    for project_id, created_by_id in projects:
        groups[owner_of(project_id, created_by_id)].append(project_id)
    usernames = dict(
        User.objects.using(db).filter(pk__in=[pk for pk in groups if pk is not None]).values_list("id", "username")
    )
    for owner_id, project_ids in groups.items():
        name = usernames.get(owner_id) or "Unowned projects"
        workspace = Application.objects.using(db).create(name=name[:200], created_by_id=owner_id)
        Project.objects.using(db).filter(pk__in=project_ids).update(application=workspace)
        roles = {} if owner_id is None else {owner_id: "owner"}
        for project_id in project_ids:
            for user_id, role in members[project_id]:
                wanted = "viewer" if role == "viewer" else "editor"
                if ROLE_STRENGTH[wanted] > ROLE_STRENGTH.get(roles.get(user_id), 0):
                    roles[user_id] = wanted
        ApplicationMember.objects.using(db).bulk_create(
            [ApplicationMember(application=workspace, user_id=user_id, role=role) for user_id, role in roles.items()]
        )


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0006_status_override"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Application",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=200)),
                ("description", models.TextField(blank=True, default="")),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={"ordering": ("-id",)},
        ),
        migrations.CreateModel(
            name="ApplicationMember",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "role",
                    models.CharField(
                        choices=[("owner", "Owner"), ("editor", "Editor"), ("viewer", "Viewer")],
                        default="editor",
                        max_length=10,
                    ),
                ),
                ("is_manager", models.BooleanField(default=False)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "application",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="members",
                        to="projects.application",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="application_memberships",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ("application_id", "id"),
                "indexes": [models.Index(fields=["user", "application"], name="projects_appmember_user_app")],
                "constraints": [
                    models.UniqueConstraint(fields=("application", "user"), name="projects_appmember_unique_user")
                ],
            },
        ),
        migrations.AddField(
            model_name="project",
            name="application",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="projects",
                to="projects.application",
            ),
        ),
        migrations.RunPython(move_projects_into_workspaces, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="project",
            name="application",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="projects",
                to="projects.application",
            ),
        ),
        migrations.AddIndex(
            model_name="project",
            index=models.Index(fields=["application", "archived_at", "id"], name="projects_project_app_live"),
        ),
    ]
