"""Agreement statistics in plain Python: Cohen's kappa (plain and quadratic-weighted) and
Krippendorff's alpha (interval and nominal).

Pure functions over plain lists, so the tests can cross-check every figure against
scikit-learn and the `krippendorff` package (test dependencies only). Each returns an
`Agreement`: the value, and whether the table was degenerate. A degenerate table (every
rating identical, so chance agreement is total and the textbook formula divides by zero)
answers 1.0 with `degenerate=True`, never NaN.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

Value = int | float


@dataclass(frozen=True)
class Agreement:
    value: float
    degenerate: bool = False


def cohen_kappa(a: Sequence[Value], b: Sequence[Value]) -> Agreement:
    """Cohen's kappa of two raters over the same items; chance agreement over the categories
    actually used (so binary 0/1 data is judged on two categories, not five)."""
    if len(a) != len(b) or not a:
        raise ValueError("two equally long, non-empty rating lists are needed")
    n = len(a)
    observed = sum(1 for x, y in zip(a, b, strict=True) if x == y) / n
    count_a, count_b = Counter(a), Counter(b)
    expected = sum(count_a[c] * count_b[c] for c in count_a) / (n * n)
    if expected == 1:
        return Agreement(1.0, degenerate=True)
    return Agreement((observed - expected) / (1 - expected))


def weighted_kappa(a: Sequence[Value], b: Sequence[Value], scale: Sequence[Value]) -> Agreement:
    """Quadratic-weighted Cohen's kappa on an ordered `scale` (likert: 1..5): a disagreement
    costs the squared distance between the two categories' places on the scale."""
    if len(a) != len(b) or not a:
        raise ValueError("two equally long, non-empty rating lists are needed")
    place = {value: i for i, value in enumerate(scale)}
    k = len(scale)
    n = len(a)
    observed = [[0] * k for _ in range(k)]
    for x, y in zip(a, b, strict=True):
        observed[place[x]][place[y]] += 1
    rows = [sum(observed[i]) for i in range(k)]
    cols = [sum(observed[i][j] for i in range(k)) for j in range(k)]
    disagreement = sum((i - j) ** 2 * observed[i][j] for i in range(k) for j in range(k))
    chance = sum((i - j) ** 2 * rows[i] * cols[j] / n for i in range(k) for j in range(k))
    if chance == 0:
        return Agreement(1.0, degenerate=True)
    return Agreement(1 - disagreement / chance)


def krippendorff_alpha(table: Sequence[Sequence[Value | None]], level: str = "interval") -> Agreement:
    """Krippendorff's alpha of a raters x units table (None: not rated), `level` "interval"
    or "nominal". Units with fewer than two ratings are not pairable and are left out."""
    if level not in ("interval", "nominal"):
        raise ValueError(f"unknown level {level!r}")
    units: list[list[Value]] = []
    n_units = max((len(row) for row in table), default=0)
    for u in range(n_units):
        rated = [value for row in table if u < len(row) and (value := row[u]) is not None]
        if len(rated) >= 2:
            units.append(rated)
    n = sum(len(values) for values in units)
    if n == 0:
        raise ValueError("no unit has two ratings")

    def delta(c: Value, k: Value) -> float:
        if level == "nominal":
            return 0.0 if c == k else 1.0
        return float(c - k) ** 2

    # observed disagreement: within each unit, every ordered pair of its values, weighted 1/(m-1)
    observed = 0.0
    for unit in units:
        counts: Counter[Value] = Counter(unit)
        pairs = sum(counts[c] * counts[k] * delta(c, k) for c in counts for k in counts if c != k)
        observed += pairs / (len(unit) - 1)
    totals: Counter[Value] = Counter(v for unit in units for v in unit)
    expected = sum(totals[c] * totals[k] * delta(c, k) for c in totals for k in totals if c != k)
    if expected == 0:
        return Agreement(1.0, degenerate=True)
    return Agreement(1 - (n - 1) * observed / expected)


BANDS = ((0.0, "poor"), (0.2, "slight"), (0.4, "fair"), (0.6, "moderate"), (0.8, "substantial"))


def interpretation(value: float) -> str:
    """Landis and Koch's bands: poor (< 0), slight, fair, moderate, substantial, almost perfect (≥ 0.8)."""
    for bound, name in BANDS:
        if value < bound:
            return name
    return "almost perfect"


__all__ = ["Agreement", "cohen_kappa", "interpretation", "krippendorff_alpha", "weighted_kappa"]
