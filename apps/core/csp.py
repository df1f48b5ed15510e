"""Content-Security-Policy: django-csp's middleware, with the few inline handlers silk needs.

The policy (settings.CONTENT_SECURITY_POLICY) allows scripts from this origin only: the admin,
Swagger UI (drf-spectacular loads its init script from a URL, not inline) and the browsable
API run under it as they are. silk's pages carry inline event handlers
(`onchange="this.form.submit();"`, an empty `onload`); under /silk/ exactly those handlers are
allowed, by hash, and nothing else inline. `tests/browser/` proves each page in Chromium.
"""

from __future__ import annotations

import base64
import hashlib

from csp.constants import UNSAFE_HASHES
from csp.middleware import CSPMiddleware, PolicyParts
from django.http import HttpRequest
from django.http.response import HttpResponseBase

# Every inline handler in silk's templates (silk 5.x), verbatim.
SILK_INLINE_HANDLERS = ("this.form.submit();", "", "\n", "createViz()")


def script_hash(source: str) -> str:
    digest = hashlib.sha256(source.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


SILK_SCRIPT_SRC_EXTRA = {"script-src": [UNSAFE_HASHES, *(script_hash(h) for h in SILK_INLINE_HANDLERS)]}


class BriskCSPMiddleware(CSPMiddleware):
    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if request.path.startswith("/silk/") and parts.update is None:
            parts.update = SILK_SCRIPT_SRC_EXTRA
        return parts
