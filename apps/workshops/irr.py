"""The workshop's inter-rater agreement from its raw ratings (pure: no queries here)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from statistics import mean
from typing import Any

from apps.workshops.metrics import cohen_kappa, interpretation, krippendorff_alpha
from apps.workshops.models import JudgeType

READY_THRESHOLD = 0.3
SCALES = {JudgeType.LIKERT: (1, 2, 3, 4, 5), JudgeType.BINARY: (0, 1)}
MIN_RATINGS_FOR_NO_VARIATION = 3


def question_agreement(judge_type: str, by_trace: dict[int, dict[int, int | float]]) -> dict[str, Any]:
    """Cohen's kappa when exactly two raters rated the same traces, Krippendorff's alpha otherwise
    (interval for likert, nominal for binary), with the traces and raters used."""
    raters = sorted({user for ratings in by_trace.values() for user in ratings})
    pairable = {trace: ratings for trace, ratings in by_trace.items() if len(ratings) >= 2}
    if not pairable:
        return {"metric": None, "value": None, "degenerate": False, "traces": 0, "raters": len(raters)}
    rated_by = {user: {trace for trace, ratings in by_trace.items() if user in ratings} for user in raters}
    if len(raters) == 2 and rated_by[raters[0]] == rated_by[raters[1]]:
        traces = sorted(rated_by[raters[0]])
        result = cohen_kappa([by_trace[t][raters[0]] for t in traces], [by_trace[t][raters[1]] for t in traces])
        metric = "cohen_kappa"
    else:
        traces = sorted(pairable)
        table = [[pairable[t].get(user) for t in traces] for user in raters]
        level = "interval" if judge_type == JudgeType.LIKERT else "nominal"
        result = krippendorff_alpha(table, level)
        metric = f"krippendorff_alpha_{level}"
    return {
        "metric": metric,
        "value": round(result.value, 4),
        "degenerate": result.degenerate,
        "traces": len(traces),
        "raters": len({u for t in traces for u in by_trace[t]}),
    }


def workshop_agreement(
    *,
    questions: Sequence[Mapping[str, Any]],
    ratings: Sequence[tuple[int, int, Mapping[str, Any]]],
    raters: int,
    active_traces: int,
) -> dict[str, Any]:
    """Per live, rated question (freeform has no agreement): the figure; then the overall mean,
    readiness, completeness and the problematic patterns."""
    scored = [q for q in questions if q["judge_type"] in SCALES]
    tables: dict[int, dict[int, dict[int, int | float]]] = {q["id"]: defaultdict(dict) for q in scored}
    for trace_id, user_id, given in ratings:
        for key, value in (given or {}).items():
            qid = int(key) if str(key).isdigit() else None
            if qid in tables and isinstance(value, int | float) and not isinstance(value, bool):
                tables[qid][trace_id][user_id] = value
    per_question = []
    patterns: list[dict[str, Any]] = []
    for question in scored:
        by_trace = tables[question["id"]]
        figure = question_agreement(question["judge_type"], by_trace)
        per_question.append({"question_id": question["id"], "title": question["title"], **figure})
        patterns.extend(_patterns(question, by_trace))
    figures = [q["value"] for q in per_question if q["value"] is not None]
    overall = round(mean(figures), 4) if figures else None
    assigned = raters * active_traces
    rated = len({(trace_id, user_id) for trace_id, user_id, given in ratings if given})
    return {
        "questions": per_question,
        "overall": overall,
        "ready_to_proceed": overall is not None and overall >= READY_THRESHOLD,
        "interpretation": None if overall is None else interpretation(overall),
        "completeness": round(min(1.0, rated / assigned), 4) if assigned else 0.0,
        "problematic_patterns": patterns,
    }


def _patterns(question: Mapping[str, Any], by_trace: dict[int, dict[int, int | float]]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    per_rater: dict[int, list[int | float]] = defaultdict(list)
    for ratings in by_trace.values():
        for user, value in ratings.items():
            per_rater[user].append(value)
    for user, values in sorted(per_rater.items()):
        if len(values) >= MIN_RATINGS_FOR_NO_VARIATION and len(set(values)) == 1:
            found.append({"kind": "rater_never_varies", "question_id": question["id"], "user_id": user})
    low, high = SCALES[question["judge_type"]][0], SCALES[question["judge_type"]][-1]
    for trace, ratings in sorted(by_trace.items()):
        if len(ratings) >= 2 and min(ratings.values()) == low and max(ratings.values()) == high:
            found.append({"kind": "trace_spans_scale", "question_id": question["id"], "trace_id": trace})
    return found
