from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework.metadata import SimpleMetadata

if TYPE_CHECKING:  # rest_framework.views imports this module through its settings
    from rest_framework.request import Request
    from rest_framework.views import APIView


class BriskMetadata(SimpleMetadata):
    """OPTIONS answers name, description, renderers and parsers, without DRF's per-action form
    introspection: that calls `get_object()` and `get_serializer()` outside the view's normal
    path, which leaks object existence to strangers and breaks on views with custom lookups."""

    def determine_metadata(self, request: Request, view: APIView) -> dict[str, Any]:
        return {
            "name": view.get_view_name(),
            "description": view.get_view_description(),
            "renders": [renderer.media_type for renderer in view.renderer_classes],
            "parses": [parser.media_type for parser in view.parser_classes],
        }
