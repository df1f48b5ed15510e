"""Comment use cases: add, edit, delete (a tombstone), with mentions as rows and the task's
`comment_count` kept in the same transaction."""

from __future__ import annotations

import re

from django.db import connection, transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.core.realtime import broadcast
from apps.projects.events import comment_data, mention_event, task_counters_event, task_group
from apps.projects.exceptions import CommentDeleted, CommentNotFound, NotCommentAuthor, TaskArchived, TaskNotFound
from apps.projects.models import Comment, CommentMention, Project, ProjectMember, Task

# `@name` not preceded by a word character (so an e-mail address is no mention); Django's
# username characters, without a trailing dot (the end of a sentence).
MENTION_PATTERN = re.compile(r"(?<![\w@.+-])@([\w.@+-]+)")
MAX_MENTIONS = 50


def mentioned_usernames(body: str) -> list[str]:
    """The distinct `@username`s of a body, in order of first appearance (at most MAX_MENTIONS)."""
    names: list[str] = []
    for match in MENTION_PATTERN.finditer(body):
        name = match.group(1).rstrip(".")
        if name and name not in names:
            names.append(name)
    return names[:MAX_MENTIONS]


def _mentioned_members(project_id: int, body: str, author_id: int) -> list[User]:
    """The project members the body names (the author aside); any other `@name` stays text."""
    names = mentioned_usernames(body)
    if not names:
        return []
    members = ProjectMember.objects.filter(project_id=project_id, user__username__in=names).exclude(user_id=author_id)
    return [member.user for member in members.select_related("user").only("user__id", "user__username")]


def _bump_comment_count(project_id: int, task_id: int, delta: int) -> tuple[int, bool, str]:
    """Add `delta` to the task's `comment_count` in one statement that also proves the task is
    the project's and locks its row: (comment_count, archived, key)."""
    table = Task._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET comment_count = comment_count + %s "  # noqa: S608 - table name from the model
            "WHERE id = %s AND project_id = %s RETURNING comment_count, archived_at, key",
            [delta, task_id, project_id],
        )
        row = cursor.fetchone()
    if row is None:
        raise TaskNotFound()
    # archived_at itself, not `archived_at IS NOT NULL`: SQLite 3.40 answers 1 for that in RETURNING
    return row[0], row[1] is not None, row[2]


def _save_mentions(comment: Comment, users: list[User]) -> None:
    if users:
        CommentMention.objects.bulk_create([CommentMention(comment=comment, user=user) for user in users])


def _notify_mentions(project: Project, task: dict, comment: Comment, users: list[User], author: User) -> None:
    data = comment_data(comment, author=author)
    for user in users:
        mention_event(user_id=user.pk, project=project, task=task, comment=data)


@transaction.atomic
def comment_create(*, project: Project, author: User, task_id: int, body: str) -> Comment:
    """Add a comment; members it names get a mention row and a `mention` event.

    Queries: the task's counter (UPDATE ... RETURNING: also the task check and its lock),
    the mentioned members (only when the body has an `@`), the INSERT, the mentions' INSERT.
    """
    count, archived, key = _bump_comment_count(project.pk, task_id, 1)
    if archived:
        raise TaskArchived("An archived task cannot be commented on; unarchive it first.")
    users = _mentioned_members(project.pk, body, author.pk)
    comment = Comment.objects.create(task_id=task_id, author=author, body=body)
    _save_mentions(comment, users)
    comment.mentioned = users
    data = comment_data(comment, author=author)
    broadcast(task_group(task_id), "comment.added", {"comment": data})
    task_counters_event(project_id=project.pk, task_id=task_id, comment_count=count, actor=author)
    _notify_mentions(project, {"id": task_id, "key": key}, comment, users, author)
    return comment


def _locked_comment(project: Project, task_id: int, comment_id: int) -> Comment:
    comment = (
        Comment.objects.select_for_update(of=("self",))
        .filter(pk=comment_id, task_id=task_id, task__project_id=project.pk)
        .first()
    )
    if comment is None:
        raise CommentNotFound()
    return comment


@transaction.atomic
def comment_update(*, project: Project, actor: User, task_id: int, comment_id: int, body: str) -> Comment:
    """Edit one's own comment; newly named members are mentioned, members no longer named are not."""
    comment = _locked_comment(project, task_id, comment_id)
    if comment.author_id != actor.pk:
        raise NotCommentAuthor()
    if comment.deleted_at is not None:
        raise CommentDeleted()
    users = _mentioned_members(project.pk, body, actor.pk)
    before = set(CommentMention.objects.filter(comment=comment).values_list("user_id", flat=True))
    wanted = {user.pk for user in users}
    if before - wanted:
        CommentMention.objects.filter(comment=comment, user_id__in=before - wanted).delete()
    added = [user for user in users if user.pk not in before]
    _save_mentions(comment, added)
    comment.body = body
    comment.edited_at = timezone.now()
    comment.save(update_fields=["body", "edited_at"])
    comment.mentioned = users
    broadcast(task_group(task_id), "comment.updated", {"comment": comment_data(comment, author=actor)})
    if added:
        key = Task.objects.filter(pk=task_id).values_list("key", flat=True).get()
        _notify_mentions(project, {"id": task_id, "key": key}, comment, added, actor)
    return comment


@transaction.atomic
def comment_delete(*, project: Project, actor: User, task_id: int, comment_id: int, moderated: bool = False) -> None:
    """Delete one's own comment (`moderated`: an operator deletes anyone's, from the admin): the
    row stays as a tombstone (no body, no mentions); the task's `comment_count` drops by one.
    Deleting a tombstone again changes nothing."""
    comment = _locked_comment(project, task_id, comment_id)
    if comment.author_id != actor.pk and not moderated:
        raise NotCommentAuthor()
    if comment.deleted_at is not None:
        return
    CommentMention.objects.filter(comment=comment).delete()
    comment.body = ""
    comment.deleted_at = timezone.now()
    comment.save(update_fields=["body", "deleted_at"])
    count, _, _ = _bump_comment_count(project.pk, task_id, -1)
    broadcast(task_group(task_id), "comment.deleted", {"comment": {"id": comment.pk, "task_id": task_id}})
    task_counters_event(project_id=project.pk, task_id=task_id, comment_count=count, actor=actor)
