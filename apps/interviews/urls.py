from django.urls import path

import apps.core.converters  # noqa: F401 - registers <id:...>, the one id converter
from apps.interviews import views

app_name = "interviews"

urlpatterns = [
    path("resume/", views.ResumeView.as_view(), name="resume"),
    path("job-postings/", views.PostingListView.as_view(), name="posting-list"),
    path("job-postings/<id:posting_id>/", views.PostingDetailView.as_view(), name="posting-detail"),
    path("api-key/", views.CoachKeyView.as_view(), name="api-key"),
    path("api-key/validate/", views.CoachKeyValidateView.as_view(), name="api-key-validate"),
    path("sessions/", views.SessionListView.as_view(), name="session-list"),
    path("sessions/with-feedback/", views.ProgressView.as_view(), name="sessions-with-feedback"),
    path("sessions/<id:session_id>/", views.SessionDetailView.as_view(), name="session-detail"),
    path("sessions/<id:session_id>/pause/", views.SessionPauseView.as_view(), name="session-pause"),
    path("sessions/<id:session_id>/resume/", views.SessionResumeView.as_view(), name="session-resume"),
    path("sessions/<id:session_id>/complete/", views.SessionCompleteView.as_view(), name="session-complete"),
    path("sessions/<id:session_id>/retake/", views.SessionRetakeView.as_view(), name="session-retake"),
    path("sessions/<id:session_id>/retakes/", views.SessionRetakesView.as_view(), name="session-retakes"),
    path("sessions/<id:session_id>/messages/", views.MessageListView.as_view(), name="message-list"),
    path("sessions/<id:session_id>/questions/", views.QuestionView.as_view(), name="questions"),
    path("sessions/<id:session_id>/answers/", views.AnswerView.as_view(), name="answers"),
    path("sessions/<id:session_id>/feedback/", views.FeedbackView.as_view(), name="feedback"),
    path("operations/<id:operation_id>/", views.OperationDetailView.as_view(), name="operation-detail"),
    path("operations/<id:operation_id>/retry/", views.OperationRetryView.as_view(), name="operation-retry"),
    path("dashboard/", views.DashboardView.as_view(), name="dashboard"),
]
