"""Thin views on the core template (`apps.core.api`): scope, access and budget declared per view.

Every URL under /api/workshops/{id}/ is a `WorkshopView`: the workshop comes from the caller's
seat (strangers get 404) before any handler runs, and the method's rule is checked once.
Budgets count the token lookup; the comment beside each lists the queries.
"""

from __future__ import annotations

import hashlib
from typing import IO, Any, cast

import orjson
from django.http import StreamingHttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.api import AUTHENTICATED, MEMBER, BriskView, Budget, ScopedView
from apps.core.longpoll import LongPoll
from apps.workshops import export, selectors, services
from apps.workshops.events import workshop_group
from apps.workshops.exceptions import FacilitatorRequired, InvalidEvaluation, InvalidTraceItem, NotesHidden
from apps.workshops.models import Participant, Workshop
from apps.workshops.serializers import (
    AnnotationInSerializer,
    AnnotationSerializer,
    DiscoveryProgressSerializer,
    EvaluationInSerializer,
    EvaluationLoadSerializer,
    EvaluationSerializer,
    FindingInSerializer,
    FindingSerializer,
    IrrSerializer,
    JudgeMetricsSerializer,
    JudgePromptInSerializer,
    JudgePromptSerializer,
    NoteInSerializer,
    NoteSerializer,
    ParticipantAddSerializer,
    ParticipantSerializer,
    ParticipantUpdateSerializer,
    PhaseActionSerializer,
    QuestionInSerializer,
    QuestionSerializer,
    QuestionUpdateSerializer,
    TraceDetailSerializer,
    TraceInSerializer,
    TraceItemSerializer,
    TraceListParamsSerializer,
    TraceLoadResultSerializer,
    TraceLoadSerializer,
    WorkshopCreateSerializer,
    WorkshopItemSerializer,
    WorkshopSerializer,
    WorkshopStatusSerializer,
    WorkshopUpdateSerializer,
)
from apps.workshops.uploads import CsvUploadParser, JsonlUploadParser, rows_from_upload

FACILITATOR = "facilitator"
NOT_FOUND = OpenApiResponse(description="Not a workshop of the caller's (or no such object)")
FORBIDDEN = OpenApiResponse(description="Only the facilitator may do this")
CONFLICT = OpenApiResponse(description="The workshop's state does not allow this (the code says why)")


class WorkshopView(ScopedView):
    """Everything under /api/workshops/{id}/: the scope is the workshop, seen through the caller's seat."""

    scope: Workshop

    def get_scope(self) -> Workshop:
        # one query: the caller's seat with the workshop joined
        return selectors.workshop_for_participant(user=self.request.user, workshop_id=self.kwargs["workshop_id"])

    def check_access(self, rule: str) -> None:
        if rule == FACILITATOR:
            if self.scope.my_role != Participant.Role.FACILITATOR:
                raise FacilitatorRequired()
            return
        super().check_access(rule)


# --- workshops -------------------------------------------------------------------------------------


class WorkshopListView(BriskView):
    """The caller's workshops (facilitated or joined), newest first; POST creates one (the caller facilitates)."""

    serializer_class = WorkshopItemSerializer
    access = {"GET": AUTHENTICATED, "POST": AUTHENTICATED}
    # GET: token, count, page (the caller's seats, workshop joined). POST: token, workshop, seat
    query_budget = {"GET": 3, "POST": 3}

    @extend_schema(responses=WorkshopItemSerializer(many=True))
    def get(self, request: Request) -> Response:
        return self.page(selectors.workshop_list_rows(user=request.user), WorkshopItemSerializer)

    @extend_schema(request=WorkshopCreateSerializer, responses={201: WorkshopSerializer})
    def post(self, request: Request) -> Response:
        workshop = services.workshop_create(user=self.caller, **self.validated(WorkshopCreateSerializer))
        return Response(WorkshopSerializer(workshop).data, status=status.HTTP_201_CREATED)


