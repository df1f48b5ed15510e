from django.urls import path

import apps.core.converters  # noqa: F401 - registers <id:...>, the one id converter
from apps.livechat import views

app_name = "livechat"

urlpatterns = [
    path("webhook/", views.WebhookView.as_view(), name="webhook"),
    path("conversations/", views.ConversationListView.as_view(), name="conversations"),
    path("conversations/<id:contact_id>/messages/", views.MessageListView.as_view(), name="messages"),
    path("conversations/<id:contact_id>/read/", views.ReadView.as_view(), name="read"),
    path("conversations/<id:contact_id>/media/", views.MediaView.as_view(), name="media"),
    path("conversations/<id:contact_id>/export/", views.ExportView.as_view(), name="export"),
    path("conversations/<id:contact_id>/claim/", views.ClaimView.as_view(), name="claim"),
    path("conversations/<id:contact_id>/close/", views.CloseView.as_view(), name="close"),
    path("conversations/<id:contact_id>/transfer/", views.TransferView.as_view(), name="transfer"),
    path("conversations/<id:contact_id>/mode/", views.ModeView.as_view(), name="mode"),
    path("queue/<id:contact_id>/", views.QueuePositionView.as_view(), name="queue"),
    path("messages/search/", views.MessageSearchView.as_view(), name="search"),
    path("kpis/", views.KpiView.as_view(), name="kpis"),
    path("tags/", views.TagListView.as_view(), name="tags"),
    path("tags/<id:tag_id>/contacts/<id:contact_id>/", views.ContactTagView.as_view(), name="contact-tag"),
    path("canned-responses/", views.CannedResponseListView.as_view(), name="canned-responses"),
    # supervisors: the bot's settings, and operator analytics
    path("intents/categories/", views.IntentCategoryListView.as_view(), name="intent-categories"),
    path("intents/categories/<id:category_id>/", views.IntentCategoryDetailView.as_view(), name="intent-category"),
    path(
        "intents/categories/<id:category_id>/keywords/",
        views.IntentKeywordListView.as_view(),
        name="intent-keywords",
    ),
    path(
        "intents/categories/<id:category_id>/keywords/<id:keyword_id>/",
        views.IntentKeywordDetailView.as_view(),
        name="intent-keyword",
    ),
    path(
        "intents/categories/<id:category_id>/responses/",
        views.IntentResponseListView.as_view(),
        name="intent-responses",
    ),
    path(
        "intents/categories/<id:category_id>/responses/<id:response_id>/",
        views.IntentResponseDetailView.as_view(),
        name="intent-response",
    ),
    path("handoff-keywords/", views.HandoffKeywordListView.as_view(), name="handoff-keywords"),
    path("handoff-keywords/<id:keyword_id>/", views.HandoffKeywordDetailView.as_view(), name="handoff-keyword"),
    path("canned-responses/<id:canned_id>/", views.CannedResponseDetailView.as_view(), name="canned-response"),
    path("business-hours/", views.BusinessHoursListView.as_view(), name="business-hours"),
    path("business-hours/<id:hours_id>/", views.BusinessHoursDetailView.as_view(), name="business-hours-detail"),
    path("analytics/operators/", views.OperatorAnalyticsView.as_view(), name="operator-analytics"),
]
