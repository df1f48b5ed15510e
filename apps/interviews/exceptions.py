"""Interview practice's refusals: one class per stable `code`."""

from __future__ import annotations

from apps.core.exceptions import ApplicationError, ConflictError, NotFoundError


class ResumeNotFound(NotFoundError):
    code = "resume_not_found"
    default_message = "You have no resume yet."


class JobPostingNotFound(NotFoundError):
    code = "job_posting_not_found"
    default_message = "No such job posting."


class SessionNotFound(NotFoundError):
    code = "session_not_found"
    default_message = "No such interview session."


class OperationNotFound(NotFoundError):
    code = "operation_not_found"
    default_message = "No such operation."


class FeedbackNotFound(NotFoundError):
    code = "feedback_not_found"
    default_message = "This session has no feedback yet."


class CoachKeyNotFound(NotFoundError):
    code = "api_key_not_found"
    default_message = "You have stored no API key."


class SessionNotActive(ConflictError):
    code = "session_not_active"
    default_message = "The session is not active."


class InvalidTransition(ConflictError):
    code = "invalid_transition"
    default_message = "The session cannot make this change from its current status."


class QuestionOpen(ConflictError):
    code = "question_open"
    default_message = "The last question is still open: answer it first."


class NoOpenQuestion(ConflictError):
    code = "no_open_question"
    default_message = "There is no open question to answer."


class OperationPending(ConflictError):
    code = "operation_pending"
    default_message = "An operation of this kind is already running for this session."


class OperationNotFailed(ConflictError):
    code = "operation_not_failed"
    default_message = "Only a failed operation can be retried."


class FeedbackExists(ConflictError):
    code = "feedback_exists"
    default_message = "This session already has feedback."


class ResumeRequired(ApplicationError):
    code = "resume_required"
    default_message = "Add a resume before asking for feedback."


class NoAnswers(ApplicationError):
    code = "no_answers"
    default_message = "Answer at least one question before asking for feedback."


class SessionNotCompleted(ConflictError):
    code = "session_not_completed"
    default_message = "Complete the session first."


class KeyInvalid(ApplicationError):
    code = "invalid_key"
    default_message = "The configured server refused this API key."
