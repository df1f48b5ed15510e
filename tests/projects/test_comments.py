"""Comments and mentions: the rules, the counter, the cursor, the budgets."""

import pytest

from apps.projects import services
from apps.projects.models import MAX_COMMENT_BODY, Comment, CommentMention, Task
from apps.projects.services.comments import mentioned_usernames
from tests.accounts.factories import UserFactory
from tests.projects.factories import make_task, make_team
from tests.querybudget import assert_queries, assert_query_budget, declared, page_size

pytestmark = pytest.mark.django_db


def comments_url(project, task, rest: str = "") -> str:
    return f"/api/projects/{project.pk}/tasks/{task.pk}/comments/{rest}"


def add_comments(team, task, n: int, *, body: str = "note") -> None:
    for i in range(n):
        services.comment_create(project=team.project, author=team.editor, task_id=task.pk, body=f"{body} {i}")


def task_item(client, team, task) -> dict:
    items = client.get(f"/api/projects/{team.project.pk}/tasks/?archived=all").json()["items"]
    return next(item for item in items if item["id"] == task.pk)


def test_mentioned_usernames():
    body = "@ann and @bob. again @ann, mail me at x@ann.com, (@carol) @"
    assert mentioned_usernames(body) == ["ann", "bob", "carol"]


def test_create_counts_and_mentions_members_only(client_for):
    team = make_team()
    task = make_task(team.project)
    outsider = UserFactory()
    client = client_for(team.editor)
    body = f"ping @{team.viewer.username} @{outsider.username} @{team.editor.username} @nobody"
    response = client.post(comments_url(team.project, task), {"body": body})
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["body"] == body  # a non-member's @name stays text
    assert data["author"] == {"id": team.editor.pk, "username": team.editor.username}
    assert data["mentions"] == [{"id": team.viewer.pk, "username": team.viewer.username}]
    assert data["edited_at"] is None and data["deleted_at"] is None
    assert list(CommentMention.objects.values_list("user_id", flat=True)) == [team.viewer.pk]
    # the counter shows in the list and the detail
    assert task_item(client, team, task)["comment_count"] == 1
    detail = client.get(f"/api/projects/{team.project.pk}/tasks/{task.pk}/").json()
    assert detail["comment_count"] == 1


def test_comments_page_by_cursor_oldest_first_within_a_page(client_for):
    team = make_team()
    task = make_task(team.project)
    add_comments(team, task, 5)
    client = client_for(team.viewer)
    first = client.get(comments_url(team.project, task) + "?limit=3").json()
    assert [c["body"] for c in first["items"]] == ["note 2", "note 3", "note 4"]
    assert first["has_more"] is True
    second = client.get(comments_url(team.project, task) + f"?limit=3&before={first['next_before']}").json()
    assert [c["body"] for c in second["items"]] == ["note 0", "note 1"]
    assert second["has_more"] is False and second["next_before"] is None


def test_only_the_author_edits_and_mentions_follow_the_body(client_for):
    team = make_team()
    task = make_task(team.project)
    comment = services.comment_create(
        project=team.project, author=team.editor, task_id=task.pk, body=f"@{team.viewer.username}"
    )
    url = comments_url(team.project, task, f"{comment.pk}/")
    refused = client_for(team.admin).patch(url, {"body": "mine now"})
    assert refused.status_code == 403 and refused.json()["code"] == "not_comment_author"
    assert client_for(team.viewer).patch(url, {"body": "x"}).status_code == 403
    response = client_for(team.editor).patch(url, {"body": f"now @{team.admin.username} instead"})
    assert response.status_code == 200, response.json()
    assert response.json()["mentions"] == [{"id": team.admin.pk, "username": team.admin.username}]
    assert response.json()["edited_at"] is not None
    assert list(CommentMention.objects.filter(comment=comment).values_list("user_id", flat=True)) == [team.admin.pk]


def test_delete_leaves_a_tombstone_and_the_count_follows(client_for):
    team = make_team()
    task = make_task(team.project)
    comment = services.comment_create(
        project=team.project, author=team.editor, task_id=task.pk, body=f"@{team.viewer.username} hi"
    )
    add_comments(team, task, 1)
    url = comments_url(team.project, task, f"{comment.pk}/")
    assert client_for(team.admin).delete(url).status_code == 403
    client = client_for(team.editor)
    assert client.delete(url).status_code == 204
    assert client.delete(url).status_code == 204  # again: nothing changes
    assert Task.objects.get(pk=task.pk).comment_count == 1
    items = client.get(comments_url(team.project, task)).json()["items"]
    tombstone = items[0]
    assert tombstone["id"] == comment.pk and tombstone["body"] == "" and tombstone["deleted_at"] is not None
    assert tombstone["mentions"] == []
    assert client_for(team.viewer).get("/api/me/mentions/").json()["items"] == []
    edited = client.patch(url, {"body": "back"})
    assert edited.status_code == 409 and edited.json()["code"] == "comment_deleted"


