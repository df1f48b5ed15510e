"""Thin views on the core template: every object is the caller's own (404 for anyone else).

Budgets count the token lookup; the comment on each view lists its queries.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.api import AUTHENTICATED, MEMBER, BriskView, Budget, ScopedView
from apps.core.idempotency import idempotent
from apps.core.longpoll import LongPoll
from apps.core.pagination import BeforeIdCursorPagination
from apps.interviews import selectors, services
from apps.interviews.events import operation_group
from apps.interviews.models import InterviewSession, JobPosting, Operation
from apps.interviews.serializers import (
    AnswerSerializer,
    CoachKeyOutSerializer,
    CoachKeySerializer,
    DashboardSerializer,
    FeedbackSerializer,
    KeyValidationSerializer,
    MessageSerializer,
    OperationSerializer,
    PostingDetailSerializer,
    PostingInputSerializer,
    PostingSerializer,
    PostingUpdateSerializer,
    ProgressItemSerializer,
    ResumeInputSerializer,
    ResumeSerializer,
    RetakeItemSerializer,
    SessionCreateSerializer,
    SessionDetailSerializer,
    SessionFilterSerializer,
    SessionSerializer,
    SessionStateSerializer,
    session_detail_data,
    session_items,
    session_state_data,
)

NOT_FOUND = OpenApiResponse(description="Nothing of yours to act on")
CONFLICT = OpenApiResponse(description="The session's state does not allow this")
ACCEPTED = OpenApiResponse(OperationSerializer, description="The background operation, pending")


# --- resume and postings -------------------------------------------------------------------


class ResumeView(BriskView):
    """The caller's resume (one per user)."""

    serializer_class = ResumeSerializer
    access = {"GET": AUTHENTICATED, "PUT": AUTHENTICATED, "DELETE": AUTHENTICATED}
    # GET: token, resume. PUT: token, resume locked, UPDATE or INSERT. DELETE: token, DELETE
    query_budget = {"GET": 2, "PUT": 3, "DELETE": 2}

    @extend_schema(responses={200: ResumeSerializer, 404: NOT_FOUND})
    def get(self, request: Request) -> Response:
        return Response(ResumeSerializer(selectors.resume_get(user=request.user)).data)

    @extend_schema(request=ResumeInputSerializer, responses=ResumeSerializer)
    def put(self, request: Request) -> Response:
        resume = services.resume_put(user=self.caller, **self.validated(ResumeInputSerializer))
        return Response(ResumeSerializer(resume).data)

    @extend_schema(responses={204: None, 404: NOT_FOUND})
    def delete(self, request: Request) -> Response:
        services.resume_delete(user=self.caller)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PostingListView(BriskView):
    """The caller's job postings, newest first (descriptions are not loaded); POST adds one."""

    create_throttle_scope = "interviews_create"
    serializer_class = PostingSerializer
    access = {"GET": AUTHENTICATED, "POST": AUTHENTICATED}
    query_budget = {"GET": 3, "POST": 2}  # GET: token, count, page. POST: token, INSERT

    @extend_schema(responses=PostingSerializer(many=True))
    def get(self, request: Request) -> Response:
        return self.page(selectors.posting_list(user=request.user), PostingSerializer)

    @extend_schema(request=PostingInputSerializer, responses={201: PostingDetailSerializer})
    @idempotent
    def post(self, request: Request) -> Response:
        posting = services.posting_create(user=self.caller, **self.validated(PostingInputSerializer))
        return Response(PostingDetailSerializer(posting).data, status=status.HTTP_201_CREATED)


class PostingView(ScopedView):
    scope: JobPosting

    def get_scope(self) -> JobPosting:
        return selectors.posting_get(user=self.request.user, posting_id=self.kwargs["posting_id"])


