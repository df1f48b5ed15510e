"""Judge prompts, evaluation imports (all or nothing, upsert) and metrics against the human ratings."""

import pytest
from sklearn.metrics import cohen_kappa_score

from apps.workshops.judge import human_rating, judge_agreement
from apps.workshops.models import JudgeEvaluation
from tests.querybudget import assert_queries, assert_query_budget, declared, page_size
from tests.workshops.factories import AnnotationFactory, QuestionFactory, TraceFactory, make_team, make_workshop

pytestmark = pytest.mark.django_db


def test_human_rating_is_the_mode_and_ties_go_low():
    assert human_rating([4, 4, 5]) == 4
    assert human_rating([5, 3]) == 3
    assert human_rating([1, 1, 2, 2, 5]) == 1


def test_judge_agreement_figures():
    human = {1: [5], 2: [4, 4], 3: [1, 2], 4: [3]}
    result = judge_agreement(judge_type="likert", human=human, predicted={1: 5.2, 2: 3.0, 3: 1, 9: 4})
    assert result["traces"] == 3 and result["coverage"] == 0.75
    assert result["accuracy"] == pytest.approx(2 / 3, abs=1e-4)
    assert result["cohen_kappa"] == pytest.approx(cohen_kappa_score([5, 4, 1], [5, 3, 1]), abs=1e-4)
    assert result["confusion_matrix"][3][2] == 1  # human 4, judge 3
    assert result["weighted_kappa"] is not None
    assert judge_agreement(judge_type="freeform", human=human, predicted={})["scale"] is None
    assert judge_agreement(judge_type="binary", human={}, predicted={})["accuracy"] is None


def test_prompts_evaluations_and_metrics(client_for):
    team = make_team()
    base = f"/api/workshops/{team.workshop.pk}/judge-prompts/"
    facilitator = client_for(team.facilitator)
    first = facilitator.post(base, {"prompt_text": "Rate it", "judge_type": "binary"}, format="json")
    second = facilitator.post(base, {"prompt_text": "Rate it better", "judge_type": "binary"}, format="json")
    assert first.status_code == 201 and (first.json()["version"], second.json()["version"]) == (1, 2)
    assert client_for(team.alice).post(base, {"prompt_text": "x"}, format="json").status_code == 403
    assert [p["version"] for p in client_for(team.alice).get(base).json()["items"]] == [2, 1]
    question = QuestionFactory(workshop=team.workshop, judge_type="binary")
    traces = [TraceFactory(workshop=team.workshop) for _ in range(4)]
    for trace, a, b in zip(traces, [1, 1, 0, 0], [1, 0, 0, 0], strict=True):
        AnnotationFactory(workshop=team.workshop, trace=trace, user=team.alice, ratings={str(question.pk): a})
        AnnotationFactory(workshop=team.workshop, trace=trace, user=team.bob, ratings={str(question.pk): b})
    prompt = first.json()["id"]
    url = f"{base}{prompt}/evaluations/"
    items = [{"trace_id": t.pk, "predicted_rating": p} for t, p in zip(traces, [1, 0, 1, 0], strict=True)]
    loaded = facilitator.post(url, {"evaluations": items}, format="json")
    assert loaded.status_code == 200 and loaded.json() == {"created": 4, "updated": 0}
    foreign = TraceFactory(workshop=make_workshop())
    bad = facilitator.post(
        url, {"evaluations": [items[0], {"trace_id": foreign.pk, "predicted_rating": 1}]}, format="json"
    )
    assert bad.status_code == 400 and bad.json()["index"] == 1 and bad.json()["code"] == "invalid_evaluation"
    malformed = facilitator.post(url, {"evaluations": [items[0], {"trace_id": "x"}]}, format="json")
    assert malformed.status_code == 400 and malformed.json()["index"] == 1
    assert facilitator.post(url, {"evaluations": [items[0], items[0]]}, format="json").status_code == 400
    assert JudgeEvaluation.objects.count() == 4  # nothing half-stored
    metrics_url = f"{base}{prompt}/metrics/"
    budget = declared("GET", metrics_url)
    metrics = assert_queries(lambda: facilitator.get(metrics_url), budget.queries).json()
    # human: mode with ties low -> [1, 0, 0, 0]; judge [1, 0, 1, 0]
    assert metrics["accuracy"] == 0.75 and metrics["coverage"] == 1.0
    assert metrics["cohen_kappa"] == pytest.approx(cohen_kappa_score([1, 0, 0, 0], [1, 0, 1, 0]), abs=1e-4)
    assert metrics["question_id"] == question.pk and metrics["weighted_kappa"] is None
    # an evaluation write bumps the version: the re-import is seen at once
    items[2]["predicted_rating"] = 0
    assert facilitator.post(url, {"evaluations": items}, format="json").json() == {"created": 0, "updated": 4}
    assert facilitator.get(metrics_url).json()["accuracy"] == 1.0
    assert client_for(team.alice).get(metrics_url).status_code == 403
    assert facilitator.get(f"{base}{10**12}/metrics/").status_code == 404


def test_judge_budgets(client_for):
    team = make_team()
    facilitator = client_for(team.facilitator)
    base = f"/api/workshops/{team.workshop.pk}/judge-prompts/"
    created = assert_queries(
        lambda: facilitator.post(base, {"prompt_text": "p"}, format="json"), declared("POST", base).queries
    )
    assert_query_budget(
        request=lambda: facilitator.get(base + "?limit=200"),
        add_rows=lambda n: [facilitator.post(base, {"prompt_text": "p"}, format="json") for _ in range(n)],
        budget=declared("GET", base),
        expect_items=lambda r: page_size(r) - 1,
    )
    url = f"{base}{created.json()['id']}/evaluations/"

    def add(n):
        traces = [TraceFactory(workshop=team.workshop) for _ in range(n)]
        body = {"evaluations": [{"trace_id": t.pk, "predicted_rating": 3} for t in traces]}
        assert_queries(lambda: facilitator.post(url, body, format="json"), declared("POST", url).queries)

    assert_query_budget(
        request=lambda: facilitator.get(url + "?limit=200"),
        add_rows=add,
        budget=declared("GET", url),
        expect_items=page_size,
    )
