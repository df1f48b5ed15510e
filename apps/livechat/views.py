"""HTTP endpoints of the live-chat desk on the core template.

Every route but the webhook is for agents (users with `livechat.agent`); supervisors
(`livechat.supervisor`) also manage the desk's settings and read the KPIs. The caller's
roles are one query, checked before anything else: a non-agent gets 403 and learns nothing
about contacts. The webhook is LINE's: signed with the channel secret, nothing else.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.api import BriskView, Budget, ScopedView
from apps.core.exceptions import ApplicationError, NotFoundError
from apps.core.pagination import BeforeIdCursorPagination, EnvelopePagination
from apps.livechat import builders, export, line, selectors, serializers, services
from apps.livechat.exceptions import AgentRequired, InvalidPeriod, SupervisorRequired
from apps.livechat.media import InvalidUpload, storage_url
from apps.livechat.models import Contact
from apps.livechat.serializers import (
    CannedResponseCreateSerializer,
    CannedResponseSerializer,
    ChatMessageSerializer,
    ChatSessionSerializer,
    ConversationFilterSerializer,
    ConversationPageSerializer,
    ConversationStartSerializer,
    KpisSerializer,
    MediaUploadSerializer,
    MessageSendSerializer,
    ModeSerializer,
    QueuePositionSerializer,
    ReadMarkerSerializer,
    SearchHitSerializer,
    SearchSerializer,
    TagCreateSerializer,
    TagSerializer,
    TransferSerializer,
    WebhookAckSerializer,
)

PUBLIC = "public"  # LINE's webhook: the signature is the credential
AGENT = "agent"
SUPERVISOR = "supervisor"
KPI_CACHE_KEY = services.KPI_CACHE_KEY  # the kpis.updated broadcast refreshes it too


class InvalidSignature(ApplicationError):
    status_code = status.HTTP_401_UNAUTHORIZED
    code = "invalid_signature"
    default_message = "X-Line-Signature does not match the body."


class DeskView(BriskView):
    """An agents' endpoint: the caller's roles in one query, before anything else."""

    roles: set[str]

    def load_scope(self) -> None:
        self.roles = selectors.livechat_roles(user=self.request.user)
        if AGENT not in self.roles:
            raise AgentRequired()

    def check_access(self, rule: str) -> None:
        if rule == SUPERVISOR and SUPERVISOR not in self.roles:
            raise SupervisorRequired()
        if rule not in (AGENT, SUPERVISOR):
            super().check_access(rule)


class ContactView(DeskView, ScopedView):
    """Under /conversations/{contact_id}/: the contact (one query) after the role check."""

    scope: Contact

    def load_scope(self) -> None:
        DeskView.load_scope(self)
        contact = selectors.contact_get(contact_id=self.kwargs["contact_id"])
        if contact is None:
            raise NotFoundError()
        self.scope = contact


# --- the webhook ----------------------------------------------------------------------------


class WebhookView(BriskView):
    """LINE's webhook: the signed body's events are stored, then processed in background work."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes: list = []
    access = {"POST": PUBLIC}
    # new events: read known ids, INSERT the new ones (no token lookup: LINE signs, it does not log in)
    query_budget = {"POST": Budget(2, fewest=0)}

    def check_access(self, rule: str) -> None:
        if rule != PUBLIC:
            super().check_access(rule)

    @extend_schema(
        request={"application/json": {"type": "object"}},
        responses={
            200: WebhookAckSerializer,
            400: OpenApiResponse(description="Malformed body or events; nothing stored"),
            401: OpenApiResponse(description="Missing or wrong X-Line-Signature; nothing stored"),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        raw = request.body
        if not line.signature_valid(raw, request.headers.get("X-Line-Signature")):
            raise InvalidSignature()
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise ApplicationError("The body is not JSON.", field="body") from None
        accepted = services.webhook_events_store(body=body)
        return Response({"accepted": len(accepted)})


# --- conversations --------------------------------------------------------------------------


class ConversationListView(DeskView):
    """Contacts, newest activity first, with latest session and message, unread count and tags."""

    access = {"GET": AGENT, "POST": AGENT}
    # GET: token, roles, counts (total, waiting, active), the page (latest session, latest
    # message, unread counts joined), the page's tags. POST: token, roles, contact lock,
    # open session, session INSERT, contact UPDATE, session lock, session UPDATE, message INSERT
    query_budget = {"GET": 5, "POST": Budget(9, fewest=7)}

    @extend_schema(parameters=[ConversationFilterSerializer], responses=ConversationPageSerializer)
    def get(self, request: Request) -> Response:
        filters = self.validated(ConversationFilterSerializer, request.query_params)
        paginator = EnvelopePagination()
        paginator.limit = _limit(request)
        paginator.offset = _offset(request)
        counts = selectors.conversation_counts(filters=filters)
        rows = (
            selectors.conversation_page(
                agent_id=self.caller.pk, filters=filters, limit=paginator.limit, offset=paginator.offset
            )
            if paginator.offset < counts["total"]
            else []
        )
        tags = selectors.tags_for_contacts([row["id"] for row in rows]) if rows else {}
        return Response(
            {
                "items": [builders.conversation_item(row, tags[row["id"]]) for row in rows],
                "total": counts["total"],
                "limit": paginator.limit,
                "offset": paginator.offset,
                "waiting_count": counts["waiting_count"],
                "active_count": counts["active_count"],
            }
        )

    @extend_schema(request=ConversationStartSerializer, responses={201: ChatMessageSerializer, 404: None, 409: None})
    def post(self, request: Request) -> Response:
        data = self.validated(ConversationStartSerializer)
        if not selectors.contact_exists(contact_id=data["contact_id"]):
            raise ApplicationError("No such contact.", field="contact_id")
        message = services.conversation_start(agent=self.caller, contact_id=data["contact_id"], text=data["text"])
        return Response(_message_out(message), status=status.HTTP_201_CREATED)


def _limit(request: Request) -> int:
    from apps.core.pagination import parse_limit

    return parse_limit(request)


def _offset(request: Request) -> int:
    from apps.core.pagination import _MAX_OFFSET, _int_param

    return _int_param(request, "offset", default=0, minimum=0, maximum=_MAX_OFFSET)


def _message_out(message) -> dict[str, Any]:
    return ChatMessageSerializer(
        {
            "id": message.pk,
            "session_id": message.session_id,
            "direction": message.direction,
            "message_type": message.message_type,
            "content": message.content,
            "payload": message.payload,
            "sender_role": message.sender_role,
            "operator_id": message.operator_id,
            "delivery": message.delivery,
            "media_url": storage_url(message.media.name if message.media else None),
            "created_at": message.created_at,
        }
    ).data


class MessageListView(ContactView):
    """A conversation's messages by cursor (`?before=<id>`), oldest first within the page."""

    pagination_class = BeforeIdCursorPagination
    access = {"GET": AGENT, "POST": AGENT}
    # GET: token, roles, contact, page. POST: token, roles, contact, session lock, [canned
    # read + UPDATE], session UPDATE, message INSERT
    query_budget = {"GET": 4, "POST": Budget(8, fewest=6)}

    @extend_schema(responses=ChatMessageSerializer(many=True))
    def get(self, request: Request, contact_id: int) -> Response:
        return self.page(
            selectors.contact_messages(contact_id=self.scope.pk),
            lambda rows: [builders.message_item(row) for row in reversed(rows)],
        )

    @extend_schema(
        request=MessageSendSerializer,
        responses={201: ChatMessageSerializer, 403: None, 409: OpenApiResponse(description="No active session")},
    )
    def post(self, request: Request, contact_id: int) -> Response:
        data = self.validated(MessageSendSerializer)
        message = services.agent_message_send(agent=self.caller, contact_id=self.scope.pk, **data)
        return Response(_message_out(message), status=status.HTTP_201_CREATED)


class MediaView(ContactView):
    """The operator sends an image (multipart `file`): JPEG or PNG by its content, at most
    LIVECHAT_MEDIA_MAX_BYTES; stored in Django's storage and sent as a LINE image message
    from LIVECHAT_PUBLIC_MEDIA_URL (unset: stored, not sent)."""

    parser_classes = [MultiPartParser]
    access = {"POST": AGENT}
    # token, roles, contact, session lock, session UPDATE, message INSERT (refused: the first four)
    query_budget = {"POST": Budget(6, fewest=4)}

    @extend_schema(
        request={"multipart/form-data": MediaUploadSerializer},
        responses={
            201: ChatMessageSerializer,
            400: OpenApiResponse(description="Not a JPEG or PNG, damaged, or over the size limit; nothing stored"),
            403: None,
            409: OpenApiResponse(description="No active session"),
        },
    )
    def post(self, request: Request, contact_id: int) -> Response:
        upload = self.validated(MediaUploadSerializer)["file"]
        limit = settings.LIVECHAT_MEDIA_MAX_BYTES
        if upload.size > limit:  # refused before it is read
            raise InvalidUpload(f"The image is {upload.size} bytes; the limit is {limit}.")
        message = services.agent_media_send(agent=self.caller, contact=self.scope, data=upload.read())
        return Response(_message_out(message), status=status.HTTP_201_CREATED)


class ExportView(ContactView):
    """The whole conversation as CSV, oldest first, streamed (constant memory, one query)."""

    access = {"GET": AGENT}
    query_budget = {"GET": 4}  # token, roles, contact, the rows (one server-side cursor, any length)

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # the body is CSV whatever the client accepts; a refusal is JSON like every other error
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        responses={
            (200, "text/csv"): OpenApiResponse(
                response={"type": "string"},
                description="Columns: " + ", ".join(export.HEADER) + " (streamed, UTF-8 with a BOM)",
            ),
            403: None,
            404: None,
        }
    )
    def get(self, request: Request, contact_id: int) -> StreamingHttpResponse:
        response = StreamingHttpResponse(export.conversation_csv(self.scope.pk), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="conversation-{self.scope.pk}.csv"'
        return response


class ReadView(ContactView):
    access = {"POST": AGENT}
    query_budget = {"POST": 4}  # token, roles, contact, the marker upsert

    @extend_schema(request=None, responses=ReadMarkerSerializer)
    def post(self, request: Request, contact_id: int) -> Response:
        read_at = services.read_marker_set(agent=self.caller, contact_id=self.scope.pk)
        return Response(ReadMarkerSerializer({"contact_id": self.scope.pk, "read_at": read_at}).data)


class ClaimView(ContactView):
    access = {"POST": AGENT}
    query_budget = {"POST": Budget(5, fewest=4)}  # token, roles, contact, the conditional UPDATE, the session

    @extend_schema(
        request=None, responses={200: ChatSessionSerializer, 409: OpenApiResponse(description="Not waiting")}
    )
    def post(self, request: Request, contact_id: int) -> Response:
        session = services.session_claim(agent=self.caller, contact_id=self.scope.pk)
        return Response(ChatSessionSerializer(session).data)


class CloseView(ContactView):
    access = {"POST": AGENT}
    # token, roles, contact, session lock, session UPDATE, contact UPDATE, survey INSERT
    query_budget = {"POST": Budget(7, fewest=4)}

    @extend_schema(
        request=None,
        responses={200: ChatSessionSerializer, 403: None, 409: OpenApiResponse(description="No active session")},
    )
    def post(self, request: Request, contact_id: int) -> Response:
        session = services.session_close(agent=self.caller, contact_id=self.scope.pk)
        return Response(ChatSessionSerializer(session).data)


class TransferView(ContactView):
    access = {"POST": AGENT}
    # token, roles, contact, session lock, is the target an agent, session UPDATE
    query_budget = {"POST": Budget(6, fewest=4)}

    @extend_schema(request=TransferSerializer, responses={200: ChatSessionSerializer, 403: None, 409: None})
    def post(self, request: Request, contact_id: int) -> Response:
        data = self.validated(TransferSerializer)
        session = services.session_transfer(
            agent=self.caller, contact_id=self.scope.pk, to_agent_id=data["agent_id"], reason=data["reason"]
        )
        return Response(ChatSessionSerializer(session).data)


class ModeView(ContactView):
    access = {"POST": AGENT}
    query_budget = {"POST": 4}  # token, roles, contact, UPDATE

    @extend_schema(request=ModeSerializer, responses=ModeSerializer)
    def post(self, request: Request, contact_id: int) -> Response:
        data = self.validated(ModeSerializer)
        services.contact_set_mode(contact_id=self.scope.pk, mode=data["mode"])
        return Response({"mode": data["mode"]})


class QueuePositionView(ContactView):
    access = {"GET": AGENT}
    query_budget = {"GET": 4}  # token, roles, contact, the RANK() query

    @extend_schema(responses=QueuePositionSerializer)
    def get(self, request: Request, contact_id: int) -> Response:
        return Response(selectors.queue_position(contact_id=self.scope.pk))


class MessageSearchView(DeskView):
    access = {"GET": AGENT}
    query_budget = {"GET": 4}  # token, roles, count, page

    @extend_schema(parameters=[SearchSerializer], responses=SearchHitSerializer(many=True))
    def get(self, request: Request) -> Response:
        data = self.validated(SearchSerializer, request.query_params)
        return self.page(selectors.message_search(q=data["q"]), SearchHitSerializer)


class KpiView(DeskView):
    access = {"GET": SUPERVISOR}
    # token, roles, the figures, CSAT; warm: token and roles only (cached LIVECHAT_KPI_TTL seconds)
    query_budget = {"GET": Budget(4, fewest=2)}

    @extend_schema(responses=KpisSerializer)
    def get(self, request: Request) -> Response:
        figures = _cache_get(KPI_CACHE_KEY)
        if figures is None:
            figures = KpisSerializer(selectors.kpis()).data
            _cache_set(KPI_CACHE_KEY, figures, settings.LIVECHAT_KPI_TTL)
        return Response(figures)


def _cache_get(key: str) -> Any:
    try:
        return cache.get(key)
    except Exception:  # a cache outage costs speed only
        return None


def _cache_set(key: str, value: Any, ttl: int) -> None:
    try:
        cache.set(key, value, ttl)
    except Exception:  # noqa: S110 - a cache outage costs speed only
        pass


# --- tags and canned responses --------------------------------------------------------------


class TagListView(DeskView):
    access = {"GET": AGENT, "POST": SUPERVISOR}
    query_budget = {"GET": 4, "POST": 3}  # token, roles, count, page; POST: token, roles, INSERT

    @extend_schema(responses=TagSerializer(many=True))
    def get(self, request: Request) -> Response:
        return self.page(selectors.tag_list(), TagSerializer)

    @extend_schema(request=TagCreateSerializer, responses={201: TagSerializer, 409: None})
    def post(self, request: Request) -> Response:
        tag = services.tag_create(**self.validated(TagCreateSerializer))
        return Response(TagSerializer(tag).data, status=status.HTTP_201_CREATED)


class ContactTagView(ContactView):
    access = {"POST": AGENT, "DELETE": AGENT}
    query_budget = {"POST": 5, "DELETE": 4}  # token, roles, contact, (tag exists,) INSERT/DELETE

    @extend_schema(request=None, responses={204: None, 404: None})
    def post(self, request: Request, tag_id: int, contact_id: int) -> Response:
        if not selectors.tag_exists(tag_id=tag_id):
            raise NotFoundError()
        services.contact_tag_add(contact=self.scope, tag_id=tag_id)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, tag_id: int, contact_id: int) -> Response:
        services.contact_tag_remove(contact=self.scope, tag_id=tag_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CannedResponseListView(DeskView):
    access = {"GET": AGENT, "POST": SUPERVISOR}
    query_budget = {"GET": 4, "POST": 3}

    @extend_schema(responses=CannedResponseSerializer(many=True))
    def get(self, request: Request) -> Response:
        return self.page(selectors.canned_responses(), CannedResponseSerializer)

    @extend_schema(request=CannedResponseCreateSerializer, responses={201: CannedResponseSerializer})
    def post(self, request: Request) -> Response:
        canned = services.canned_response_create(**self.validated(CannedResponseCreateSerializer))
        return Response(CannedResponseSerializer(canned).data, status=status.HTTP_201_CREATED)


# --- supervisors: the bot's intents, handoff keywords, canned responses, business hours -------
#
# Supervisors only (agents: 403 `supervisor_required`, before any row is looked up), except
# reading canned responses, which agents send. Lists are paginated envelopes; a write is a
# service (a duplicate is a 400 `duplicate` naming the field). Budgets: the token, the roles,
# then what each line says.


class CategoryView(DeskView, ScopedView):
    """Under /intents/categories/{category_id}/: the category (with its counts, one query),
    looked up only after the caller's roles allow the method."""

    scope: Any

    def load_scope(self) -> None:
        DeskView.load_scope(self)
        if self.access_rule(self.request.method or "GET") == SUPERVISOR and SUPERVISOR not in self.roles:
            raise SupervisorRequired()
        category = selectors.intent_category_get(category_id=self.kwargs["category_id"])
        if category is None:
            raise NotFoundError()
        self.scope = category


class IntentCategoryListView(DeskView):
    access = {"GET": SUPERVISOR, "POST": SUPERVISOR}
    query_budget = {"GET": 4, "POST": 3}  # count, page (keyword and response counts as subqueries); INSERT

    @extend_schema(responses=serializers.IntentCategorySerializer(many=True))
    def get(self, request: Request) -> Response:
        return self.page(selectors.intent_categories(), serializers.IntentCategorySerializer)

    @extend_schema(
        request=serializers.IntentCategoryCreateSerializer, responses={201: serializers.IntentCategorySerializer}
    )
    def post(self, request: Request) -> Response:
        category = services.intent_category_create(**self.validated(serializers.IntentCategoryCreateSerializer))
        category.keyword_count = category.response_count = 0  # type: ignore[attr-defined]  # a new one has none
        return Response(serializers.IntentCategorySerializer(category).data, status=status.HTTP_201_CREATED)


class IntentCategoryDetailView(CategoryView):
    access = {"GET": SUPERVISOR, "PATCH": SUPERVISOR, "DELETE": SUPERVISOR}
    # the category; PATCH: UPDATE; DELETE: its keywords, its responses, the category
    query_budget = {"GET": 3, "PATCH": 4, "DELETE": 6}

    @extend_schema(responses=serializers.IntentCategorySerializer)
    def get(self, request: Request, category_id: int) -> Response:
        return Response(serializers.IntentCategorySerializer(self.scope).data)

    @extend_schema(request=serializers.IntentCategoryUpdateSerializer, responses=serializers.IntentCategorySerializer)
    def patch(self, request: Request, category_id: int) -> Response:
        data = self.validated(serializers.IntentCategoryUpdateSerializer)
        category = services.intent_category_update(category=self.scope, **data)
        return Response(serializers.IntentCategorySerializer(category).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, category_id: int) -> Response:
        services.intent_category_delete(category=self.scope)
        return Response(status=status.HTTP_204_NO_CONTENT)


class IntentKeywordListView(CategoryView):
    access = {"GET": SUPERVISOR, "POST": SUPERVISOR}
    query_budget = {"GET": 5, "POST": 4}  # the category, count, page; the category, INSERT

    @extend_schema(responses=serializers.IntentKeywordSerializer(many=True))
    def get(self, request: Request, category_id: int) -> Response:
        return self.page(selectors.intent_keywords_of(category_id=self.scope.pk), serializers.IntentKeywordSerializer)

    @extend_schema(
        request=serializers.IntentKeywordCreateSerializer, responses={201: serializers.IntentKeywordSerializer}
    )
    def post(self, request: Request, category_id: int) -> Response:
        data = self.validated(serializers.IntentKeywordCreateSerializer)
        keyword = services.intent_keyword_create(category=self.scope, **data)
        return Response(serializers.IntentKeywordSerializer(keyword).data, status=status.HTTP_201_CREATED)


class IntentKeywordDetailView(DeskView):
    access = {"PATCH": SUPERVISOR, "DELETE": SUPERVISOR}
    # PATCH: the keyword of that category (locked), UPDATE; DELETE: one DELETE of it
    query_budget = {"PATCH": 4, "DELETE": 3}

    @extend_schema(request=serializers.IntentKeywordUpdateSerializer, responses=serializers.IntentKeywordSerializer)
    def patch(self, request: Request, category_id: int, keyword_id: int) -> Response:
        data = self.validated(serializers.IntentKeywordUpdateSerializer)
        keyword = services.intent_keyword_update(category_id=category_id, keyword_id=keyword_id, **data)
        return Response(serializers.IntentKeywordSerializer(keyword).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, category_id: int, keyword_id: int) -> Response:
        services.intent_keyword_delete(category_id=category_id, keyword_id=keyword_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class IntentResponseListView(CategoryView):
    access = {"GET": SUPERVISOR, "POST": SUPERVISOR}
    query_budget = {"GET": 5, "POST": 4}  # the category, count, page; the category, INSERT

    @extend_schema(responses=serializers.IntentResponseSerializer(many=True))
    def get(self, request: Request, category_id: int) -> Response:
        return self.page(selectors.intent_responses_of(category_id=self.scope.pk), serializers.IntentResponseSerializer)

    @extend_schema(
        request=serializers.IntentResponseCreateSerializer, responses={201: serializers.IntentResponseSerializer}
    )
    def post(self, request: Request, category_id: int) -> Response:
        data = self.validated(serializers.IntentResponseCreateSerializer)
        response = services.intent_response_create(category=self.scope, **data)
        return Response(serializers.IntentResponseSerializer(response).data, status=status.HTTP_201_CREATED)


class IntentResponseDetailView(DeskView):
    access = {"PATCH": SUPERVISOR, "DELETE": SUPERVISOR}
    # PATCH: the response of that category (locked), UPDATE; DELETE: one DELETE of it
    query_budget = {"PATCH": 4, "DELETE": 3}

    @extend_schema(request=serializers.IntentResponseUpdateSerializer, responses=serializers.IntentResponseSerializer)
    def patch(self, request: Request, category_id: int, response_id: int) -> Response:
        data = self.validated(serializers.IntentResponseUpdateSerializer)
        response = services.intent_response_update(category_id=category_id, response_id=response_id, **data)
        return Response(serializers.IntentResponseSerializer(response).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, category_id: int, response_id: int) -> Response:
        services.intent_response_delete(category_id=category_id, response_id=response_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class HandoffKeywordListView(DeskView):
    access = {"GET": SUPERVISOR, "POST": SUPERVISOR}
    query_budget = {"GET": 4, "POST": 3}  # count, page; INSERT

    @extend_schema(responses=serializers.HandoffKeywordSerializer(many=True))
    def get(self, request: Request) -> Response:
        return self.page(selectors.handoff_keyword_list(), serializers.HandoffKeywordSerializer)

    @extend_schema(
        request=serializers.HandoffKeywordWriteSerializer, responses={201: serializers.HandoffKeywordSerializer}
    )
    def post(self, request: Request) -> Response:
        keyword = services.handoff_keyword_create(**self.validated(serializers.HandoffKeywordWriteSerializer))
        return Response(serializers.HandoffKeywordSerializer(keyword).data, status=status.HTTP_201_CREATED)


class HandoffKeywordDetailView(DeskView):
    access = {"PATCH": SUPERVISOR, "DELETE": SUPERVISOR}
    query_budget = {"PATCH": 4, "DELETE": 3}  # the keyword (locked), UPDATE; one DELETE

    @extend_schema(request=serializers.HandoffKeywordWriteSerializer, responses=serializers.HandoffKeywordSerializer)
    def patch(self, request: Request, keyword_id: int) -> Response:
        data = self.validated(serializers.HandoffKeywordWriteSerializer)
        keyword = services.handoff_keyword_update(keyword_id=keyword_id, **data)
        return Response(serializers.HandoffKeywordSerializer(keyword).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, keyword_id: int) -> Response:
        services.handoff_keyword_delete(keyword_id=keyword_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CannedResponseDetailView(DeskView):
    access = {"GET": AGENT, "PATCH": SUPERVISOR, "DELETE": SUPERVISOR}
    query_budget = {"GET": 3, "PATCH": 4, "DELETE": 3}  # the row; the row (locked), UPDATE; one DELETE

    @extend_schema(responses=CannedResponseSerializer)
    def get(self, request: Request, canned_id: int) -> Response:
        canned = selectors.canned_response_get(canned_id=canned_id)
        if canned is None:
            raise NotFoundError()
        return Response(CannedResponseSerializer(canned).data)

    @extend_schema(request=serializers.CannedResponseUpdateSerializer, responses=CannedResponseSerializer)
    def patch(self, request: Request, canned_id: int) -> Response:
        data = self.validated(serializers.CannedResponseUpdateSerializer)
        canned = services.canned_response_update(canned_id=canned_id, **data)
        return Response(CannedResponseSerializer(canned).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, canned_id: int) -> Response:
        services.canned_response_delete(canned_id=canned_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class BusinessHoursListView(DeskView):
    access = {"GET": SUPERVISOR, "POST": SUPERVISOR}
    query_budget = {"GET": 4, "POST": 3}  # count, page; INSERT

    @extend_schema(responses=serializers.BusinessHoursSerializer(many=True))
    def get(self, request: Request) -> Response:
        return self.page(selectors.business_hours_list(), serializers.BusinessHoursSerializer)

    @extend_schema(
        request=serializers.BusinessHoursCreateSerializer, responses={201: serializers.BusinessHoursSerializer}
    )
    def post(self, request: Request) -> Response:
        hours = services.business_hours_create(**self.validated(serializers.BusinessHoursCreateSerializer))
        return Response(serializers.BusinessHoursSerializer(hours).data, status=status.HTTP_201_CREATED)


class BusinessHoursDetailView(DeskView):
    access = {"PATCH": SUPERVISOR, "DELETE": SUPERVISOR}
    query_budget = {"PATCH": 4, "DELETE": 3}  # the row (locked), UPDATE; one DELETE

    @extend_schema(request=serializers.BusinessHoursUpdateSerializer, responses=serializers.BusinessHoursSerializer)
    def patch(self, request: Request, hours_id: int) -> Response:
        data = self.validated(serializers.BusinessHoursUpdateSerializer)
        hours = services.business_hours_update(hours_id=hours_id, **data)
        return Response(serializers.BusinessHoursSerializer(hours).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, hours_id: int) -> Response:
        services.business_hours_delete(hours_id=hours_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- supervisors: operator analytics --------------------------------------------------------

ANALYTICS_DEFAULT_DAYS = 7
ANALYTICS_MAX_DAYS = 366


class OperatorAnalyticsView(DeskView):
    """Per agent over a window of claims (`from` included, `to` excluded; default the last 7
    days, at most 366): sessions handled, average first response and resolution, CSAT."""

    access = {"GET": SUPERVISOR}
    # the figures with the page's total in one grouped query; a page past the end counts apart
    query_budget = {"GET": Budget(4, fewest=3)}

    @extend_schema(
        parameters=[
            serializers.OperatorAnalyticsFilterSerializer,
            *(
                OpenApiParameter(item["name"], type=item["schema"], description=item["description"])
                for item in EnvelopePagination().get_schema_operation_parameters(None)  # type: ignore[arg-type]
            ),
        ],
        responses=serializers.OperatorAnalyticsPageSerializer,
    )
    def get(self, request: Request) -> Response:
        filters = serializers.OperatorAnalyticsFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        start, end = filters.period(now=timezone.now(), default_days=ANALYTICS_DEFAULT_DAYS)
        if start > end:
            raise InvalidPeriod()
        if end - start > dt.timedelta(days=ANALYTICS_MAX_DAYS):
            raise InvalidPeriod(f"The window is at most {ANALYTICS_MAX_DAYS} days.", field="to")
        limit, offset = _limit(request), _offset(request)
        items, total = selectors.operator_analytics(start=start, end=end, limit=limit, offset=offset)
        if total is None:  # an empty page: past the end, or nobody at all
            total = selectors.operator_analytics_total(start=start, end=end) if offset else 0
        return Response({"items": items, "total": total, "limit": limit, "offset": offset, "from": start, "to": end})
