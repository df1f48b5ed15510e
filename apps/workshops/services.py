"""Writes: one function per use case, each atomic; events and cache bumps ride on the commit."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max
from django.utils import timezone

from apps.accounts.models import User
from apps.core.services import model_update
from apps.workshops import events, selectors
from apps.workshops.exceptions import (
    ConfirmRequired,
    FacilitatorDoesNotAnnotate,
    FacilitatorSeat,
    InvalidEvaluation,
    InvalidRating,
    NoAnnotations,
    NoFindings,
    NoNextPhase,
    NoRubricQuestions,
    NoteNotFound,
    NotesHidden,
    NothingToReset,
    NoTracesLoaded,
    ParticipantExists,
    ParticipantNotFound,
    PhaseOutOfOrder,
    QuestionNotFound,
    UnknownQuestion,
    UnknownTrace,
    UnknownUser,
)
from apps.workshops.models import (
    PHASE_ORDER,
    Annotation,
    Finding,
    JudgeEvaluation,
    JudgePrompt,
    JudgeType,
    Note,
    Participant,
    Phase,
    PhaseTrace,
    RubricQuestion,
    Trace,
    TraceOrder,
    Workshop,
)

MAX_TRACES_PER_LOAD = 1000
WORKSHOP_FIELDS = (
    "name",
    "description",
    "status",
    "discovery_randomize",
    "annotation_randomize",
    "show_participant_notes",
)


# --- workshops and participants ---------------------------------------------------------------


@transaction.atomic
def workshop_create(*, user: User, name: str, description: str = "", **flags: bool) -> Workshop:
    """A workshop with the caller as facilitator (and their facilitator seat)."""
    workshop = Workshop.objects.create(name=name, description=description, facilitator=user, **flags)
    Participant.objects.create(workshop=workshop, user=user, role=Participant.Role.FACILITATOR)
    workshop.my_role = Participant.Role.FACILITATOR
    return workshop


def workshop_update(*, workshop: Workshop, data: dict[str, Any]) -> Workshop:
    workshop, _ = model_update(instance=workshop, fields=WORKSHOP_FIELDS, data=data)
    return workshop


@transaction.atomic
def participant_add(*, workshop: Workshop, user_id: int, role: str) -> Participant:
    """Seat a user; in a randomised phase already under way they get their own order at once."""
    user = User.objects.filter(pk=user_id, is_active=True).only("id", "username").first()
    if user is None:
        raise UnknownUser()
    try:
        with transaction.atomic():
            seat = Participant.objects.create(workshop=workshop, user=user, role=role)
    except IntegrityError:
        raise ParticipantExists() from None
    phase = selectors.trace_phase(workshop.current_phase)
    if phase is not None and selectors.randomized(workshop, phase) and role != Participant.Role.FACILITATOR:
        trace_ids = list(
            PhaseTrace.objects.filter(workshop=workshop, phase=phase)
            .order_by("position")
            .values_list("trace_id", flat=True)
        )
        _insert_orders(phase, [(seat.pk, 0, trace_ids)])
    events.progress(workshop_id=workshop.pk, kind="participants")
    return seat


def _seat(workshop: Workshop, user_id: int) -> Participant:
    seat = Participant.objects.select_related("user").filter(workshop=workshop, user_id=user_id).first()
    if seat is None:
        raise ParticipantNotFound()
    if seat.role == Participant.Role.FACILITATOR:
        raise FacilitatorSeat()
    return seat


def participant_update(*, workshop: Workshop, user_id: int, role: str) -> Participant:
    if role == Participant.Role.FACILITATOR:
        raise FacilitatorSeat("A workshop has one facilitator.")
    seat = _seat(workshop, user_id)
    seat, _ = model_update(instance=seat, fields=("role",), data={"role": role})
    return seat


@transaction.atomic
def participant_remove(*, workshop: Workshop, user_id: int) -> None:
    _seat(workshop, user_id).delete()
    events.progress(workshop_id=workshop.pk, kind="participants")


# --- traces ------------------------------------------------------------------------------------


@transaction.atomic
def traces_load(*, workshop: Workshop, items: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Upsert validated traces on (workshop, external_id) in one statement; findings and
    annotations on re-loaded traces stay (rows are updated in place, never replaced)."""
    external_ids = [item["external_id"] for item in items]
    existing = set(
        Trace.objects.filter(workshop=workshop, external_id__in=external_ids).values_list("external_id", flat=True)
    )
    Trace.objects.bulk_create(
        [
            Trace(
                workshop=workshop,
                external_id=item["external_id"],
                input=item["input"],
                output=item["output"],
                context=item.get("context"),
                metadata=item.get("metadata"),
            )
            for item in items
        ],
        update_conflicts=True,
        unique_fields=["workshop", "external_id"],
        update_fields=["input", "output", "context", "metadata"],
    )
    events.progress(workshop_id=workshop.pk, kind="traces")
    updated = len(existing)
    return {"created": len(set(external_ids)) - updated, "updated": updated}


