"""The agreement metrics against libraries no one here wrote: scikit-learn's cohen_kappa_score
(plain and quadratic) and the krippendorff package (interval and nominal), on hypothesis tables
with missing ratings, 2 to 10 raters, binary and likert. Degenerate tables (every rating the
same) answer 1.0 flagged degenerate and are left out of the comparison."""

import math

import krippendorff
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score

from apps.workshops.irr import question_agreement, workshop_agreement
from apps.workshops.metrics import cohen_kappa, interpretation, krippendorff_alpha, weighted_kappa

LIKERT = (1, 2, 3, 4, 5)
BINARY = (0, 1)
CHECKS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def rater_pairs(draw, scale):
    n = draw(st.integers(min_value=2, max_value=40))
    a = draw(st.lists(st.sampled_from(scale), min_size=n, max_size=n))
    b = draw(st.lists(st.sampled_from(scale), min_size=n, max_size=n))
    return a, b


@st.composite
def tables(draw, scale):
    raters = draw(st.integers(min_value=2, max_value=10))
    units = draw(st.integers(min_value=2, max_value=25))
    cell = st.one_of(st.none(), st.sampled_from(scale))
    return [draw(st.lists(cell, min_size=units, max_size=units)) for _ in range(raters)]


def _pairable_values(table):
    return [
        v
        for u in range(len(table[0]))
        if sum(row[u] is not None for row in table) >= 2
        for row in table
        if (v := row[u]) is not None
    ]


@CHECKS
@given(st.one_of(rater_pairs(LIKERT), rater_pairs(BINARY)))
def test_cohen_kappa_equals_sklearn(pair):
    a, b = pair
    ours = cohen_kappa(a, b)
    if len(set(a) | set(b)) == 1:
        assert ours.value == 1.0 and ours.degenerate
        return
    assert not ours.degenerate
    assert math.isclose(ours.value, cohen_kappa_score(a, b), abs_tol=1e-9)


@CHECKS
@given(rater_pairs(LIKERT))
def test_quadratic_kappa_equals_sklearn(pair):
    a, b = pair
    ours = weighted_kappa(a, b, LIKERT)
    if ours.degenerate:
        assert len(set(a) | set(b)) == 1 and ours.value == 1.0
        return
    theirs = cohen_kappa_score(a, b, labels=list(LIKERT), weights="quadratic")
    assert math.isclose(ours.value, theirs, abs_tol=1e-9)


@CHECKS
@given(st.one_of(tables(LIKERT), tables(BINARY)), st.sampled_from(["interval", "nominal"]))
def test_krippendorff_alpha_equals_the_package(table, level):
    values = _pairable_values(table)
    if not values:
        with pytest.raises(ValueError):
            krippendorff_alpha(table, level)
        return
    ours = krippendorff_alpha(table, level)
    if len(set(values)) == 1:
        assert ours.value == 1.0 and ours.degenerate
        return
    data = np.array([[np.nan if v is None else v for v in row] for row in table], dtype=float)
    theirs = krippendorff.alpha(reliability_data=data, level_of_measurement=level)
    assert math.isclose(ours.value, theirs, abs_tol=1e-9), (ours, theirs)


def test_binary_kappa_uses_the_categories_actually_used():
    # two raters who agree on 3 of 4 binary items: over {0, 1} chance agreement is 0.5
    assert cohen_kappa([1, 1, 0, 0], [1, 1, 0, 1]).value == pytest.approx(0.5)


def test_degenerate_and_bad_input_are_defined():
    assert cohen_kappa([3, 3], [3, 3]).degenerate
    assert krippendorff_alpha([[2, 2, None], [2, 2, 2]]).degenerate
    with pytest.raises(ValueError):
        cohen_kappa([1], [1, 2])
    with pytest.raises(ValueError):
        weighted_kappa([], [], LIKERT)
    with pytest.raises(ValueError):
        krippendorff_alpha([[1, 2]], "ratio")
    assert [interpretation(v) for v in (-0.1, 0.1, 0.3, 0.5, 0.7, 0.9)] == [
        "poor",
        "slight",
        "fair",
        "moderate",
        "substantial",
        "almost perfect",
    ]


def test_question_agreement_picks_kappa_for_two_raters_on_the_same_traces_else_alpha():
    two = {1: {10: 1, 11: 1}, 2: {10: 0, 11: 1}, 3: {10: 0, 11: 0}, 4: {10: 1, 11: 0}}
    figure = question_agreement("binary", two)
    assert figure["metric"] == "cohen_kappa" and figure["traces"] == 4 and figure["raters"] == 2
    assert figure["value"] == pytest.approx(cohen_kappa_score([1, 0, 0, 1], [1, 1, 0, 0]))
    uneven = {**two, 5: {10: 1}}
    assert question_agreement("binary", uneven)["metric"] == "krippendorff_alpha_nominal"
    three = {1: {10: 1, 11: 2, 12: 1}, 2: {10: 4, 11: 5, 12: 4}}
    assert question_agreement("likert", three)["metric"] == "krippendorff_alpha_interval"
    assert question_agreement("likert", {1: {10: 3}})["value"] is None


def test_workshop_agreement_overall_completeness_and_patterns():
    questions = [{"id": 1, "title": "q", "judge_type": "likert"}, {"id": 2, "title": "f", "judge_type": "freeform"}]
    ratings = [
        (100, 10, {"1": 1, "2": "text"}),
        (100, 11, {"1": 5}),
        (101, 10, {"1": 1}),
        (101, 11, {"1": 4}),
        (102, 10, {"1": 1}),
        (102, 11, {"1": 3, "99": 5}),  # a deleted question's rating is ignored
    ]
    result = workshop_agreement(questions=questions, ratings=ratings, raters=2, active_traces=4)
    assert [q["question_id"] for q in result["questions"]] == [1]
    assert result["questions"][0]["metric"] == "cohen_kappa"
    assert result["completeness"] == 0.75 and result["overall"] == result["questions"][0]["value"]
    kinds = {(p["kind"], p.get("user_id"), p.get("trace_id")) for p in result["problematic_patterns"]}
    assert ("rater_never_varies", 10, None) in kinds and ("trace_spans_scale", None, 100) in kinds
    assert result["ready_to_proceed"] is False and result["interpretation"] == interpretation(result["overall"])
    empty = workshop_agreement(questions=[], ratings=[], raters=0, active_traces=0)
    assert empty["overall"] is None and empty["completeness"] == 0.0 and not empty["ready_to_proceed"]
