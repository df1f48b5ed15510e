"""Interview practice's use cases: one function each, atomic, refusing bad transitions."""

from __future__ import annotations

import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from apps.accounts.models import User
from apps.core.services import model_update
from apps.interviews import crypto
from apps.interviews.coach import CoachError, Context, get_coach, validate_feedback, validate_question
from apps.interviews.events import broadcast_operation
from apps.interviews.exceptions import (
    CoachKeyNotFound,
    FeedbackExists,
    InvalidTransition,
    JobPostingNotFound,
    NoAnswers,
    NoOpenQuestion,
    OperationNotFailed,
    OperationPending,
    QuestionOpen,
    ResumeNotFound,
    ResumeRequired,
    SessionNotActive,
    SessionNotCompleted,
)
from apps.interviews.models import (
    CoachKey,
    Feedback,
    InterviewSession,
    InterviewStats,
    JobPosting,
    Operation,
    Resume,
    SessionMessage,
    initial_version,
)

logger = logging.getLogger("brisk.interviews")
Status = InterviewSession.Status


def bump_stats(user_id: int) -> None:
    """Move the user's dashboard version on (one upsert, in the caller's transaction)."""
    InterviewStats.objects.bulk_create(
        [InterviewStats(user_id=user_id, version=initial_version())],
        update_conflicts=True,
        unique_fields=["user"],
        update_fields=["version"],
    )


# --- resume and postings -------------------------------------------------------------------


@transaction.atomic
def resume_put(*, user: User, content: str) -> Resume:
    resume, _ = Resume.objects.update_or_create(user=user, defaults={"content": content})
    return resume


def resume_delete(*, user: User) -> None:
    deleted, _ = Resume.objects.filter(user=user).delete()
    if not deleted:
        raise ResumeNotFound()


def posting_create(*, user: User, **data: Any) -> JobPosting:
    return JobPosting.objects.create(user=user, **data)


POSTING_FIELDS = ("title", "company", "description", "experience_level", "tech_stack", "language")


@transaction.atomic
def posting_update(*, posting: JobPosting, data: dict[str, Any]) -> JobPosting:
    posting, changed = model_update(instance=posting, fields=POSTING_FIELDS, data=data)
    if {"title", "company"} & set(changed):
        bump_stats(posting.user_id)  # the dashboard's top roles show them
    return posting


@transaction.atomic
def posting_delete(*, posting: JobPosting) -> None:
    posting.delete()
    bump_stats(posting.user_id)


# --- sessions ----------------------------------------------------------------------------


@transaction.atomic
def session_create(*, user: User, job_posting_id: int) -> InterviewSession:
    posting = JobPosting.objects.filter(user=user, pk=job_posting_id).only("id", "title", "company").first()
    if posting is None:
        raise JobPostingNotFound(field="job_posting_id")
    session = InterviewSession.objects.create(user=user, job_posting=posting)
    bump_stats(user.pk)
    return session


@transaction.atomic
def session_delete(*, session: InterviewSession) -> None:
    session.delete()
    bump_stats(session.user_id)


# from status -> to status, per action
TRANSITIONS = {
    "pause": ((Status.ACTIVE,), Status.PAUSED),
    "resume": ((Status.PAUSED,), Status.ACTIVE),
    "complete": ((Status.ACTIVE, Status.PAUSED), Status.COMPLETED),
}


@transaction.atomic
def session_transition(*, session: InterviewSession, action: str) -> InterviewSession:
    """pause / resume / complete: one conditional UPDATE; 409 from any other status."""
    sources, target = TRANSITIONS[action]
    now = timezone.now()
    changes: dict[str, Any] = {"status": target}
    if target == Status.COMPLETED:
        changes["completed_at"] = now
    updated = InterviewSession.objects.filter(pk=session.pk, status__in=sources).update(**changes)
    if not updated:
        raise InvalidTransition(f"A {session.status} session cannot {action}.", extra={"status": session.status})
    for name, value in changes.items():
        setattr(session, name, value)
    if target == Status.COMPLETED:
        bump_stats(session.user_id)
    return session


@transaction.atomic
def session_retake(*, session: InterviewSession) -> InterviewSession:
    if session.status != Status.COMPLETED:
        raise SessionNotCompleted("Only a completed session can be retaken.")
    root_id = session.original_session_id or session.pk
    # the root's lock serializes retakes of one chain, so retake numbers never collide
    InterviewSession.objects.select_for_update().filter(pk=root_id).values_list("pk").first()
    last = (
        InterviewSession.objects.filter(pk=root_id).values_list("retake_number", flat=True).first() or 1,
        *InterviewSession.objects.filter(original_session_id=root_id).values_list("retake_number", flat=True),
    )
    retake = InterviewSession.objects.create(
        user_id=session.user_id,
        job_posting_id=session.job_posting_id,
        original_session_id=root_id,
        retake_number=max(last) + 1,
    )
    bump_stats(session.user_id)
    return retake


