"""Demo data for interview practice: alice's resume, two postings, a finished session with
feedback and a retake in progress, all made through the services and the built-in coach."""

from __future__ import annotations

from apps.interviews import services
from apps.interviews.models import JobPosting, Operation

ANSWERS = (
    "I would look at the query count first, then use select_related and prefetch_related so each query "
    "loads what the page shows.",
    "In my last team I disagreed about a release date. I explained the risk, we agreed on a smaller scope, "
    "and the result was an on-time release.",
    "First I would roll back, communicate with the team, then read the logs to find the cause.",
)


def seed_demo(*, users, stdout) -> None:
    """Runs once; a second run changes nothing."""
    alice = users["alice"]
    if JobPosting.objects.filter(user=alice).exists():
        stdout.write("interviews: demo data already there")
        return
    services.resume_put(user=alice, content="Backend developer: Python, Django, PostgreSQL, Redis; five years.")
    posting = services.posting_create(
        user=alice,
        title="Backend engineer",
        company="Acme",
        description="Build and run our Django services.",
        experience_level="middle",
        tech_stack=["python", "django", "sql"],
        language="en",
    )
    services.posting_create(
        user=alice,
        title="Python-розробник",
        company="Приклад",
        description="Розробка сервісів на Django.",
        experience_level="junior",
        tech_stack=["python"],
        language="uk",
    )
    session = services.session_create(user=alice, job_posting_id=posting.pk)
    for answer in ANSWERS:
        op = services.question_request(session=session, user=alice)
        services.operation_run(operation_id=op.pk)  # as the worker would, here and now
        services.answer_submit(session=session, content=answer)
    services.session_transition(session=session, action="complete")
    op = services.feedback_request(session=session, user=alice)
    services.operation_run(operation_id=op.pk)
    retake = services.session_retake(session=session)
    op = services.question_request(session=retake, user=alice)
    services.operation_run(operation_id=op.pk)
    done = Operation.objects.filter(user=alice, status=Operation.Status.COMPLETED).count()
    stdout.write(
        f"interviews: alice has a resume, 2 postings, a session with feedback and a retake ({done} operations)"
    )