# --- phases ------------------------------------------------------------------------------------

# Advancing into a phase needs the first n prerequisites, checked in this order.
PREREQUISITES = (
    ("has_traces", NoTracesLoaded),
    ("has_findings", NoFindings),
    ("has_questions", NoRubricQuestions),
    ("has_annotations", NoAnnotations),
)
NEEDED: dict[str, int] = {
    Phase.DISCOVERY: 1,
    Phase.RUBRIC: 2,
    Phase.ANNOTATION: 3,
    Phase.RESULTS: 4,
    Phase.JUDGE_TUNING: 4,
}


def deterministic_order(participant_id: int, trace_ids: Sequence[int]) -> list[int]:
    """The participant's shuffle of `trace_ids`: seeded from the participant and the sorted ids,
    so the same participant and traces always give the same order."""
    ids = sorted(trace_ids)
    digest = hashlib.sha256(f"{participant_id}:{','.join(map(str, ids))}".encode()).digest()
    rng = random.Random(int.from_bytes(digest[:8], "big"))  # noqa: S311 - an order, not a secret
    rng.shuffle(ids)
    return ids


def _insert_orders(phase: str, plans: list[tuple[int, int, list[int]]]) -> None:
    """One INSERT for every participant's new rows: (participant id, last position, trace ids to shuffle)."""
    participants: list[int] = []
    traces: list[int] = []
    positions: list[int] = []
    for participant_id, last, trace_ids in plans:
        for offset, trace_id in enumerate(deterministic_order(participant_id, trace_ids), start=1):
            participants.append(participant_id)
            traces.append(trace_id)
            positions.append(last + offset)
    if not traces:
        return
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":  # the embedded default: one statement per row
            cursor.executemany(
                f"INSERT INTO {TraceOrder._meta.db_table} (participant_id, phase, trace_id, position) "  # noqa: S608
                "VALUES (%s, %s, %s, %s)",
                [(p, phase, t, n) for p, t, n in zip(participants, traces, positions, strict=True)],
            )
            return
        # arrays bound as three parameters: one statement however many rows
        cursor.execute(
            f"INSERT INTO {TraceOrder._meta.db_table} (participant_id, phase, trace_id, position) "  # noqa: S608
            "SELECT p, %s, t, n FROM unnest(%s::bigint[], %s::bigint[], %s::integer[]) AS u(p, t, n)",
            [phase, participants, traces, positions],
        )


