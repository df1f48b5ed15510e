"""The built-in coach: deterministic, rotating technical → behavioral → situational, following up
when an answer missed the key points, in the posting's language; feedback finds the gaps."""

import pytest

from apps.interviews.coach import BuiltinCoach, CoachError, Context, level_of, validate_feedback, validate_question

pytestmark = pytest.mark.django_db  # no query; the session fixtures expect the test database


def ctx(**kwargs):
    base = {"title": "Backend", "experience_level": "middle", "tech_stack": ["python", "sql"], "language": "en"}
    return Context(**{**base, **kwargs})


def converse(context: Context, answers: list[str]) -> list[dict]:
    coach = BuiltinCoach()
    asked = []
    for answer in answers:
        q = validate_question(coach.next_question(context))
        asked.append(q)
        context.messages.append(
            {
                "message_type": "question",
                "question_type": q["question_type"],
                "content": q["content"],
                "meta": {k: q[k] for k in ("key_points", "follow_up", "topic")} | {"source": q.get("source", "")},
            }
        )
        text = answer if answer != "GOOD" else " ".join(q["key_points"])
        context.messages.append(
            {"message_type": "answer", "question_type": q["question_type"], "content": text, "meta": {}}
        )
    return asked


def test_rotation_and_determinism():
    first = converse(ctx(session_id=7), ["GOOD"] * 4)
    assert [q["question_type"] for q in first] == ["technical", "behavioral", "situational", "technical"]
    assert not any(q["follow_up"] for q in first)
    again = converse(ctx(session_id=7), ["GOOD"] * 4)
    assert [q["content"] for q in again] == [q["content"] for q in first]
    assert first[0]["content"] != first[3]["content"]  # a question is not asked twice while others remain


def test_a_missed_answer_gets_a_follow_up_then_rotation_goes_on():
    asked = converse(ctx(session_id=3), ["I don't know", "GOOD", "GOOD"])
    assert asked[1]["follow_up"] and asked[1]["question_type"] == "technical"
    assert set(asked[1]["key_points"]) == set(asked[0]["key_points"])
    assert asked[2]["question_type"] == "behavioral" and not asked[2]["follow_up"]


def test_the_resume_steers_the_stack_and_the_language_is_the_postings():
    q = converse(ctx(resume="I write SQL every day", tech_stack=["python", "sql"], language="uk"), ["GOOD"])[0]
    assert q["topic"] == "sql"
    assert any("\u0400" <= ch <= "\u04ff" for ch in q["content"])  # Cyrillic


def test_feedback_scores_coverage_and_finds_gaps():
    context = ctx(session_id=5)
    converse(context, ["GOOD", "nothing much"])
    data = validate_feedback(BuiltinCoach().feedback(context))
    assert data["technical_score"] == 100
    assert data["knowledge_gaps"]  # the behavioral answer missed its points
    assert data["learning_recommendations"]
    assert data["overall_score"] == round(
        sum(data[k] for k in ("technical_score", "communication_score", "problem_solving_score", "relevance_score")) / 4
    )
    assert validate_feedback(BuiltinCoach().feedback(context)) == data  # deterministic


def test_levels():
    assert level_of("Senior engineer") == "senior" and level_of("junior") == "junior" and level_of("") == "middle"


@pytest.mark.parametrize(
    "bad",
    [
        None,
        {"content": "", "question_type": "technical"},
        {"content": "q", "question_type": "trivia"},
        {"content": "q", "question_type": "technical", "key_points": "x"},
    ],
)
def test_bad_questions_are_refused(bad):
    with pytest.raises(CoachError) as error:
        validate_question(bad)
    assert error.value.code == "bad_output"


@pytest.mark.parametrize(
    "bad",
    [
        [],
        {"technical_score": 101},
        {"technical_score": True},
        {
            **dict.fromkeys(("technical_score", "communication_score", "problem_solving_score", "relevance_score"), 50),
            "knowledge_gaps": [1],
        },
    ],
)
def test_bad_feedback_is_refused(bad):
    with pytest.raises(CoachError):
        validate_feedback(bad)
