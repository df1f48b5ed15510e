from django.urls import path

import apps.core.converters  # noqa: F401 - registers <id:...>, the one id converter
from apps.workshops import views

app_name = "workshops"

urlpatterns = [
    path("", views.WorkshopListView.as_view(), name="workshop-list"),
    path("<id:workshop_id>/", views.WorkshopDetailView.as_view(), name="workshop-detail"),
    path("<id:workshop_id>/participants/", views.ParticipantListView.as_view(), name="participant-list"),
    path(
        "<id:workshop_id>/participants/<id:user_id>/", views.ParticipantDetailView.as_view(), name="participant-detail"
    ),
    path("<id:workshop_id>/traces/", views.TraceListView.as_view(), name="trace-list"),
    path("<id:workshop_id>/traces/upload/", views.TraceUploadView.as_view(), name="trace-upload"),
    path("<id:workshop_id>/traces/<id:trace_id>/", views.TraceDetailView.as_view(), name="trace-detail"),
    path("<id:workshop_id>/phase/", views.PhaseView.as_view(), name="phase"),
    path("<id:workshop_id>/findings/", views.FindingListView.as_view(), name="finding-list"),
    path("<id:workshop_id>/discovery/complete/", views.DiscoveryCompleteView.as_view(), name="discovery-complete"),
    path("<id:workshop_id>/discovery/progress/", views.DiscoveryProgressView.as_view(), name="discovery-progress"),
    path("<id:workshop_id>/rubric/questions/", views.QuestionListView.as_view(), name="question-list"),
    path(
        "<id:workshop_id>/rubric/questions/<id:question_id>/",
        views.QuestionDetailView.as_view(),
        name="question-detail",
    ),
    path("<id:workshop_id>/annotations/", views.AnnotationListView.as_view(), name="annotation-list"),
    path("<id:workshop_id>/irr/", views.IrrView.as_view(), name="irr"),
    path("<id:workshop_id>/export/", views.ExportView.as_view(), name="export"),
    path("<id:workshop_id>/status/", views.StatusView.as_view(), name="status"),
    path("<id:workshop_id>/judge-prompts/", views.JudgePromptListView.as_view(), name="prompt-list"),
    path(
        "<id:workshop_id>/judge-prompts/<id:prompt_id>/evaluations/",
        views.EvaluationListView.as_view(),
        name="evaluation-list",
    ),
    path(
        "<id:workshop_id>/judge-prompts/<id:prompt_id>/metrics/", views.JudgeMetricsView.as_view(), name="judge-metrics"
    ),
    path("<id:workshop_id>/notes/", views.NoteListView.as_view(), name="note-list"),
    path("<id:workshop_id>/notes/<id:note_id>/", views.NoteDetailView.as_view(), name="note-detail"),
]