def _activate(workshop: Workshop, phase: str, limit: int | None, randomize: bool) -> list[int]:
    """The next `limit` traces (by id) not yet active in `phase` join it at the end; with
    randomisation each rater's order gets them appended, shuffled among themselves."""
    table, traces = PhaseTrace._meta.db_table, Trace._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (workshop_id, phase, trace_id, position) "  # noqa: S608 - our own table names
            f"SELECT %s, %s, t.id, COALESCE((SELECT MAX(position) FROM {table} "
            "WHERE workshop_id = %s AND phase = %s), 0) + ROW_NUMBER() OVER (ORDER BY t.id) "
            f"FROM (SELECT id FROM {traces} WHERE workshop_id = %s AND id NOT IN "
            f"(SELECT trace_id FROM {table} WHERE workshop_id = %s AND phase = %s) ORDER BY id LIMIT %s) t "
            "RETURNING trace_id",
            # no limit: the largest bigint (SQLite refuses LIMIT NULL, which PostgreSQL reads as "all")
            [
                workshop.pk,
                phase,
                workshop.pk,
                phase,
                workshop.pk,
                workshop.pk,
                phase,
                limit if limit is not None else 2**63 - 1,
            ],
        )
        added = [row[0] for row in cursor.fetchall()]
    if randomize and added:
        # each rater's last position in this phase, in one grouped read
        seats = (
            Participant.objects.filter(workshop=workshop)
            .exclude(role=Participant.Role.FACILITATOR)
            .values_list("id", flat=True)
        )
        last = dict(
            TraceOrder.objects.filter(participant__workshop=workshop, phase=phase)
            .values_list("participant_id")
            .annotate(last=Max("position"))
            .order_by()
        )
        _insert_orders(phase, [(seat_id, last.get(seat_id, 0), added) for seat_id in seats])
    return added


def _check(workshop: Workshop, target: str) -> None:
    held = selectors.prerequisites(workshop_id=workshop.pk)
    for name, error in PREREQUISITES[: NEEDED[target]]:
        if not held[name]:
            raise error()


def _enter(workshop: Workshop, target: str) -> None:
    done = [*workshop.completed_phases]
    if workshop.current_phase not in done:
        done.append(workshop.current_phase)
    workshop.current_phase = target
    workshop.completed_phases = done
    workshop.save(update_fields=["current_phase", "completed_phases", "discovery_randomize", "annotation_randomize"])
    events.phase_changed(workshop_id=workshop.pk, phase=target, completed_phases=done)


@transaction.atomic
def phase_action(
    *,
    workshop: Workshop,
    action: str,
    trace_limit: int | None = None,
    randomize: bool | None = None,
    count: int | None = None,
    confirm: bool = False,
) -> Workshop:
    """`begin_discovery`, `begin_annotation`, `add_traces`, `advance` or `reset` (see the API docs)."""
    locked = Workshop.objects.select_for_update().get(pk=workshop.pk)
    for name in ("my_role", "my_participant_id", "caller_id"):
        setattr(locked, name, getattr(workshop, name, None))
    current = locked.current_phase
    if action == "reset":
        return _reset(locked, confirm)
    if action == "add_traces":
        phase = selectors.trace_phase(current)
        if current not in (Phase.DISCOVERY, Phase.ANNOTATION) or phase is None:
            raise PhaseOutOfOrder("Traces join the discovery or annotation phase, while it runs.")
        _activate(locked, phase, count, selectors.randomized(locked, phase))
        events.progress(workshop_id=locked.pk, kind="traces")
        return locked
    if action == "begin_discovery":
        target = Phase.DISCOVERY
        if current != Phase.INTAKE:
            raise PhaseOutOfOrder("Discovery begins from intake.")
    elif action == "begin_annotation":
        target = Phase.ANNOTATION
        if current != Phase.RUBRIC:
            raise PhaseOutOfOrder("Annotation begins from the rubric phase.")
    else:  # advance
        index = PHASE_ORDER.index(current)
        if index + 1 == len(PHASE_ORDER):
            raise NoNextPhase()
        target = Phase(PHASE_ORDER[index + 1])
    _check(locked, target)
    if target in (Phase.DISCOVERY, Phase.ANNOTATION):
        flag = "discovery_randomize" if target == Phase.DISCOVERY else "annotation_randomize"
        if randomize is not None:
            setattr(locked, flag, randomize)
        _activate(locked, target, trace_limit, getattr(locked, flag))
    _enter(locked, target)
    return locked


