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
]
