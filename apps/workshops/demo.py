"""Demo data for workshops: one workshop in annotation with a few traces, findings and ratings."""

from __future__ import annotations

from apps.workshops import selectors, services
from apps.workshops.models import Participant, Workshop

DEMO_NAME = "Demo: support bot evaluation"
DEMO_TRACES = (
    ("t-1", "How do I reset my password?", "Click 'Forgot password' on the sign-in page."),
    ("t-2", "Can I get a refund after 60 days?", "Yes, refunds are always available."),
    ("t-3", "Where is my order #1234?", "I cannot look up orders; please contact support."),
    ("t-4", "Do you ship to Canada?", "We ship to the US and Canada."),
)


def seed_demo(*, users, stdout) -> None:
    """alice facilitates; bob and carol rate. Runs once; a second run changes nothing."""
    if Workshop.objects.filter(name=DEMO_NAME).exists():
        stdout.write("workshops: demo workshop already there")
        return
    alice, bob, carol = users["alice"], users["bob"], users["carol"]
    workshop = services.workshop_create(user=alice, name=DEMO_NAME, description="Rate the support bot's answers.")
    services.traces_load(
        workshop=workshop, items=[{"external_id": e, "input": i, "output": o} for e, i, o in DEMO_TRACES]
    )
    for user in (bob, carol):
        services.participant_add(workshop=workshop, user_id=user.pk, role=Participant.Role.PARTICIPANT)

    def as_user(user) -> Workshop:
        return selectors.workshop_for_participant(user=user, workshop_id=workshop.pk)

    services.phase_action(workshop=as_user(alice), action="begin_discovery")
    traces = list(workshop.traces.order_by("id"))
    services.finding_upsert(workshop=as_user(bob), user=bob, trace_id=traces[1].pk, insight="Wrong refund policy.")
    services.phase_action(workshop=as_user(alice), action="advance")
    accurate = services.question_create(workshop=workshop, title="Accurate?", judge_type="likert")
    helpful = services.question_create(workshop=workshop, title="Helpful?", judge_type="binary")
    services.phase_action(workshop=as_user(alice), action="begin_annotation")
    ratings = {bob: (5, 1, 4, 5), carol: (4, 1, 3, 5)}
    for user, scores in ratings.items():
        for trace, score in zip(traces, scores, strict=True):
            services.annotation_upsert(
                workshop=as_user(user),
                user=user,
                trace_id=trace.pk,
                ratings={str(accurate.pk): score, str(helpful.pk): int(score >= 3)},
            )
    stdout.write(f"workshops: '{DEMO_NAME}' in annotation (alice facilitates, bob and carol rate 4 traces)")
