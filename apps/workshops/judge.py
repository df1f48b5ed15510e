"""Judge prompts against the human ratings: pure agreement figures (no queries here)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from apps.workshops.irr import SCALES
from apps.workshops.metrics import cohen_kappa, weighted_kappa
from apps.workshops.models import JudgeType


def human_rating(values: Sequence[int | float]) -> int | float:
    """The most common rating among a trace's annotators; a tie goes to the lower value."""
    counts = Counter(values)
    top = max(counts.values())
    return min(value for value, n in counts.items() if n == top)


def judge_agreement(
    *, judge_type: str, human: Mapping[int, Sequence[int | float]], predicted: Mapping[int, float | None]
) -> dict[str, Any]:
    """Accuracy, Cohen's kappa (and quadratic-weighted for likert), confusion matrix and coverage
    of the judge's predictions (rounded to the scale) against each trace's human rating."""
    scale = SCALES.get(judge_type)  # type: ignore[call-overload]
    if scale is None:
        return {
            "scale": None,
            "coverage": 0.0,
            "traces": 0,
            "accuracy": None,
            "cohen_kappa": None,
            "weighted_kappa": None,
            "degenerate": False,
            "confusion_matrix": [],
        }
    people = {trace: human_rating(values) for trace, values in human.items() if values}
    pairs = [
        (people[trace], min(scale, key=lambda v: abs(v - value)))
        for trace, value in sorted(predicted.items())
        if value is not None and trace in people
    ]
    matrix = [[0] * len(scale) for _ in scale]
    place = {value: i for i, value in enumerate(scale)}
    for truth, guess in pairs:
        matrix[place[truth]][place[guess]] += 1
    result: dict[str, Any] = {
        "scale": list(scale),
        "coverage": round(len(pairs) / len(people), 4) if people else 0.0,
        "traces": len(pairs),
        "accuracy": None,
        "cohen_kappa": None,
        "weighted_kappa": None,
        "degenerate": False,
        "confusion_matrix": matrix,
    }
    if pairs:
        truths, guesses = [p[0] for p in pairs], [p[1] for p in pairs]
        kappa = cohen_kappa(truths, guesses)
        result["accuracy"] = round(sum(t == g for t, g in pairs) / len(pairs), 4)
        result["cohen_kappa"] = round(kappa.value, 4)
        result["degenerate"] = kappa.degenerate
        if judge_type == JudgeType.LIKERT:
            result["weighted_kappa"] = round(weighted_kappa(truths, guesses, scale).value, 4)
    return result
