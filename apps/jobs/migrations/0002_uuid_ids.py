"""Jobs, workers and tasks get time-ordered UUID primary keys (the zndraw-joblib surface's ids),
and tasks a claim time (the claim lease) and a result (internal jobs).

Brisk is pre-release, so the four tables are dropped and created again rather than converted:
PostgreSQL has no cast from bigint to uuid, and converting in place would mean a new column,
a backfill of every foreign key and a swap, for data no deployment holds yet. Rooms and
memberships (keyed by name in the API) are kept.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import apps.jobs.ids

TASK_STATUSES = [
    ("pending", "Pending"),
    ("claimed", "Claimed"),
    ("running", "Running"),
    ("completed", "Completed"),
    ("failed", "Failed"),
    ("cancelled", "Cancelled"),
]
CATEGORIES = [("modifiers", "Modifiers"), ("selections", "Selections"), ("analysis", "Analysis")]


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveField(model_name="worker", name="jobs"),
        migrations.DeleteModel(name="WorkerJob"),
        migrations.DeleteModel(name="Task"),
        migrations.DeleteModel(name="Worker"),
        migrations.DeleteModel(name="Job"),
        migrations.CreateModel(
            name="Job",
            fields=[
                (
                    "id",
                    models.UUIDField(default=apps.jobs.ids.uuid7, editable=False, primary_key=True, serialize=False),
                ),
                ("room", models.CharField(max_length=64)),
                ("category", models.CharField(choices=CATEGORIES, max_length=16)),
                ("name", models.CharField(max_length=100)),
                ("schema", models.JSONField(default=dict)),
                ("deleted", models.BooleanField(default=False)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("room", "category", "name"), name="jobs_job_unique_name")
                ],
            },
        ),
        migrations.CreateModel(
            name="Worker",
            fields=[
                (
                    "id",
                    models.UUIDField(default=apps.jobs.ids.uuid7, editable=False, primary_key=True, serialize=False),
                ),
                ("last_heartbeat", models.DateTimeField()),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "user",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="job_workers",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(fields=["user", "-created_at"], name="jobs_worker_user_idx"),
                    models.Index(fields=["last_heartbeat"], name="jobs_worker_heartbeat_idx"),
                ],
            },
        ),
        migrations.CreateModel(
            name="WorkerJob",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "job",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="worker_links",
                        to="jobs.job",
                    ),
                ),
                (
                    "worker",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="job_links",
                        to="jobs.worker",
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["job", "worker"], name="jobs_workerjob_job_idx")],
                "constraints": [models.UniqueConstraint(fields=("worker", "job"), name="jobs_workerjob_unique")],
            },
        ),
        migrations.AddField(
            model_name="worker",
            name="jobs",
            field=models.ManyToManyField(related_name="workers", through="jobs.WorkerJob", to="jobs.job"),
        ),
        migrations.CreateModel(
            name="Task",
            fields=[
                (
                    "id",
                    models.UUIDField(default=apps.jobs.ids.uuid7, editable=False, primary_key=True, serialize=False),
                ),
                ("room", models.CharField(max_length=64)),
                ("payload", models.JSONField(default=dict)),
                ("status", models.CharField(choices=TASK_STATUSES, default="pending", max_length=16)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("claimed_at", models.DateTimeField(blank=True, null=True)),
                ("started_at", models.DateTimeField(blank=True, null=True)),
                ("completed_at", models.DateTimeField(blank=True, null=True)),
                ("error", models.TextField(blank=True, default="")),
                ("result", models.JSONField(blank=True, null=True)),
                (
                    "created_by",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="job_tasks",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "job",
                    models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="tasks", to="jobs.job"
                    ),
                ),
                (
                    "worker",
                    models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="tasks",
                        to="jobs.worker",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(fields=["job", "status", "created_at"], name="jobs_task_job_status_idx"),
                    models.Index(fields=["room", "status", "created_at"], name="jobs_task_room_status_idx"),
                    models.Index(fields=["room", "-created_at", "-id"], name="jobs_task_room_created_idx"),
                    models.Index(
                        condition=models.Q(("status", "pending")),
                        fields=["job", "created_at", "id"],
                        name="jobs_task_pending_idx",
                    ),
                    models.Index(
                        condition=models.Q(("status", "claimed")), fields=["claimed_at"], name="jobs_task_claimed_idx"
                    ),
                    models.Index(fields=["created_by"], name="jobs_task_created_by_idx"),
                    models.Index(fields=["worker", "status"], name="jobs_task_worker_idx"),
                ],
            },
        ),
    ]