def _reset(workshop: Workshop, confirm: bool) -> Workshop:
    if not confirm:
        raise ConfirmRequired()
    if workshop.current_phase == Phase.DISCOVERY:
        Finding.objects.filter(workshop=workshop).delete()
        Participant.objects.filter(workshop=workshop).update(discovery_completed_at=None)
    elif workshop.current_phase == Phase.ANNOTATION:
        Annotation.objects.filter(workshop=workshop).delete()
        _bump_metrics(workshop)
    else:
        raise NothingToReset()
    events.progress(workshop_id=workshop.pk, kind="reset")
    return workshop


# --- findings and discovery ----------------------------------------------------------------


def _trace_exists(workshop: Workshop, trace_id: int) -> None:
    if not Trace.objects.filter(workshop=workshop, pk=trace_id).exists():
        raise UnknownTrace()


@transaction.atomic
def finding_upsert(*, workshop: Workshop, user: User, trace_id: int, insight: str) -> Finding:
    """One finding per user and trace: a second POST replaces the insight."""
    _trace_exists(workshop, trace_id)
    now = timezone.now()
    (finding,) = Finding.objects.bulk_create(
        [Finding(workshop=workshop, user=user, trace_id=trace_id, insight=insight, created_at=now, updated_at=now)],
        update_conflicts=True,
        unique_fields=["trace", "user"],
        update_fields=["insight", "updated_at"],
    )
    events.progress(workshop_id=workshop.pk, kind="findings")
    return finding


@transaction.atomic
def discovery_complete(*, workshop: Workshop) -> None:
    Participant.objects.filter(pk=workshop.my_participant_id, discovery_completed_at__isnull=True).update(
        discovery_completed_at=timezone.now()
    )
    events.progress(workshop_id=workshop.pk, kind="discovery")


# --- rubric ------------------------------------------------------------------------------------


@transaction.atomic
def question_create(*, workshop: Workshop, **data: Any) -> RubricQuestion:
    last = RubricQuestion.objects.filter(workshop=workshop).aggregate(last=Max("position"))["last"]
    return RubricQuestion.objects.create(workshop=workshop, position=(last or 0) + 1, **data)


def _question(workshop: Workshop, question_id: int) -> RubricQuestion:
    question = RubricQuestion.objects.filter(workshop=workshop, pk=question_id, deleted_at__isnull=True).first()
    if question is None:
        raise QuestionNotFound()
    return question


@transaction.atomic
def question_update(*, workshop: Workshop, question_id: int, data: dict[str, Any]) -> RubricQuestion:
    question, changed = model_update(
        instance=_question(workshop, question_id),
        fields=("title", "description", "judge_type", "binary_labels", "position"),
        data=data,
    )
    if "judge_type" in changed:
        _bump_metrics(workshop)
    return question


@transaction.atomic
def question_delete(*, workshop: Workshop, question_id: int) -> None:
    """Soft delete: its ratings stay on the annotations but leave every metric."""
    deleted = RubricQuestion.objects.filter(workshop=workshop, pk=question_id, deleted_at__isnull=True).update(
        deleted_at=timezone.now()
    )
    if not deleted:
        raise QuestionNotFound()
    _bump_metrics(workshop)


# --- annotations ---------------------------------------------------------------------------------


def _bump_metrics(workshop: Workshop) -> None:
    """In the write's own transaction: cached agreement figures at the old version are dead."""
    Workshop.objects.filter(pk=workshop.pk).update(metrics_version=F("metrics_version") + 1)


def check_rating(question: Mapping[str, Any], value: Any) -> None:
    kind = question["judge_type"]
    name = f"question {question['id']} ({question['title']!r})"
    if kind == JudgeType.FREEFORM:
        if not isinstance(value, str):
            raise InvalidRating(f"{name} takes text.")
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRating(f"{name} takes an integer.")
    allowed = range(1, 6) if kind == JudgeType.LIKERT else range(2)
    if value not in allowed:
        raise InvalidRating(f"{name} takes {allowed.start} to {allowed.stop - 1}.")


