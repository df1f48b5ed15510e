"""The view template every app copies: access declared per method, budgets declared once.

A Brisk endpoint is a `BriskView` (or, under a scoped object such as `/projects/{id}/` or
`/rooms/{room}/`, a `ScopedView`) that declares, next to its handlers:

    class TaskListView(ProjectView):
        access = {"GET": MEMBER, "POST": WRITER}           # who may call each method
        query_budget = {"GET": 3, "POST": Budget(6, fewest=5)}  # SQL queries per request

        def get(self, request, project_id):
            rows = selectors.task_list_page(project_id=self.scope.pk, filters=self.filters)
            return self.page(rows, builders.task_items)  # or an output serializer class

        def post(self, request, project_id):
            data = self.validated(TaskCreateSerializer)
            task = services.task_create(project=self.scope, reporter=self.caller, **data)
            return Response(builders.task_detail_from_model(task), status=201)

`initial()` runs once per request, before the handler: DRF's authentication and
throttles, then the scope selector (`get_scope()`: a queryset filtered to the caller, so a
stranger gets 404 and learns nothing), then the method's access rule (`check_access()`:
403 for a member without the role). A handler therefore says what it does and nothing
else. A class whose handler has no `access` or `query_budget` entry cannot be defined
(ImproperlyConfigured at import), and a method without an entry is refused with 405.

A scope selector, the token lookup and a hot page query are compiled once per process
(`apps.core.compiled.compiled_query`): `get_scope()` returns a model instance built from the
compiled row, and a handler pages a bound compiled query exactly as it pages a queryset
(`self.page(selectors.task_list_page(...), builders.task_items)`).

`query_budget` is the single declaration of the endpoint's SQL cost (auth token lookup
included): the tests (`tests/querybudget.py`), the OpenAPI description ("Queries: N"),
the README's API table (checked by a test) and `make bench-check` read it from here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, cast

from django.core.exceptions import ImproperlyConfigured
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.openapi import AutoSchema
from rest_framework import exceptions, generics
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

if TYPE_CHECKING:
    from apps.accounts.models import User

# Access rules every view understands. Apps add their own (projects: WRITER, ADMIN) and
# interpret them in `check_access`.
AUTHENTICATED = "authenticated"  # any signed-in caller; the selectors scope the rows to them
MEMBER = "member"  # anyone the scope selector lets through (a stranger already got 404)


@dataclass(frozen=True)
class Budget:
    """An endpoint method's SQL queries per request, the same at 1 row and at 200.

    `queries` is the most the method runs (cold cache, costlier branch): the figure the
    bench enforces. `fewest`, when a cache or a branch saves some, is the least it runs.
    """

    queries: int
    fewest: int | None = None

    def __str__(self) -> str:
        return str(self.queries) if self.fewest is None else f"{self.fewest}-{self.queries}"


def as_budget(value: int | Budget) -> Budget:
    return value if isinstance(value, Budget) else Budget(value)


def _handled_methods(cls: type[generics.GenericAPIView[Any]]) -> list[str]:
    return [m.upper() for m in cls.http_method_names if m not in ("options", "head") and hasattr(cls, m)]


class BriskView(generics.GenericAPIView[Any]):
    """Base of every endpoint: per-method access rules and query budgets, input and page helpers."""

    access: ClassVar[Mapping[str, str]] = {}
    query_budget: ClassVar[Mapping[str, int | Budget]] = {}
    filter_backends = ()  # selectors filter; no backend touches the queryset

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for method in _handled_methods(cls):
            for declaration in ("access", "query_budget"):
                if method not in getattr(cls, declaration):
                    raise ImproperlyConfigured(f"{cls.__qualname__} handles {method} but declares no {declaration}")

    # --- the checks, once per request --------------------------------------------------

    def access_rule(self, method: str) -> str:
        if method == "HEAD":
            method = "GET"
        if method == "OPTIONS":  # metadata only: whoever may reach the URL at all
            return self.access.get("GET", AUTHENTICATED)
        rule = self.access.get(method)
        if rule is None:  # no declared permission: never served
            raise exceptions.MethodNotAllowed(method)
        return rule

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # authentication, permission classes, throttles
        rule = self.access_rule(request.method or "GET")
        self.load_scope()
        self.check_access(rule)

    def load_scope(self) -> None:
        """Nothing to load for an unscoped endpoint: its selectors start from the caller's rows."""

    def check_access(self, rule: str) -> None:
        """Refuse the request unless `rule` holds; subclasses add their own rules."""
        if rule not in (AUTHENTICATED, MEMBER):
            raise ImproperlyConfigured(f"{type(self).__qualname__}: unknown access rule {rule!r}")

    # --- helpers for handlers ----------------------------------------------------------

    @property
    def caller(self) -> User:
        """The signed-in caller, as the `User` services take (every rule but a public view's
        has let only signed-in callers through; anonymous here is a 401, never a crash)."""
        user = self.request.user
        if user.is_anonymous:
            raise exceptions.NotAuthenticated()
        return user

    def validated(self, serializer_class: type[BaseSerializer[Any]], data: Any = None, **kwargs: Any) -> dict[str, Any]:
        """Validate `data` (default: the request body) with an input serializer; 400 with field errors."""
        serializer = serializer_class(data=self.request.data if data is None else data, **kwargs)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def page(
        self,
        queryset: Any,
        output: type[BaseSerializer[Any]] | Callable[[list[Any]], Any],
        *,
        context: Mapping[str, Any] | None = None,
    ) -> Response:
        """One page of `queryset` in the list envelope, each item built by `output`: an output
        serializer class, or a builder called with the page's rows that returns the items."""
        rows = self.paginate_queryset(queryset) or []
        items: Any
        if isinstance(output, type) and issubclass(output, BaseSerializer):
            items = output(rows, many=True, context=dict(context or {})).data
        else:
            items = cast(Callable[[list[Any]], Any], output)(rows)
        return self.get_paginated_response(items)


