"""Admin pieces every app shares: domain edits go through services, whose refusals are messages."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from apps.core.exceptions import ApplicationError


class ServiceRefusalAdminMixin(admin.ModelAdmin):  # type: ignore[type-arg]  # mixed into each app's typed admin
    """A save or delete the service refuses (an `ApplicationError`) shows the reason and writes
    nothing (services are atomic; a bulk delete refused part-way rolls back whole), instead of
    a 500 page."""

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ApplicationError as error:
            self.message_user(request, f"Not saved: {error.message}", level=messages.ERROR)
            return HttpResponseRedirect(request.path)

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)
        except ApplicationError as error:
            self.message_user(request, f"Not deleted: {error.message}", level=messages.ERROR)
            return HttpResponseRedirect(request.path)

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        try:
            with transaction.atomic():  # a bulk delete refused part-way writes nothing
                return super().changelist_view(request, extra_context)
        except ApplicationError as error:
            self.message_user(request, f"Not deleted: {error.message}", level=messages.ERROR)
            return HttpResponseRedirect(request.path)