class PostingDetailView(PostingView):
    """One posting with its description; PATCH edits it; DELETE removes it with its sessions."""

    serializer_class = PostingDetailSerializer
    access = {"GET": MEMBER, "PATCH": MEMBER, "DELETE": MEMBER}
    # token, posting (PATCH: + UPDATE when something changed, + the stats bump when the title
    # or company did; DELETE: + the cascade's deletes, which grow with the session tree, and
    # the stats bump)
    query_budget = {"GET": 2, "PATCH": Budget(4, fewest=2), "DELETE": Budget(12, fewest=4)}

    def get(self, request: Request, posting_id: int) -> Response:
        return Response(PostingDetailSerializer(self.scope).data)

    @extend_schema(request=PostingUpdateSerializer, responses=PostingDetailSerializer)
    def patch(self, request: Request, posting_id: int) -> Response:
        posting = services.posting_update(posting=self.scope, data=self.validated(PostingUpdateSerializer))
        return Response(PostingDetailSerializer(posting).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, posting_id: int) -> Response:
        services.posting_delete(posting=self.scope)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- the coach key -------------------------------------------------------------------------


class CoachKeyView(BriskView):
    """Store (PUT) or forget (DELETE) the caller's key for the outside model; never shown back."""

    serializer_class = CoachKeyOutSerializer
    access = {"PUT": AUTHENTICATED, "DELETE": AUTHENTICATED}
    query_budget = {"PUT": 3, "DELETE": 2}  # PUT: token, key locked, UPDATE or INSERT. DELETE: token, DELETE

    @extend_schema(request=CoachKeySerializer, responses=CoachKeyOutSerializer)
    def put(self, request: Request) -> Response:
        stored = services.coach_key_put(user=self.caller, key=self.validated(CoachKeySerializer)["api_key"])
        return Response(CoachKeyOutSerializer(stored).data)

    @extend_schema(responses={204: None, 404: NOT_FOUND})
    def delete(self, request: Request) -> Response:
        services.coach_key_delete(user=self.caller)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CoachKeyValidateView(BriskView):
    """Check the stored key against the configured model server."""

    serializer_class = KeyValidationSerializer
    access = {"POST": AUTHENTICATED}
    query_budget = {"POST": 2}  # token, key

    @extend_schema(request=None, responses={200: KeyValidationSerializer, 404: NOT_FOUND})
    def post(self, request: Request) -> Response:
        return Response(KeyValidationSerializer(services.coach_key_validate(user=self.caller)).data)


# --- sessions ----------------------------------------------------------------------------------


class SessionListView(BriskView):
    """The caller's sessions newest first, filtered; POST starts one for a posting."""

    create_throttle_scope = "interviews_create"
    serializer_class = SessionSerializer
    access = {"GET": AUTHENTICATED, "POST": AUTHENTICATED}
    # GET: token, count, page (posting title/company and feedback score joined).
    # POST: token, posting, INSERT, stats version upsert
    query_budget = {"GET": 3, "POST": 4}

    @extend_schema(parameters=[SessionFilterSerializer], responses=SessionSerializer(many=True))
    def get(self, request: Request) -> Response:
        params = SessionFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        return self.page(selectors.session_list(user=request.user, filters=params.validated_data), session_items)

    @extend_schema(request=SessionCreateSerializer, responses={201: SessionStateSerializer, 404: NOT_FOUND})
    @idempotent
    def post(self, request: Request) -> Response:
        session = services.session_create(user=self.caller, **self.validated(SessionCreateSerializer))
        return Response(session_state_data(session), status=status.HTTP_201_CREATED)


class ProgressView(BriskView):
    """Completed sessions with their scores, oldest first (the progress chart)."""

    serializer_class = ProgressItemSerializer
    access = {"GET": AUTHENTICATED}
    query_budget = {"GET": 3}  # token, count, page

    @extend_schema(responses=ProgressItemSerializer(many=True))
    def get(self, request: Request) -> Response:
        return self.page(selectors.sessions_with_feedback(user=request.user), ProgressItemSerializer)


class SessionView(ScopedView):
    """Everything under /sessions/{id}/: the caller's session, else 404."""

    scope: InterviewSession

    def get_scope(self) -> InterviewSession:
        return selectors.session_get(user=self.request.user, session_id=self.kwargs["session_id"])


