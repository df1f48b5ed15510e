"""Demo data for the project tracker: one board with a few tasks in every column."""

from __future__ import annotations

from apps.projects import services
from apps.projects.models import Project, ProjectMember, TaskStatus

DEMO_KEY = "DEMO"
DEMO_WORKSPACE = "Demo workspace"
DEMO_TASKS = (
    ("Write the onboarding guide", TaskStatus.Category.TODO, None),
    ("Design the billing page", TaskStatus.Category.TODO, "bob"),
    ("Fix login redirect loop", TaskStatus.Category.ACTIVE, "alice"),
    ("Review the API rate limits", TaskStatus.Category.REVIEW, "bob"),
    ("Nightly export times out", TaskStatus.Category.ISSUE, "alice"),
    ("Ship the dark mode", TaskStatus.Category.DONE, "alice"),
)


def seed_demo(*, users, stdout) -> None:
    """Workspace "Demo workspace" with project DEMO: alice admin (workspace owner), bob editor
    (workspace manager), carol viewer, six tasks. Runs once; a second run changes nothing."""
    if Project.objects.filter(key=DEMO_KEY).exists():
        stdout.write("projects: demo project already there")
        return
    alice, bob, carol = users["alice"], users["bob"], users["carol"]
    workspace = services.application_create(
        user=alice, name=DEMO_WORKSPACE, description="The demo team's workspace: alice owns it, bob manages members."
    )
    project = services.project_create(
        user=alice,
        key=DEMO_KEY,
        name="Demo board",
        description="A board to try the project tracker on.",
        application=workspace,
    )
    project.my_role = ProjectMember.Role.ADMIN
    services.member_add(project=project, username=bob.username, role=ProjectMember.Role.EDITOR)
    services.member_add(project=project, username=carol.username, role=ProjectMember.Role.VIEWER)
    # bob and carol joined the workspace with the project (editor, viewer); bob manages its members
    services.application_member_update(application=workspace, user_id=bob.pk, is_manager=True)
    statuses = {status.category: status for status in TaskStatus.objects.filter(project=project).order_by("-rank")}
    by_name = {"alice": alice, "bob": bob}
    tasks = [
        services.task_create(
            project=project,
            reporter=alice,
            title=title,
            status_id=statuses[category].pk,
            assignee_id=by_name[assignee].pk if assignee else None,
        )
        for title, category, assignee in DEMO_TASKS
    ]
    login = tasks[2]  # "Fix login redirect loop": a discussion, a mention and a checklist
    services.comment_create(
        project=project, author=alice, task_id=login.pk, body="Reproduced on Safari; @bob can you look at the cookie?"
    )
    services.comment_create(
        project=project, author=bob, task_id=login.pk, body="On it. @carol FYI for the release notes."
    )
    for text, done in (("Reproduce", True), ("Write a failing test", True), ("Fix the redirect", False)):
        services.checklist_item_create(project=project, actor=alice, task_id=login.pk, text=text, done=done)
    services.project_override_set(
        project=project, actor=alice, status_id=statuses[TaskStatus.Category.ACTIVE].pk, reason="Launch week"
    )
    stdout.write(
        f"projects: {DEMO_KEY} board in the {DEMO_WORKSPACE!r} workspace with {len(DEMO_TASKS)} tasks, comments with"
        " mentions, a checklist and a status override (alice admin and workspace owner, bob editor and workspace"
        " manager, carol viewer)"
    )
