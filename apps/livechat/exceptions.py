"""The live-chat desk's refusals, one class per stable code."""

from __future__ import annotations

from apps.core.exceptions import ApplicationError, ConflictError, ForbiddenError


class AgentRequired(ForbiddenError):
    code = "agent_required"
    default_message = "Only live-chat agents may do this."


class SupervisorRequired(ForbiddenError):
    code = "supervisor_required"
    default_message = "Only live-chat supervisors may do this."


class NotTheOperator(ForbiddenError):
    code = "not_the_operator"
    default_message = "Only the session's operator may do this."


class SessionAlreadyClaimed(ConflictError):
    code = "session_already_claimed"
    default_message = "The session is not waiting: someone claimed it or it was closed."


class SessionNotActive(ConflictError):
    code = "session_not_active"
    default_message = "The contact has no active session."


class InvalidTransfer(ApplicationError):
    code = "invalid_transfer"
    default_message = "Transfer to another agent."
    field = "agent_id"


class UnknownCannedResponse(ApplicationError):
    code = "unknown_canned_response"
    default_message = "No such canned response."
    field = "canned_id"


class MalformedWebhook(ApplicationError):
    code = "malformed_webhook"
    default_message = "The webhook body is not a LINE webhook."
    field = "events"


class NameTaken(ConflictError):
    code = "name_taken"
    default_message = "The name is taken."


class DuplicateValue(ApplicationError):
    code = "duplicate"
    default_message = "This value is taken."


class EmptyUpdate(ApplicationError):
    code = "empty_update"
    default_message = "Give at least one field to change."


class InvalidReply(ApplicationError):
    code = "invalid_reply"
    default_message = "The response is not a LINE message."
    field = "payload"


class InvalidBusinessHours(ApplicationError):
    code = "invalid_business_hours"
    default_message = "opens must be before closes."
    field = "closes"


class InvalidPeriod(ApplicationError):
    code = "invalid_period"
    default_message = "from must not be after to."
    field = "from"
