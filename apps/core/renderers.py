"""The API's JSON renderer: orjson's speed, DRF's bytes.

drf-orjson-renderer was measured and not taken: it writes datetimes as `+00:00` where
DRF writes `Z`, does not escape U+2028/U+2029, and fails on integers past 64 bits.
Here orjson hands every type it does not treat exactly as DRF's `JSONEncoder` (dates,
times, decimals, lazy strings, querysets...) to that encoder's own `default`, and
whatever orjson refuses (an integer past 64 bits, a lone surrogate, a non-string key)
falls back to DRF's renderer. The output is byte for byte DRF's compact JSON
(tests/core/test_renderers.py), with one known difference: a float below 1e-4 is
written `1e-5`/`0.00001` where Python writes `1e-05` (the same number).
"""

from __future__ import annotations

from typing import Any

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_drf_default = JSONEncoder().default
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


class FastJSONRenderer(JSONRenderer):
    """DRF's JSONRenderer (same media type, charset and bytes), rendered by orjson."""

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        if data is None:
            return b""
        if self.get_indent(accepted_media_type or "", renderer_context or {}):
            # the browsable API and `?indent`: not a hot path, DRF's own renderer indents
            return bytes(super().render(data, accepted_media_type, renderer_context))
        try:
            rendered = orjson.dumps(data, default=_drf_default, option=_OPTIONS)
        except (orjson.JSONEncodeError, TypeError, ValueError):
            return bytes(super().render(data, accepted_media_type, renderer_context))
        # as DRF does: U+2028/U+2029 are valid JSON but end a line in JavaScript
        if b"\xe2\x80\xa8" in rendered or b"\xe2\x80\xa9" in rendered:
            rendered = rendered.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
        return rendered
