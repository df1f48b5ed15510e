"""The outside-model coach: the official `openai` package against any OpenAI-compatible server.

OPENAI_BASE_URL and INTERVIEWS_MODEL name the server and model; each call uses the user's own
key, a timeout (INTERVIEWS_COACH_TIMEOUT) and no retries of the client's own (a retry is an
explicit child operation). The answer must be a JSON object; `coach.validate_*` checks it before
anything is stored. Errors map to stable codes (`CoachError`); the key never reaches a log.
"""

from __future__ import annotations

import json
from typing import Any

import openai
from django.conf import settings

from apps.interviews.coach import ROTATION, CoachError, Context

SYSTEM = {
    "question": (
        "You are an interviewer. Reply with one JSON object only: "
        '{"content": "<the next question>", "question_type": "technical|behavioral|situational", '
        '"key_points": ["<what a good answer covers>"], "follow_up": false, "topic": "<topic>"}. '
        "Rotate question types technical, behavioral, situational; ask a follow-up when the last "
        "answer missed the question's key points. Write in the posting's language."
    ),
    "feedback": (
        "You are an interview coach. Score the candidate's answers. Reply with one JSON object only "
        "with integer technical_score, communication_score, problem_solving_score, relevance_score "
        "(0-100), technical_feedback, communication_feedback, problem_solving_feedback, "
        "relevance_feedback (text), knowledge_gaps and learning_recommendations (lists of strings) "
        "and answer_notes (a list of objects)."
    ),
}


def client(api_key: str) -> openai.OpenAI:
    return openai.OpenAI(
        api_key=api_key,
        base_url=settings.OPENAI_BASE_URL,
        timeout=float(settings.INTERVIEWS_COACH_TIMEOUT),
        max_retries=0,
    )


def mapped(error: Exception) -> CoachError:
    """The stable code for a client error (the key is never part of the detail)."""
    if isinstance(error, openai.APITimeoutError):
        return CoachError("timeout")
    if isinstance(error, openai.AuthenticationError | openai.PermissionDeniedError):
        return CoachError("invalid_key")
    if isinstance(error, openai.RateLimitError):
        return CoachError("rate_limited")
    if isinstance(error, openai.APIStatusError):
        return CoachError("unavailable", f"HTTP {error.status_code}")
    return CoachError("unavailable", error.__class__.__name__)


def _prompt(ctx: Context) -> str:
    lines = [
        f"Posting: {ctx.title} ({ctx.experience_level or 'any level'}); stack: {', '.join(ctx.tech_stack)}; "
        f"language: {ctx.language}.",
        f"Resume:\n{ctx.resume[:4000]}",
        "Conversation so far:",
    ]
    for message in ctx.messages:
        lines.append(f"{message['message_type']} ({message['question_type']}): {message['content'][:4000]}")
    return "\n".join(lines)


class OpenAICoach:
    def __init__(self, api_key: str) -> None:
        self.api_key = api_key

    def _ask(self, kind: str, ctx: Context) -> dict[str, Any]:
        try:
            completion = client(self.api_key).chat.completions.create(
                model=settings.INTERVIEWS_MODEL,
                messages=[{"role": "system", "content": SYSTEM[kind]}, {"role": "user", "content": _prompt(ctx)}],
                response_format={"type": "json_object"},
            )
        except openai.OpenAIError as error:
            raise mapped(error) from None
        try:
            text = completion.choices[0].message.content or ""
            data = json.loads(text)
        except (IndexError, AttributeError, TypeError, ValueError):
            raise CoachError("bad_output", "the reply is not a JSON object") from None
        if not isinstance(data, dict):
            raise CoachError("bad_output", "the reply is not a JSON object")
        return data

    def next_question(self, ctx: Context) -> dict[str, Any]:
        data = self._ask("question", ctx)
        if data.get("question_type") not in ROTATION:
            raise CoachError("bad_output", "unknown question_type")
        return data

    def feedback(self, ctx: Context) -> dict[str, Any]:
        return self._ask("feedback", ctx)


def validate_key(api_key: str) -> str:
    """'' when the server accepts the key, else the error code."""
    try:
        client(api_key).models.list()
    except openai.OpenAIError as error:
        return mapped(error).code
    return ""
