"""Under /v1/joblib/ every error is RFC 9457 problem details, whoever answered it.

The views answer problems themselves (apps.jobs.compat.problems); this catches the rest: the
shared middleware's JSON refusals (a NUL in the query string), Django's CSRF page, an
uncaught exception. It sits outermost, so it sees each final response once.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.core.signals import got_request_exception
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from apps.core.middleware import ResponseRewriteMiddleware
from apps.jobs.compat.problems import PROBLEM_CONTENT_TYPE, problem_body, problem_response

PREFIX = "/v1/joblib/"
logger = logging.getLogger("brisk.errors")


class ProblemDetailsMiddleware(ResponseRewriteMiddleware):
    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponseBase | None:
        if not request.path.startswith(PREFIX):
            return None
        logger.error("unhandled error on %s %s", request.method, request.path, exc_info=exception)
        got_request_exception.send(sender=None, request=request)
        return problem_response(500)

    def _finish(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if response.status_code < 400 or not request.path.startswith(PREFIX):
            return response
        if response.get("Content-Type", "").startswith(PROBLEM_CONTENT_TYPE):
            return response
        data: Any = None
        if "json" in response.get("Content-Type", "") and hasattr(response, "content"):
            try:
                data = json.loads(response.content)
            except ValueError:
                data = None
        if isinstance(data, dict) and "detail" in data:
            replacement = problem_response(response.status_code)
            replacement.content = json.dumps(problem_body(response.status_code, data)).encode()
        else:
            replacement = problem_response(response.status_code)
        for header in ("Allow", "Retry-After", "WWW-Authenticate", "Vary"):
            if header in response:
                replacement[header] = response[header]
        return replacement