def _locked(session: InterviewSession) -> InterviewSession:
    return InterviewSession.objects.select_for_update().get(pk=session.pk)


@transaction.atomic
def answer_submit(*, session: InterviewSession, content: str) -> SessionMessage:
    locked = _locked(session)
    if locked.status != Status.ACTIVE:
        raise SessionNotActive(f"The session is {locked.status}: answers go to active sessions only.")
    if not locked.awaiting_answer:
        raise NoOpenQuestion()
    last_question = (
        SessionMessage.objects.filter(session_id=locked.pk, message_type=SessionMessage.MessageType.QUESTION)
        .order_by("-seq")
        .values_list("question_type", flat=True)
        .first()
    )
    message = SessionMessage.objects.create(
        session_id=locked.pk,
        message_type=SessionMessage.MessageType.ANSWER,
        question_type=last_question or "",
        content=content,
        seq=locked.message_count + 1,
    )
    InterviewSession.objects.filter(pk=locked.pk).update(
        message_count=F("message_count") + 1, answered_count=F("answered_count") + 1, awaiting_answer=False
    )
    bump_stats(locked.user_id)
    return message


# --- operations --------------------------------------------------------------------------


def _dispatch(op: Operation) -> None:
    from apps.interviews.tasks import run_operation

    op_id = op.pk
    transaction.on_commit(lambda: run_operation.delay(op_id))


def _pending(session_id: int, operation_type: str) -> bool:
    return Operation.objects.filter(
        session_id=session_id,
        operation_type=operation_type,
        status__in=(Operation.Status.PENDING, Operation.Status.PROCESSING),
    ).exists()


@transaction.atomic
def question_request(*, session: InterviewSession, user: User) -> Operation:
    locked = _locked(session)
    if locked.status != Status.ACTIVE:
        raise SessionNotActive(f"The session is {locked.status}: questions are asked in active sessions only.")
    if locked.awaiting_answer:
        raise QuestionOpen()
    if _pending(locked.pk, Operation.OperationType.QUESTION_GENERATION):
        raise OperationPending()
    op = Operation.objects.create(
        user=user, session_id=locked.pk, operation_type=Operation.OperationType.QUESTION_GENERATION
    )
    _dispatch(op)
    return op


@transaction.atomic
def feedback_request(*, session: InterviewSession, user: User) -> Operation:
    locked = _locked(session)
    if locked.status != Status.COMPLETED:
        raise SessionNotCompleted("Feedback is given on completed sessions only.")
    if Feedback.objects.filter(session_id=locked.pk).exists():
        raise FeedbackExists()
    if not Resume.objects.filter(user_id=locked.user_id).exists():
        raise ResumeRequired()
    if locked.answered_count < 1:
        raise NoAnswers()
    if _pending(locked.pk, Operation.OperationType.FEEDBACK_ANALYSIS):
        raise OperationPending()
    op = Operation.objects.create(
        user=user, session_id=locked.pk, operation_type=Operation.OperationType.FEEDBACK_ANALYSIS
    )
    _dispatch(op)
    return op


@transaction.atomic
def operation_retry(*, operation: Operation) -> Operation:
    locked = Operation.objects.select_for_update().get(pk=operation.pk)
    if locked.status != Operation.Status.FAILED:
        raise OperationNotFailed()
    if _pending(locked.session_id, locked.operation_type):
        raise OperationPending()
    child = Operation.objects.create(
        user_id=locked.user_id,
        session_id=locked.session_id,
        operation_type=locked.operation_type,
        parent_operation=locked,
        retry_count=locked.retry_count + 1,
    )
    _dispatch(child)
    return child


def _context(session: InterviewSession) -> Context:
    posting = session.job_posting
    resume = Resume.objects.filter(user_id=session.user_id).values_list("content", flat=True).first() or ""
    messages = [
        dict(row)
        for row in SessionMessage.objects.filter(session_id=session.pk)
        .order_by("seq")
        .values("message_type", "question_type", "content", "meta", "seq")
    ]
    return Context(
        title=posting.title,
        experience_level=posting.experience_level,
        tech_stack=[str(s) for s in posting.tech_stack],
        language=posting.language,
        resume=resume,
        messages=messages,
        session_id=session.pk,
    )