class ScopedView(BriskView):
    """Base of every endpoint under a scoped object (`/projects/{id}/…`, `/rooms/{room}/…`).

    Subclasses (one per app: `ProjectView`, `RoomView`) implement `get_scope()` with the
    app's scope selector, which starts from the caller's rows and raises a 404 for anyone
    else, and `check_access()` for their role rules. Handlers read `self.scope`.
    """

    scope: Any

    def load_scope(self) -> None:
        self.scope = self.get_scope()

    def get_scope(self) -> Any:
        raise NotImplementedError(f"{type(self).__qualname__} must implement get_scope()")


# --- budgets: where the declaration is read --------------------------------------------


def view_class_of(callback: Callable[..., Any]) -> type | None:
    """The class behind a URL pattern's callback (DRF's `cls`, Django's `view_class`)."""
    return getattr(callback, "cls", None) or getattr(callback, "view_class", None)


def declared_budget(view_class: type | None, method: str) -> Budget | None:
    declared = getattr(view_class, "query_budget", None) or {}
    value = declared.get(method.upper())
    return None if value is None else as_budget(value)


@dataclass(frozen=True)
class Route:
    path: str  # the pattern as written, e.g. "api/projects/<id:project_id>/tasks/"
    name: str | None  # with its namespace, e.g. "projects:task-list"
    callback: Callable[..., Any]

    @property
    def view_class(self) -> type | None:
        return view_class_of(self.callback)


def iter_routes(patterns: Sequence[Any] | None = None, prefix: str = "", namespace: str = "") -> Iterator[Route]:
    """Every URL pattern of the project, with its full path and namespaced name."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(part for part in (namespace, pattern.namespace or "") if part)
            yield from iter_routes(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield Route(prefix + str(pattern.pattern), name, pattern.callback)


def budget_for(url_name: str, method: str) -> Budget:
    """The declared budget of the route named `url_name` (e.g. "projects:task-list") for `method`."""
    for route in iter_routes():
        if route.name == url_name:
            budget = declared_budget(route.view_class, method)
            if budget is None:
                raise LookupError(f"{url_name} declares no query budget for {method}")
            return budget
    raise LookupError(f"no route named {url_name}")


class BudgetedAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, with the declared query budget at the end of each operation's description."""

    def get_description(self) -> str:  # type: ignore[override]  # drf-spectacular's signature
        description = super().get_description() or ""
        budget = declared_budget(type(self.view), self.method)
        if budget is None:
            return description
        line = f"Queries: {budget} (SQL statements per request, token lookup included)."
        return f"{description}\n\n{line}" if description else line