class SessionDetailView(BriskView):
    """The session with its posting summary, its messages in order and its feedback scores."""

    serializer_class = SessionDetailSerializer
    access = {"GET": AUTHENTICATED, "DELETE": AUTHENTICATED}
    # GET: token, session (posting and feedback joined), messages.
    # DELETE: token, session, the cascade's deletes (messages, feedback, operations, retakes), stats
    query_budget = {"GET": 3, "DELETE": Budget(12, fewest=4)}

    def get(self, request: Request, session_id: int) -> Response:
        session, messages = selectors.session_detail(user=request.user, session_id=session_id)
        return Response(session_detail_data(session, messages))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, session_id: int) -> Response:
        services.session_delete(session=selectors.session_get(user=request.user, session_id=session_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class SessionActionView(SessionView):
    action_name = ""
    serializer_class = SessionStateSerializer
    access = {"POST": MEMBER}
    query_budget = {"POST": 3}  # token, session, conditional UPDATE

    @extend_schema(request=None, responses={200: SessionStateSerializer, 409: CONFLICT})
    def post(self, request: Request, session_id: int) -> Response:
        session = services.session_transition(session=self.scope, action=self.action_name)
        return Response(session_state_data(session))


class SessionPauseView(SessionActionView):
    """Pause an active session."""

    action_name = "pause"


class SessionResumeView(SessionActionView):
    """Resume a paused session."""

    action_name = "resume"


class SessionCompleteView(SessionActionView):
    """Complete an active or paused session."""

    action_name = "complete"
    query_budget = {"POST": 4}  # token, session, conditional UPDATE, stats version upsert


class SessionRetakeView(SessionView):
    """Start the session again: a new session with retake_number + 1 whose original is the chain's root."""

    create_throttle_scope = "interviews_create"
    serializer_class = SessionStateSerializer
    access = {"POST": MEMBER}
    # token, session, root locked, root's number, chain's numbers, INSERT, stats upsert
    query_budget = {"POST": 7}

    @extend_schema(request=None, responses={201: SessionStateSerializer, 409: CONFLICT})
    @idempotent
    def post(self, request: Request, session_id: int) -> Response:
        retake = services.session_retake(session=self.scope)
        return Response(session_state_data(retake), status=status.HTTP_201_CREATED)


class SessionRetakesView(SessionView):
    """The session's retake chain (root first) with each one's feedback scores."""

    serializer_class = RetakeItemSerializer
    access = {"GET": MEMBER}
    query_budget = {"GET": 4}  # token, session, count, page (feedback joined)

    @extend_schema(responses=RetakeItemSerializer(many=True))
    def get(self, request: Request, session_id: int) -> Response:
        return self.page(selectors.retake_chain(session=self.scope), RetakeItemSerializer)


class MessageListView(SessionView):
    """The session's messages, newest first, cursor-paginated (`?before=<id>`)."""

    serializer_class = MessageSerializer
    pagination_class = BeforeIdCursorPagination
    access = {"GET": MEMBER}
    query_budget = {"GET": 3}  # token, session, page

    @extend_schema(responses=MessageSerializer(many=True))
    def get(self, request: Request, session_id: int) -> Response:
        return self.page(selectors.message_rows(session=self.scope), MessageSerializer)


class QuestionView(SessionView):
    """Ask the coach for the next question: 202 with the background operation."""

    create_throttle_scope = "interviews_submit"
    serializer_class = OperationSerializer
    access = {"POST": MEMBER}
    # token, session, session locked, pending operation check, INSERT operation
    query_budget = {"POST": 5}

    @extend_schema(request=None, responses={202: ACCEPTED, 409: CONFLICT})
    @idempotent
    def post(self, request: Request, session_id: int) -> Response:
        op = services.question_request(session=self.scope, user=self.caller)
        return Response(OperationSerializer(op).data, status=status.HTTP_202_ACCEPTED)


class AnswerView(SessionView):
    """Answer the open question (active sessions only)."""

    create_throttle_scope = "interviews_submit"
    serializer_class = MessageSerializer
    access = {"POST": MEMBER}
    # token, session, session locked, last question's type, INSERT, UPDATE counts, stats upsert
    query_budget = {"POST": 7}

    @extend_schema(request=AnswerSerializer, responses={201: MessageSerializer, 409: CONFLICT})
    @idempotent
    def post(self, request: Request, session_id: int) -> Response:
        data = self.validated(AnswerSerializer)
        message = services.answer_submit(session=self.scope, content=data["content"])
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)


class FeedbackView(SessionView):
    """GET the session's feedback; POST asks for it (202 with the background operation)."""

    create_throttle_scope = "interviews_submit"
    serializer_class = FeedbackSerializer
    access = {"GET": MEMBER, "POST": MEMBER}
    # GET: token, session, feedback. POST: token, session, session locked, feedback exists,
    # resume exists, pending operation check, INSERT operation
    query_budget = {"GET": 3, "POST": Budget(7, fewest=4)}

    def get(self, request: Request, session_id: int) -> Response:
        return Response(FeedbackSerializer(selectors.feedback_get(session=self.scope)).data)

    @extend_schema(
        request=None,
        responses={
            202: ACCEPTED,
            400: OpenApiResponse(description="resume_required or no_answers"),
            409: OpenApiResponse(description="feedback_exists, or the session is not completed"),
        },
    )
    @idempotent
    def post(self, request: Request, session_id: int) -> Response:
        op = services.feedback_request(session=self.scope, user=self.caller)
        return Response(OperationSerializer(op).data, status=status.HTTP_202_ACCEPTED)


# --- operations and the dashboard ----------------------------------------------------------

PREFER_PARAM = OpenApiParameter(
    "Prefer",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="`wait=N` (seconds, capped): answer as soon as the operation completes or fails, "
    "or after N seconds with the unchanged operation. No database connection is held while waiting.",
)


class OperationDetailView(LongPoll, BriskView):
    """One of the caller's operations; with `Prefer: wait=N` a long-poll until it settles."""

    serializer_class = OperationSerializer
    access = {"GET": AUTHENTICATED}
    query_budget = {"GET": 2}  # token, operation

    def longpoll_group(self, request: Any, **kwargs: Any) -> str:
        return operation_group(kwargs["operation_id"])

    def longpoll_state(self, data: Any) -> str:
        return data["status"]

    def longpoll_settled(self, data: Any) -> bool:
        return data["status"] in Operation.TERMINAL

    @extend_schema(parameters=[PREFER_PARAM], responses=OperationSerializer)
    def get(self, request: Request, operation_id: int) -> Response:
        op = selectors.operation_get(user=request.user, operation_id=operation_id)
        return Response(OperationSerializer(op).data)


class OperationRetryView(BriskView):
    """Retry a failed operation: a child operation (202)."""

    create_throttle_scope = "interviews_submit"
    serializer_class = OperationSerializer
    access = {"POST": AUTHENTICATED}
    # token, operation, operation locked, pending check, INSERT child
    query_budget = {"POST": 5}

    @extend_schema(request=None, responses={202: ACCEPTED, 409: OpenApiResponse(description="Not failed")})
    @idempotent
    def post(self, request: Request, operation_id: int) -> Response:
        op = selectors.operation_get(user=request.user, operation_id=operation_id)
        child = services.operation_retry(operation=op)
        return Response(OperationSerializer(child).data, status=status.HTTP_202_ACCEPTED)


class DashboardView(BriskView):
    """Completed interviews, average score, questions answered and the top five roles (cached)."""

    serializer_class = DashboardSerializer
    access = {"GET": AUTHENTICATED}
    # token, the stats version, and the one grouped query only when the cache misses
    query_budget = {"GET": Budget(3, fewest=2)}

    def get(self, request: Request) -> Response:
        return Response(DashboardSerializer(selectors.dashboard(user=request.user)).data)
