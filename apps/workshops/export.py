"""`GET /api/workshops/{id}/export/`: the whole workshop as one JSON document, streamed.

The body is written by an async generator (served by the ASGI handler without buffering):
the framing (`{"workshop": {...}, "traces": [...], ...}`) is written here, and each section's
rows are read in keyset chunks of `CHUNK` rows (`id > last`, one query each, run through
`sync_to_async`) and encoded row by row with orjson. Memory stays at one chunk whatever the size.

Queries: one per chunk of each section; a section's read stops at the first chunk shorter than
`CHUNK`, so a workshop with fewer than `CHUNK` rows in every section costs one query per section
(six), and each further full chunk of a section adds one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson
from asgiref.sync import sync_to_async
from django.db.models import QuerySet

from apps.workshops.models import (
    Annotation,
    Finding,
    JudgeEvaluation,
    JudgePrompt,
    RubricQuestion,
    Trace,
    Workshop,
)

CHUNK = 500
SECTION_QUERIES = 6  # traces, findings, annotations, rubric_questions, judge_prompts, evaluations

Section = tuple[str, Callable[[int], QuerySet[Any]], tuple[str, ...]]

SECTIONS: tuple[Section, ...] = (
    (
        "traces",
        lambda w: Trace.objects.filter(workshop_id=w),
        ("id", "external_id", "input", "output", "context", "metadata", "created_at"),
    ),
    (
        "findings",
        lambda w: Finding.objects.filter(workshop_id=w),
        ("id", "trace_id", "user_id", "insight", "created_at", "updated_at"),
    ),
    (
        "annotations",
        lambda w: Annotation.objects.filter(workshop_id=w),
        ("id", "trace_id", "user_id", "ratings", "comment", "created_at", "updated_at"),
    ),
    (
        "rubric_questions",
        lambda w: RubricQuestion.objects.filter(workshop_id=w),
        ("id", "title", "description", "judge_type", "binary_labels", "position", "deleted_at"),
    ),
    (
        "judge_prompts",
        lambda w: JudgePrompt.objects.filter(workshop_id=w),
        ("id", "version", "prompt_text", "judge_type", "model_name", "created_at"),
    ),
    (
        "evaluations",
        lambda w: JudgeEvaluation.objects.filter(prompt__workshop_id=w),
        ("id", "prompt_id", "trace_id", "predicted_rating", "confidence", "reasoning", "created_at"),
    ),
)


def workshop_header(workshop: Workshop) -> dict[str, Any]:
    return {
        "id": workshop.pk,
        "name": workshop.name,
        "description": workshop.description,
        "facilitator_id": workshop.facilitator_id,
        "status": workshop.status,
        "current_phase": workshop.current_phase,
        "completed_phases": workshop.completed_phases,
        "discovery_randomize": workshop.discovery_randomize,
        "annotation_randomize": workshop.annotation_randomize,
        "show_participant_notes": workshop.show_participant_notes,
        "created_at": workshop.created_at,
    }


def _chunk(queryset: QuerySet[Any], fields: tuple[str, ...], after: int) -> list[dict[str, Any]]:
    return list(queryset.filter(id__gt=after).order_by("id").values(*fields)[:CHUNK])


async def export_document(workshop: Workshop) -> AsyncIterator[bytes]:
    """The export's bytes, one chunk of rows at a time."""
    yield b'{"workshop":' + orjson.dumps(workshop_header(workshop))
    for name, rows_of, fields in SECTIONS:
        yield b',"' + name.encode() + b'":['
        queryset = rows_of(workshop.pk)
        after, first = 0, True
        while True:
            rows = await sync_to_async(_chunk)(queryset, fields, after)
            if rows:
                body = b",".join(orjson.dumps(row) for row in rows)
                yield body if first else b"," + body
                first, after = False, rows[-1]["id"]
            if len(rows) < CHUNK:
                break
        yield b"]"
    yield b"}"