class WorkshopDetailView(WorkshopView):
    """A workshop; PATCH changes its name, description, status or flags (facilitator)."""

    serializer_class = WorkshopSerializer
    access = {"GET": MEMBER, "PATCH": FACILITATOR}
    # token, seat with workshop (PATCH: + the UPDATE when something changed)
    query_budget = {"GET": 2, "PATCH": Budget(3, fewest=2)}

    @extend_schema(responses={200: WorkshopSerializer, 404: NOT_FOUND})
    def get(self, request: Request, workshop_id: int) -> Response:
        return Response(WorkshopSerializer(self.scope).data)

    @extend_schema(
        request=WorkshopUpdateSerializer, responses={200: WorkshopSerializer, 403: FORBIDDEN, 404: NOT_FOUND}
    )
    def patch(self, request: Request, workshop_id: int) -> Response:
        workshop = services.workshop_update(workshop=self.scope, data=self.validated(WorkshopUpdateSerializer))
        return Response(WorkshopSerializer(workshop).data)


# --- participants ----------------------------------------------------------------------------------


class ParticipantListView(WorkshopView):
    """The workshop's people and roles; POST seats a user (facilitator)."""

    serializer_class = ParticipantSerializer
    access = {"GET": MEMBER, "POST": FACILITATOR}
    # GET: token, seat, count, page (users joined).
    # POST: token, seat, user, INSERT (+ the phase's traces and the new rater's order in a randomised phase)
    query_budget = {"GET": 4, "POST": Budget(6, fewest=4)}

    @extend_schema(responses={200: ParticipantSerializer(many=True), 404: NOT_FOUND})
    def get(self, request: Request, workshop_id: int) -> Response:
        return self.page(selectors.participant_rows(workshop=self.scope), ParticipantSerializer)

    @extend_schema(
        request=ParticipantAddSerializer,
        responses={201: ParticipantSerializer, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
    )
    def post(self, request: Request, workshop_id: int) -> Response:
        seat = services.participant_add(workshop=self.scope, **self.validated(ParticipantAddSerializer))
        return Response(ParticipantSerializer(_seat_item(seat)).data, status=status.HTTP_201_CREATED)


def _seat_item(seat: Participant) -> dict[str, Any]:
    return {
        "user_id": seat.user_id,
        "user__username": seat.user.username,
        "role": seat.role,
        "discovery_completed_at": seat.discovery_completed_at,
        "created_at": seat.created_at,
    }


class ParticipantDetailView(WorkshopView):
    """Change a participant's role or remove them (facilitator; the facilitator's seat stays)."""

    serializer_class = ParticipantSerializer
    access = {"PATCH": FACILITATOR, "DELETE": FACILITATOR}
    # PATCH: token, seat, the participant (user joined), UPDATE.
    # DELETE: token, seat, participant, DELETE of their trace orders, DELETE of the seat
    query_budget = {"PATCH": Budget(4, fewest=3), "DELETE": 5}

    @extend_schema(
        request=ParticipantUpdateSerializer,
        responses={200: ParticipantSerializer, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
    )
    def patch(self, request: Request, workshop_id: int, user_id: int) -> Response:
        data = self.validated(ParticipantUpdateSerializer)
        seat = services.participant_update(workshop=self.scope, user_id=user_id, role=data["role"])
        return Response(ParticipantSerializer(_seat_item(seat)).data)

    @extend_schema(responses={204: None, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT})
    def delete(self, request: Request, workshop_id: int, user_id: int) -> Response:
        services.participant_remove(workshop=self.scope, user_id=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- traces ------------------------------------------------------------------------------------------


class TraceListView(WorkshopView):
    """The caller's active traces of the current phase in the caller's order (facilitator: `?all=1`
    for every trace); POST loads up to 1,000 traces as one all-or-nothing upsert (facilitator)."""

    serializer_class = TraceItemSerializer
    access = {"GET": MEMBER, "POST": FACILITATOR}
    # GET: token, seat, count, page (trace joined; no context or metadata).
    # POST: token, seat, the external ids already there, one INSERT ... ON CONFLICT
    query_budget = {"GET": 4, "POST": 4}

    @extend_schema(
        parameters=[TraceListParamsSerializer], responses={200: TraceItemSerializer(many=True), 404: NOT_FOUND}
    )
    def get(self, request: Request, workshop_id: int) -> Response:
        params = self.validated(TraceListParamsSerializer, data=request.query_params)
        every = params["all"] and self.scope.my_role == Participant.Role.FACILITATOR
        return self.page(selectors.trace_list_rows(workshop=self.scope, all_traces=every), TraceItemSerializer)

    @extend_schema(
        request=TraceLoadSerializer,
        responses={200: TraceLoadResultSerializer, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def post(self, request: Request, workshop_id: int) -> Response:
        raw = self.validated(TraceLoadSerializer)["traces"]
        items = validated_traces(raw)
        return Response(services.traces_load(workshop=self.scope, items=items))


def validated_traces(raw: list[dict[str, Any]], label: str = "traces") -> list[dict[str, Any]]:
    """Every item valid, or a 400 naming the first bad one's index (nothing is stored)."""
    items: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(raw):
        serializer = TraceInSerializer(data=item)
        if not serializer.is_valid():
            raise InvalidTraceItem(f"{label}[{index}] is invalid.", extra={"index": index, "errors": serializer.errors})
        data = dict(serializer.validated_data)
        if data["external_id"] in seen:
            raise InvalidTraceItem(
                f"{label}[{index}] repeats the external_id of {label}[{seen[data['external_id']]}].",
                extra={"index": index},
            )
        seen[data["external_id"]] = index
        items.append(data)
    return items


class TraceDetailView(WorkshopView):
    """One trace, whole (context and metadata included)."""

    serializer_class = TraceDetailSerializer
    access = {"GET": MEMBER}
    query_budget = {"GET": 3}  # token, seat, trace

    @extend_schema(responses={200: TraceDetailSerializer, 404: NOT_FOUND})
    def get(self, request: Request, workshop_id: int, trace_id: int) -> Response:
        trace = selectors.trace_detail(workshop=self.scope, trace_id=trace_id)
        return Response(TraceDetailSerializer(trace).data)


# --- phases ------------------------------------------------------------------------------------------------


class PhaseView(WorkshopView):
    """Phase actions (facilitator): begin_discovery, begin_annotation, add_traces, advance, reset."""

    serializer_class = WorkshopSerializer
    access = {"POST": FACILITATOR}
    # token, seat, workshop locked, the four prerequisites (one query), the traces joining the
    # phase (one INSERT ... SELECT), the raters, their last positions, their orders (one INSERT),
    # the workshop UPDATE
    query_budget = {"POST": Budget(9, fewest=3)}

    @extend_schema(
        request=PhaseActionSerializer,
        responses={200: WorkshopSerializer, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
    )
    def post(self, request: Request, workshop_id: int) -> Response:
        workshop = services.phase_action(workshop=self.scope, **self.validated(PhaseActionSerializer))
        return Response(WorkshopSerializer(workshop).data)


# --- findings and discovery ---------------------------------------------------------------------------------


class FindingListView(WorkshopView):
    """Findings (a participant sees their own, the facilitator all); POST upserts the caller's finding on a trace."""

    serializer_class = FindingSerializer
    access = {"GET": MEMBER, "POST": MEMBER}
    # GET: token, seat, count, page (author joined). POST: token, seat, trace, INSERT ... ON CONFLICT
    query_budget = {"GET": 4, "POST": 4}

    @extend_schema(responses={200: FindingSerializer(many=True), 404: NOT_FOUND})
    def get(self, request: Request, workshop_id: int) -> Response:
        return self.page(selectors.finding_rows(workshop=self.scope), FindingSerializer)

    @extend_schema(request=FindingInSerializer, responses={200: FindingSerializer, 404: NOT_FOUND})
    def post(self, request: Request, workshop_id: int) -> Response:
        finding = services.finding_upsert(workshop=self.scope, user=self.caller, **self.validated(FindingInSerializer))
        item = {**{f: getattr(finding, f) for f in ("id", "trace_id", "user_id", "insight", "created_at")}}
        item |= {"user__username": self.caller.username, "updated_at": finding.updated_at}
        return Response(FindingSerializer(item).data)


class DiscoveryCompleteView(WorkshopView):
    """The caller is done with discovery."""

    serializer_class = DiscoveryProgressSerializer
    access = {"POST": MEMBER}
    query_budget = {"POST": 3}  # token, seat, UPDATE

    @extend_schema(request=None, responses={204: None, 404: NOT_FOUND})
    def post(self, request: Request, workshop_id: int) -> Response:
        services.discovery_complete(workshop=self.scope)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DiscoveryProgressView(WorkshopView):
    """Who has finished discovery."""

    serializer_class = DiscoveryProgressSerializer
    access = {"GET": MEMBER}
    query_budget = {"GET": 3}  # token, seat, the raters (users joined)

    @extend_schema(responses={200: DiscoveryProgressSerializer, 404: NOT_FOUND})
    def get(self, request: Request, workshop_id: int) -> Response:
        return Response(DiscoveryProgressSerializer(selectors.discovery_progress(workshop=self.scope)).data)


# --- rubric --------------------------------------------------------------------------------------------------


class QuestionListView(WorkshopView):
    """The rubric's live questions in order; POST adds one (facilitator)."""

    serializer_class = QuestionSerializer
    access = {"GET": MEMBER, "POST": FACILITATOR}
    # GET: token, seat, count, page. POST: token, seat, last position, INSERT
    query_budget = {"GET": 4, "POST": 4}

    @extend_schema(responses={200: QuestionSerializer(many=True), 404: NOT_FOUND})
    def get(self, request: Request, workshop_id: int) -> Response:
        return self.page(selectors.question_rows(workshop=self.scope), QuestionSerializer)

    @extend_schema(request=QuestionInSerializer, responses={201: QuestionSerializer, 403: FORBIDDEN, 404: NOT_FOUND})
    def post(self, request: Request, workshop_id: int) -> Response:
        question = services.question_create(workshop=self.scope, **self.validated(QuestionInSerializer))
        return Response(QuestionSerializer(question).data, status=status.HTTP_201_CREATED)


class QuestionDetailView(WorkshopView):
    """Edit a rubric question, or delete it (its ratings stay but leave every metric)."""

    serializer_class = QuestionSerializer
    access = {"PATCH": FACILITATOR, "DELETE": FACILITATOR}
    # PATCH: token, seat, question, UPDATE (+ the metrics version when the type changes).
    # DELETE: token, seat, UPDATE deleted_at, metrics version
    query_budget = {"PATCH": Budget(5, fewest=3), "DELETE": 4}

    @extend_schema(
        request=QuestionUpdateSerializer, responses={200: QuestionSerializer, 403: FORBIDDEN, 404: NOT_FOUND}
    )
    def patch(self, request: Request, workshop_id: int, question_id: int) -> Response:
        data = self.validated(QuestionUpdateSerializer)
        question = services.question_update(workshop=self.scope, question_id=question_id, data=data)
        return Response(QuestionSerializer(question).data)

    @extend_schema(responses={204: None, 403: FORBIDDEN, 404: NOT_FOUND})
    def delete(self, request: Request, workshop_id: int, question_id: int) -> Response:
        services.question_delete(workshop=self.scope, question_id=question_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- annotations and agreement --------------------------------------------------------------------------------


class AnnotationListView(WorkshopView):
    """Annotations (a participant sees their own, the facilitator all); POST upserts the caller's
    ratings of a trace, each checked against its question's type."""

    serializer_class = AnnotationSerializer
    access = {"GET": MEMBER, "POST": MEMBER}
    # GET: token, seat, count, page (rater joined).
    # POST: token, seat, trace, live questions, INSERT ... ON CONFLICT, metrics version
    query_budget = {"GET": 4, "POST": 6}

    @extend_schema(responses={200: AnnotationSerializer(many=True), 404: NOT_FOUND})
    def get(self, request: Request, workshop_id: int) -> Response:
        return self.page(selectors.annotation_rows(workshop=self.scope), AnnotationSerializer)

    @extend_schema(
        request=AnnotationInSerializer, responses={200: AnnotationSerializer, 403: FORBIDDEN, 404: NOT_FOUND}
    )
    def post(self, request: Request, workshop_id: int) -> Response:
        annotation = services.annotation_upsert(
            workshop=self.scope, user=self.caller, **self.validated(AnnotationInSerializer)
        )
        item = {f: getattr(annotation, f) for f in ("id", "trace_id", "user_id", "ratings", "comment", "created_at")}
        item |= {"user__username": self.caller.username, "updated_at": annotation.updated_at}
        return Response(AnnotationSerializer(item).data)


class IrrView(WorkshopView):
    """Inter-rater agreement per rubric question and overall (facilitator; cached until the next annotation write)."""

    serializer_class = IrrSerializer
    access = {"GET": FACILITATOR}
    # token, seat; on a cache miss: live questions, every rating, the assigned pairs' two counts
    query_budget = {"GET": Budget(5, fewest=2)}

    @extend_schema(responses={200: IrrSerializer, 403: FORBIDDEN, 404: NOT_FOUND})
    def get(self, request: Request, workshop_id: int) -> Response:
        return Response(IrrSerializer(selectors.irr_figures(workshop=self.scope)).data)


class ExportView(WorkshopView):
    """The workshop's traces, findings, annotations, rubric, judge prompts and evaluations as one
    JSON document, streamed chunk by chunk in constant memory (facilitator)."""

    access = {"GET": FACILITATOR}
    # token, seat; then one query per section (six) while every section has fewer than 500
    # rows, plus one per further 500 rows of a section (apps.workshops.export)
    query_budget = {"GET": 2 + export.SECTION_QUERIES}

    @extend_schema(
        responses={
            (200, "application/json"): OpenApiResponse(
                response={"type": "object"},
                description="One JSON object: workshop, traces, findings, annotations, rubric_questions, "
                "judge_prompts, evaluations (streamed)",
            ),
            403: FORBIDDEN,
            404: NOT_FOUND,
        }
    )
    def get(self, request: Request, workshop_id: int) -> StreamingHttpResponse:
        return StreamingHttpResponse(export.export_document(self.scope), content_type="application/json")


# --- status, notes -----------------------------------------------------------------------------------------------

PREFER_PARAM = OpenApiParameter(
    "Prefer", str, OpenApiParameter.HEADER, required=False, description="`wait=N`: answer once the status changed"
)
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match", str, OpenApiParameter.HEADER, required=False, description="the ETag of the status you have"
)


class StatusView(LongPoll, WorkshopView):
    """What waiting clients poll: phase, trace counts, discovery and annotation progress. It sends
    an `ETag`; `If-None-Match` with the current one is a 304 with no body. With `Prefer: wait=N` it
    is a long-poll (apps.core.longpoll) answering once the status changed, else after N seconds."""

    serializer_class = WorkshopStatusSerializer
    access = {"GET": MEMBER}
    query_budget = {"GET": 3}  # token, seat, the status (one query of counted subqueries)

    def longpoll_group(self, request: Any, **kwargs: Any) -> str:
        return workshop_group(kwargs["workshop_id"])

    @extend_schema(
        parameters=[IF_NONE_MATCH, PREFER_PARAM],
        responses={
            200: WorkshopStatusSerializer,
            304: OpenApiResponse(description="Unchanged since the ETag sent in If-None-Match"),
            404: NOT_FOUND,
        },
    )
    def get(self, request: Request, workshop_id: int) -> Response:
        data = WorkshopStatusSerializer(selectors.workshop_status(workshop=self.scope)).data
        etag = '"' + hashlib.sha256(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()[:32] + '"'
        waiting = "wait" in request.headers.get("Prefer", "")
        if not waiting and etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
            response = Response(status=status.HTTP_304_NOT_MODIFIED)
        else:
            response = Response(data)
        response["ETag"] = etag
        return response


class NoteListView(WorkshopView):
    """Notes, newest first (a participant sees their own, the facilitator all); POST appends one.
    With `show_participant_notes` off, participants are refused (403)."""

    serializer_class = NoteSerializer
    access = {"GET": MEMBER, "POST": MEMBER}
    # GET: token, seat, count, page (author joined). POST: token, seat, trace (when given), INSERT
    query_budget = {"GET": 4, "POST": Budget(4, fewest=3)}

    @extend_schema(responses={200: NoteSerializer(many=True), 403: FORBIDDEN, 404: NOT_FOUND})
    def get(self, request: Request, workshop_id: int) -> Response:
        if not self.scope.show_participant_notes and self.scope.my_role != Participant.Role.FACILITATOR:
            raise NotesHidden()
        return self.page(selectors.note_rows(workshop=self.scope), NoteSerializer)

    @extend_schema(request=NoteInSerializer, responses={201: NoteSerializer, 403: FORBIDDEN, 404: NOT_FOUND})
    def post(self, request: Request, workshop_id: int) -> Response:
        note = services.note_add(workshop=self.scope, user=self.caller, **self.validated(NoteInSerializer))
        item = {f: getattr(note, f) for f in ("id", "user_id", "trace_id", "phase", "content", "created_at")}
        item["user__username"] = self.caller.username
        return Response(NoteSerializer(item).data, status=status.HTTP_201_CREATED)


class NoteDetailView(WorkshopView):
    """Delete one of the caller's own notes."""

    serializer_class = NoteSerializer
    access = {"DELETE": MEMBER}
    # token, seat, one DELETE of the caller's note (nothing refers to notes: a fast delete)
    query_budget = {"DELETE": 3}

    @extend_schema(responses={204: None, 403: FORBIDDEN, 404: NOT_FOUND})
    def delete(self, request: Request, workshop_id: int, note_id: int) -> Response:
        services.note_delete(workshop=self.scope, user=self.caller, note_id=note_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- judge -----------------------------------------------------------------------------------------------------


class JudgePromptListView(WorkshopView):
    """The workshop's judge prompts, newest version first; POST adds the next version (facilitator)."""

    serializer_class = JudgePromptSerializer
    access = {"GET": MEMBER, "POST": FACILITATOR}
    # GET: token, seat, count, page. POST: token, seat, workshop lock, last version, INSERT
    query_budget = {"GET": 4, "POST": 5}

    @extend_schema(responses={200: JudgePromptSerializer(many=True), 404: NOT_FOUND})
    def get(self, request: Request, workshop_id: int) -> Response:
        return self.page(selectors.prompt_rows(workshop=self.scope), JudgePromptSerializer)

    @extend_schema(
        request=JudgePromptInSerializer, responses={201: JudgePromptSerializer, 403: FORBIDDEN, 404: NOT_FOUND}
    )
    def post(self, request: Request, workshop_id: int) -> Response:
        prompt = services.prompt_create(workshop=self.scope, **self.validated(JudgePromptInSerializer))
        return Response(JudgePromptSerializer(prompt).data, status=status.HTTP_201_CREATED)


class EvaluationListView(WorkshopView):
    """A prompt's predictions by trace; POST imports a judge run (facilitator): up to 1,000,
    all or nothing, upserted on (prompt, trace)."""

    serializer_class = EvaluationSerializer
    access = {"GET": MEMBER, "POST": FACILITATOR}
    # GET: token, seat, prompt, count, page.
    # POST: token, seat, prompt, known traces, existing predictions, INSERT ... ON CONFLICT, metrics version
    query_budget = {"GET": 5, "POST": 7}

    @extend_schema(responses={200: EvaluationSerializer(many=True), 404: NOT_FOUND})
    def get(self, request: Request, workshop_id: int, prompt_id: int) -> Response:
        prompt = selectors.prompt_for(workshop=self.scope, prompt_id=prompt_id)
        return self.page(selectors.evaluation_rows(prompt=prompt), EvaluationSerializer)

    @extend_schema(
        request=EvaluationLoadSerializer,
        responses={200: TraceLoadResultSerializer, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def post(self, request: Request, workshop_id: int, prompt_id: int) -> Response:
        raw = self.validated(EvaluationLoadSerializer)["evaluations"]
        items = []
        for index, item in enumerate(raw):
            serializer = EvaluationInSerializer(data=item)
            if not serializer.is_valid():
                raise InvalidEvaluation(
                    f"evaluations[{index}] is invalid.", extra={"index": index, "errors": serializer.errors}
                )
            items.append(dict(serializer.validated_data))
        if len({item["trace_id"] for item in items}) != len(items):
            raise InvalidEvaluation("evaluations repeat a trace_id.")
        prompt = selectors.prompt_for(workshop=self.scope, prompt_id=prompt_id)
        return Response(services.evaluations_load(workshop=self.scope, prompt=prompt, items=items))


class JudgeMetricsView(WorkshopView):
    """The prompt's agreement with the human ratings (facilitator; cached until the next annotation
    or evaluation write): accuracy, Cohen's kappa, quadratic-weighted kappa for likert, confusion matrix, coverage."""

    serializer_class = JudgeMetricsSerializer
    access = {"GET": FACILITATOR}
    # token, seat, prompt; on a cache miss: the question, every annotation's ratings, the predictions
    query_budget = {"GET": Budget(6, fewest=3)}

    @extend_schema(responses={200: JudgeMetricsSerializer, 403: FORBIDDEN, 404: NOT_FOUND})
    def get(self, request: Request, workshop_id: int, prompt_id: int) -> Response:
        prompt = selectors.prompt_for(workshop=self.scope, prompt_id=prompt_id)
        return Response(JudgeMetricsSerializer(selectors.judge_metrics(workshop=self.scope, prompt=prompt)).data)


class TraceUploadView(WorkshopView):
    """Load traces from a CSV (`Content-Type: text/csv`; columns `external_id, input, output`,
    optional `context` and `metadata` as JSON text) or JSONL (`application/x-ndjson`) body, read
    row by row: at most 1,000 rows, all or nothing (a bad row is a 400 naming it), then the same
    upsert as `POST traces/` (facilitator)."""

    serializer_class = TraceLoadResultSerializer
    parser_classes = [CsvUploadParser, JsonlUploadParser]
    access = {"POST": FACILITATOR}
    # token, seat, the external ids already there, one INSERT ... ON CONFLICT
    query_budget = {"POST": 4}

    @extend_schema(
        request={"text/csv": {"type": "string"}, "application/x-ndjson": {"type": "string"}},
        responses={200: TraceLoadResultSerializer, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def post(self, request: Request, workshop_id: int) -> Response:
        data = request.data
        if isinstance(data, tuple):  # what the upload parsers return
            kind, stream = cast(tuple[str, IO[bytes] | None], data)
        else:  # an empty body: DRF calls no parser
            kind, stream = ("csv" if "csv" in (request.content_type or "") else "jsonl"), None
        items = validated_traces(rows_from_upload(kind, stream), label="row")
        return Response(services.traces_load(workshop=self.scope, items=items))
