"""The workspace data migration (projects 0007) on representative data, on any database:
tests/projects/test_migration_workspaces.py runs it on PostgreSQL in-process and on SQLite
(the embedded default) in a subprocess."""

from __future__ import annotations

from django.db.migrations.executor import MigrationExecutor

BEFORE = [("projects", "0006_status_override")]
AFTER = [("projects", "0007_workspaces")]


def _executor(connection) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    return executor


def run(connection) -> None:
    """Migrate to 0006, build projects and members the old way, migrate 0007, check where
    every project and member went; then migrate to the latest state again."""
    executor = _executor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    user_model, project_model = old.get_model("accounts", "User"), old.get_model("projects", "Project")
    member_model = old.get_model("projects", "ProjectMember")
    users = {name: user_model.objects.create(username=name) for name in ("alice", "bob", "carol", "dave", "erin")}

    def project(key: str, creator: str | None, **members: str):
        created = project_model.objects.create(key=key, name=key, created_by=users.get(creator or ""))
        for name, role in members.items():
            member_model.objects.create(project=created, user=users[name], role=role)
        return created.pk

    p1 = project("PONE", "alice", alice="admin", bob="editor", dave="admin")
    p2 = project("PTWO", "alice", alice="admin", bob="viewer", carol="viewer")
    p3 = project("PTHREE", "bob", bob="admin", alice="viewer")
    p4 = project("PFOUR", None, erin="admin", carol="editor")  # its creator was deleted
    p5 = project("PFIVE", None)  # no creator, no member

    executor = _executor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    projects = dict(new.get_model("projects", "Project").objects.values_list("pk", "application__name"))
    assert projects == {p1: "alice", p2: "alice", p3: "bob", p4: "erin", p5: "Unowned projects"}, projects
    rows = new.get_model("projects", "ApplicationMember").objects.values_list(
        "application__name", "user__username", "role", "is_manager"
    )
    memberships = {(workspace, user): (role, manager) for workspace, user, role, manager in rows}
    assert memberships == {
        ("alice", "alice"): ("owner", False),
        ("alice", "bob"): ("editor", False),  # editor in one project, viewer in another: the stronger
        ("alice", "dave"): ("editor", False),  # a project admin who did not create it
        ("alice", "carol"): ("viewer", False),
        ("bob", "bob"): ("owner", False),
        ("bob", "alice"): ("viewer", False),
        ("erin", "erin"): ("owner", False),
        ("erin", "carol"): ("editor", False),
    }, memberships
    application_model = new.get_model("projects", "Application")
    assert application_model.objects.get(name="Unowned projects").created_by_id is None
    assert application_model.objects.get(name="alice").created_by_id == users["alice"].pk

    executor = _executor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
