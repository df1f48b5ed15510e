"""The workshop's refusals: one class per stable `code`."""

from __future__ import annotations

from apps.core.exceptions import ApplicationError, ConflictError, ForbiddenError, NotFoundError


class WorkshopNotFound(NotFoundError):
    """Also a stranger's answer for a workshop that exists: the same 404 either way."""

    code = "workshop_not_found"
    default_message = "No such workshop."


class FacilitatorRequired(ForbiddenError):
    code = "facilitator_required"
    default_message = "Only the workshop's facilitator can do this."


class FacilitatorDoesNotAnnotate(ForbiddenError):
    code = "facilitator_does_not_annotate"
    default_message = "The facilitator does not annotate traces."


class UnknownUser(ApplicationError):
    # not `user_not_found`: that code names the `username` field everywhere else
    code = "unknown_user"
    field = "user_id"
    default_message = "No such user."


class ParticipantExists(ConflictError):
    code = "participant_exists"
    default_message = "The user is already in this workshop."


class ParticipantNotFound(NotFoundError):
    code = "participant_not_found"
    default_message = "No such participant."


class FacilitatorSeat(ConflictError):
    code = "facilitator_seat"
    default_message = "The facilitator's own seat cannot be changed or removed."


class TraceNotFound(NotFoundError):
    code = "trace_not_found"
    default_message = "No such trace in this workshop."


class UnknownTrace(ApplicationError):
    code = "unknown_trace"
    field = "trace_id"
    default_message = "No such trace in this workshop."


class InvalidTraceItem(ApplicationError):
    """A bulk load's item is malformed: the message names its index, nothing is stored."""

    code = "invalid_trace"
    field = "traces"


class TooManyTraces(ApplicationError):
    code = "too_many_traces"
    field = "traces"


class PhaseOutOfOrder(ConflictError):
    code = "phase_out_of_order"


class PrerequisiteMissing(ConflictError):
    """Advancing needs something the workshop does not have yet; `code` names the first one missing."""

    code = "prerequisite_missing"


class NoTracesLoaded(PrerequisiteMissing):
    code = "no_traces"
    default_message = "Load traces first."


class NoFindings(PrerequisiteMissing):
    code = "no_findings"
    default_message = "At least one discovery finding is needed."


class NoRubricQuestions(PrerequisiteMissing):
    code = "no_rubric_questions"
    default_message = "At least one rubric question is needed."


class NoAnnotations(PrerequisiteMissing):
    code = "no_annotations"
    default_message = "At least one annotation is needed."


class NoNextPhase(ConflictError):
    code = "no_next_phase"
    default_message = "The workshop is in its last phase."


class ConfirmRequired(ApplicationError):
    code = "confirm_required"
    field = "confirm"
    default_message = 'Resetting clears the phase\'s progress: send "confirm": true.'


class NothingToReset(ConflictError):
    code = "nothing_to_reset"
    default_message = "Only the discovery and annotation phases have progress to reset."


class QuestionNotFound(NotFoundError):
    code = "question_not_found"
    default_message = "No such rubric question."


class InvalidRating(ApplicationError):
    code = "invalid_rating"
    field = "ratings"


class UnknownQuestion(ApplicationError):
    code = "unknown_question"
    field = "ratings"


class NotesHidden(ForbiddenError):
    code = "notes_hidden"
    default_message = "Participant notes are turned off in this workshop."


class NoteNotFound(NotFoundError):
    code = "note_not_found"
    default_message = "No such note of yours."


class PromptNotFound(NotFoundError):
    code = "prompt_not_found"
    default_message = "No such judge prompt in this workshop."


class InvalidEvaluation(ApplicationError):
    """A bulk import's item is malformed: the message names its index, nothing is stored."""

    code = "invalid_evaluation"
    field = "evaluations"