@transaction.atomic
def annotation_upsert(
    *, workshop: Workshop, user: User, trace_id: int, ratings: dict[str, Any], comment: str = ""
) -> Annotation:
    """One annotation per user and trace; every rating checked against its live question's type."""
    if workshop.my_role == Participant.Role.FACILITATOR:
        raise FacilitatorDoesNotAnnotate()
    _trace_exists(workshop, trace_id)
    questions = {
        str(q["id"]): q
        for q in RubricQuestion.objects.filter(workshop=workshop, deleted_at__isnull=True).values(
            "id", "title", "judge_type"
        )
    }
    for key, value in ratings.items():
        if key not in questions:
            raise UnknownQuestion(f"No live rubric question {key} in this workshop.")
        check_rating(questions[key], value)
    now = timezone.now()
    (annotation,) = Annotation.objects.bulk_create(
        [
            Annotation(
                workshop=workshop,
                user=user,
                trace_id=trace_id,
                ratings=ratings,
                comment=comment,
                created_at=now,
                updated_at=now,
            )
        ],
        update_conflicts=True,
        unique_fields=["trace", "user"],
        update_fields=["ratings", "comment", "updated_at"],
    )
    _bump_metrics(workshop)
    events.progress(workshop_id=workshop.pk, kind="annotations")
    return annotation


# --- notes -----------------------------------------------------------------------------------------------------


def _notes_allowed(workshop: Workshop) -> None:
    if not workshop.show_participant_notes and workshop.my_role != Participant.Role.FACILITATOR:
        raise NotesHidden()


def note_add(
    *, workshop: Workshop, user: User, content: str, trace_id: int | None = None, phase: str | None = None
) -> Note:
    """Append a note (notes are never edited)."""
    _notes_allowed(workshop)
    if trace_id is not None:
        _trace_exists(workshop, trace_id)
    return Note.objects.create(
        workshop=workshop, user=user, trace_id=trace_id, phase=phase or workshop.current_phase, content=content
    )


def note_delete(*, workshop: Workshop, user: User, note_id: int) -> None:
    """Delete one of the caller's own notes."""
    _notes_allowed(workshop)
    deleted, _ = Note.objects.filter(workshop=workshop, user=user, pk=note_id).delete()
    if not deleted:
        raise NoteNotFound()


# --- judge -----------------------------------------------------------------------------------------------------


@transaction.atomic
def prompt_create(*, workshop: Workshop, prompt_text: str, judge_type: str, model_name: str = "") -> JudgePrompt:
    """The workshop's next prompt version (the workshop row locked, so versions never collide)."""
    Workshop.objects.select_for_update().filter(pk=workshop.pk).values_list("pk").get()
    last = JudgePrompt.objects.filter(workshop=workshop).aggregate(last=Max("version"))["last"] or 0
    return JudgePrompt.objects.create(
        workshop=workshop, prompt_text=prompt_text, judge_type=judge_type, model_name=model_name, version=last + 1
    )


@transaction.atomic
def evaluations_load(*, workshop: Workshop, prompt: JudgePrompt, items: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Upsert a judge run's predictions on (prompt, trace), all or nothing: an unknown trace id
    is a 400 naming its index."""
    trace_ids = [item["trace_id"] for item in items]
    known = set(Trace.objects.filter(workshop=workshop, pk__in=trace_ids).values_list("pk", flat=True))
    for index, trace_id in enumerate(trace_ids):
        if trace_id not in known:
            raise InvalidEvaluation(
                f"evaluations[{index}]: no trace {trace_id} in this workshop.", extra={"index": index}
            )
    existing = set(
        JudgeEvaluation.objects.filter(prompt=prompt, trace_id__in=trace_ids).values_list("trace_id", flat=True)
    )
    JudgeEvaluation.objects.bulk_create(
        [
            JudgeEvaluation(
                prompt=prompt,
                trace_id=item["trace_id"],
                predicted_rating=item.get("predicted_rating"),
                confidence=item.get("confidence"),
                reasoning=item.get("reasoning", ""),
            )
            for item in items
        ],
        update_conflicts=True,
        unique_fields=["prompt", "trace"],
        update_fields=["predicted_rating", "confidence", "reasoning"],
    )
    _bump_metrics(workshop)
    return {"created": len(set(trace_ids)) - len(existing), "updated": len(existing)}