def _fail(op: Operation, code: str, message: str) -> None:
    with transaction.atomic():
        op.status = Operation.Status.FAILED
        op.error_code = code
        op.error_message = message[:500]
        op.completed_at = timezone.now()
        op.save(update_fields=["status", "error_code", "error_message", "completed_at"])
        broadcast_operation(op)


def operation_run(*, operation_id: int) -> Operation | None:
    """The background half of an operation: ask the coach, validate, store, mark, announce."""
    claimed = Operation.objects.filter(pk=operation_id, status=Operation.Status.PENDING).update(
        status=Operation.Status.PROCESSING, started_at=timezone.now()
    )
    if not claimed:
        return None  # run already (a redelivered task) or gone
    op = Operation.objects.select_related("session__job_posting").get(pk=operation_id)
    session = op.session
    try:
        api_key = coach_key_plain(user_id=op.user_id)
        coach = get_coach(api_key)
        ctx = _context(session)
        if op.operation_type == Operation.OperationType.QUESTION_GENERATION:
            data = validate_question(coach.next_question(ctx))
        else:
            data = validate_feedback(coach.feedback(ctx))
    except CoachError as error:
        logger.info("interviews operation %s failed: %s", op.pk, error.code)
        _fail(op, error.code, error.message)
        return op
    try:
        with transaction.atomic():
            if op.operation_type == Operation.OperationType.QUESTION_GENERATION:
                op.result = _store_question(session, data)
            else:
                op.result = _store_feedback(session, data)
            op.status = Operation.Status.COMPLETED
            op.completed_at = timezone.now()
            op.save(update_fields=["status", "result", "completed_at"])
            broadcast_operation(op)
    except (SessionNotActive, QuestionOpen, FeedbackExists) as refusal:
        _fail(op, refusal.code, refusal.message)
    except IntegrityError:
        _fail(op, "conflict", "The session changed while the coach was working.")
    return op


def _store_question(session: InterviewSession, data: dict[str, Any]) -> dict[str, Any]:
    locked = _locked(session)
    if locked.status != Status.ACTIVE:
        raise SessionNotActive()
    if locked.awaiting_answer:
        raise QuestionOpen()
    meta = {k: data[k] for k in ("key_points", "follow_up", "topic")}
    if "source" in data:
        meta["source"] = data["source"]
    message = SessionMessage.objects.create(
        session_id=locked.pk,
        message_type=SessionMessage.MessageType.QUESTION,
        question_type=data["question_type"],
        content=data["content"],
        meta=meta,
        seq=locked.message_count + 1,
    )
    InterviewSession.objects.filter(pk=locked.pk).update(
        message_count=F("message_count") + 1,
        current_question_number=F("current_question_number") + 1,
        awaiting_answer=True,
    )
    return {
        "message_id": message.pk,
        "seq": message.seq,
        "question_type": message.question_type,
        "content": message.content,
    }


def _store_feedback(session: InterviewSession, data: dict[str, Any]) -> dict[str, Any]:
    if Feedback.objects.filter(session_id=session.pk).exists():
        raise FeedbackExists()
    feedback = Feedback.objects.create(session_id=session.pk, **data)
    bump_stats(session.user_id)
    return {"feedback_id": feedback.pk, "overall_score": feedback.overall_score}


# --- the coach key -----------------------------------------------------------------------


@transaction.atomic
def coach_key_put(*, user: User, key: str) -> CoachKey:
    stored, _ = CoachKey.objects.update_or_create(
        user=user, defaults={"encrypted_key": crypto.encrypt(key), "last_four": key[-4:]}
    )
    return stored


def coach_key_delete(*, user: User) -> None:
    deleted, _ = CoachKey.objects.filter(user=user).delete()
    if not deleted:
        raise CoachKeyNotFound()


def coach_key_plain(*, user_id: int) -> str | None:
    token = CoachKey.objects.filter(user_id=user_id).values_list("encrypted_key", flat=True).first()
    return None if token is None else crypto.decrypt(token)


def coach_key_validate(*, user: User) -> dict[str, Any]:
    """Ask the configured server whether the stored key works (the built-in coach needs none)."""
    from django.conf import settings

    key = coach_key_plain(user_id=user.pk)
    if key is None:
        raise CoachKeyNotFound()
    if settings.INTERVIEWS_COACH != "openai":
        return {"valid": True, "checked": False, "error_code": ""}
    from apps.interviews.openai_coach import validate_key

    code = validate_key(key)
    return {"valid": not code, "checked": True, "error_code": code}