@pytest.mark.parametrize(
    ("body", "field"),
    [({"body": ""}, "body"), ({"body": "x" * (MAX_COMMENT_BODY + 1)}, "body"), ({}, "body"), ({"body": 5}, None)],
)
def test_bad_bodies_are_400_with_the_field_and_write_nothing(client_for, body, field):
    team = make_team()
    task = make_task(team.project)
    response = client_for(team.editor).post(comments_url(team.project, task), body, format="json")
    assert response.status_code == 400, response.json()
    if field:
        assert field in response.json()
    assert not Comment.objects.exists()
    assert Task.objects.get(pk=task.pk).comment_count == 0


def test_an_archived_task_or_another_projects_task_is_refused_and_nothing_is_counted(client_for):
    team = make_team()
    task = make_task(team.project)
    Task.objects.filter(pk=task.pk).update(archived_at="2026-01-01T00:00:00Z")
    client = client_for(team.editor)
    response = client.post(comments_url(team.project, task), {"body": "late"})
    assert response.status_code == 409 and response.json()["code"] == "task_archived"
    assert Task.objects.get(pk=task.pk).comment_count == 0 and not Comment.objects.exists()
    other = make_team()
    elsewhere = make_task(other.project)
    wrong = f"/api/projects/{team.project.pk}/tasks/{elsewhere.pk}/comments/"
    assert client.post(wrong, {"body": "x"}).status_code == 404
    assert client.get(wrong).status_code == 404
    assert Task.objects.get(pk=elsewhere.pk).comment_count == 0


def test_viewers_read_but_do_not_write(client_for):
    team = make_team()
    task = make_task(team.project)
    client = client_for(team.viewer)
    assert client.get(comments_url(team.project, task)).status_code == 200
    response = client.post(comments_url(team.project, task), {"body": "hello"})
    assert response.status_code == 403 and response.json()["code"] == "write_forbidden"


def test_my_mentions_show_live_projects_only(client_for):
    team = make_team()
    task = make_task(team.project)
    services.comment_create(project=team.project, author=team.editor, task_id=task.pk, body=f"@{team.viewer.username}")
    client = client_for(team.viewer)
    [mention] = client.get("/api/me/mentions/").json()["items"]
    assert mention["task"] == {"id": task.pk, "key": task.key}
    assert mention["project"] == {"id": team.project.pk, "key": team.project.key}
    assert mention["comment"]["author"]["id"] == team.editor.pk
    assert client_for(team.editor).get("/api/me/mentions/").json()["items"] == []
    services.member_remove(project=team.project, actor=team.viewer, user_id=team.viewer.pk)
    assert client.get("/api/me/mentions/").json()["items"] == []


# --- budgets ----------------------------------------------------------------------------------


def test_comment_list_budget(client_for):
    team = make_team()
    task = make_task(team.project)
    client = client_for(team.viewer)
    url = comments_url(team.project, task)
    # auth token; project with role; the task's existence; page (author joined); the page's mentions
    assert_query_budget(
        request=lambda: client.get(url),
        add_rows=lambda n: add_comments(team, task, n, body=f"@{team.viewer.username} @{team.admin.username}"),
        budget=declared("GET", url),
        expect_items=page_size,
    )


def test_my_mentions_budget(client_for):
    team = make_team()
    task = make_task(team.project)
    client = client_for(team.viewer)
    # auth token; page (comment, task, project joined)
    assert_query_budget(
        request=lambda: client.get("/api/me/mentions/"),
        add_rows=lambda n: add_comments(team, task, n, body=f"@{team.viewer.username}"),
        budget=declared("GET", "/api/me/mentions/"),
        expect_items=page_size,
    )


@pytest.mark.parametrize("existing", [1, 50])
def test_comment_write_budgets(client_for, existing):
    team = make_team()
    task = make_task(team.project)
    add_comments(team, task, existing, body=f"@{team.viewer.username}")
    client = client_for(team.editor)
    url = comments_url(team.project, task)
    create = declared("POST", url)
    # token, project, counter UPDATE ... RETURNING, INSERT
    plain = assert_queries(lambda: client.post(url, {"body": "plain"}), create.fewest)
    assert plain.status_code == 201
    # + the members named, the mentions' INSERT
    mentioning = {"body": f"@{team.viewer.username} @{team.admin.username}"}
    assert assert_queries(lambda: client.post(url, mentioning), create.queries).status_code == 201
    comment_url = url + f"{plain.json()['id']}/"
    patch = declared("PATCH", comment_url)
    # token, project, comment locked, its mentions, UPDATE
    assert assert_queries(lambda: client.patch(comment_url, {"body": "no names"}), patch.fewest).status_code == 200
    client.patch(comment_url, {"body": f"@{team.admin.username}"})
    # + members named, mentions dropped, mentions added, the task's key for the new ones' events
    mention_other = {"body": f"@{team.viewer.username}"}
    assert assert_queries(lambda: client.patch(comment_url, mention_other), patch.queries).status_code == 200
    delete = declared("DELETE", comment_url)
    # token, project, comment locked, mentions deleted, UPDATE comment, counter
    assert assert_queries(lambda: client.delete(comment_url), delete.queries).status_code == 204
    # a tombstone: token, project, comment locked
    assert assert_queries(lambda: client.delete(comment_url), delete.fewest).status_code == 204
