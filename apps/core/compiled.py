"""Hot queries compiled once per process: the ORM writes the SQL, each request only binds values.

Building a queryset (`filter`, `annotate`, subqueries) and compiling it to SQL cost more CPU
than PostgreSQL spends answering it on the hottest endpoints (issue 9: a fifth of a task
list's busy time), and the text is the same on every request. A `CompiledQuery` keeps the
queryset as the readable definition, builds it once per *shape* with a stand-in value for
each parameter, remembers the SQL and where each stand-in landed in its parameters, and from
then on runs that SQL with the request's values (through Django's cursor, so the query
counting of `apps.core.profiling` and the tests' query budgets see it as before):

    @compiled_query(params={"user_id": int, "project_id": int})
    def _member_project(*, user_id, project_id, with_total):   # with_total: part of the shape
        return Project.objects.filter(pk=project_id, members__user_id=user_id).values(...)

    rows = _member_project.rows(user_id=7, project_id=42, with_total=False)

Parameters are the values that change per request (ids, a timestamp, a filter value); every
other keyword argument is the query's shape and part of the cache key, so it must be
hashable and take few values (a flag, which optional filters are present). A parameter
that Django transforms before binding (`icontains` wraps it in `%...%`) cannot be bound
this way: compiling such a shape raises ImproperlyConfigured; run it with `compiled=False`
(`rows(..., compiled=False)` evaluates the queryset as the ORM always does). A request silk
samples runs the ORM path too, so silk's SQL hook (on Django's compiler) records every query.

`rows()` returns what `.values()` would: a list of dicts keyed by the values() names, with
the ORM's converters applied. `limit`/`offset` append `LIMIT %s OFFSET %s` as parameters
(Django writes them into the text, which would make every page its own shape).
"""

from __future__ import annotations

import datetime
import threading
import uuid
from collections.abc import Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet

from apps.core.profiling import silk_is_recording

M = TypeVar("M", bound=Model)

# Stand-ins: values no request sends, distinct per parameter, of the parameter's type.
_INT_STAND_IN = 7_340_032_000_000_000_000  # below 2**63 (bigint), far above any id
_STR_STAND_IN = "\x00brisk-param:{}\x00"
_DATETIME_STAND_IN = datetime.datetime(2999, 12, 31, 23, 59, 59, tzinfo=datetime.UTC)
_UUID_STAND_IN = uuid.UUID("b715c0de-0000-4000-8000-000000000000")  # the job queue's ids are UUIDs


def _datetime_adapter(using: str) -> Callable[[Any], Any]:
    def adapt(value: Any) -> Any:
        return connections[using].ops.adapt_datetimefield_value(value)

    return adapt


def _uuid_hex(value: Any) -> str:
    # a UUID as a backend without a uuid type stores it (SQLite: 32 hex digits)
    return uuid.UUID(str(value)).hex


def _stand_in(kind: type, index: int, name: str) -> Any:
    if kind is int:
        return _INT_STAND_IN + index
    if kind is str:
        return _STR_STAND_IN.format(name)
    if kind is datetime.datetime:
        return _DATETIME_STAND_IN.replace(microsecond=index)
    if kind is uuid.UUID:
        return uuid.UUID(int=_UUID_STAND_IN.int + index)
    raise ImproperlyConfigured(f"compiled_query: parameter {name!r} has unsupported type {kind!r}")


@dataclass(frozen=True)
class _Compiled:
    sql: str
    constants: tuple[Any, ...]  # the compiled parameters, stand-ins included
    slots: tuple[tuple[int, str, Callable[[Any], Any] | None], ...]  # (position, parameter name, wrapper)
    names: tuple[str, ...]  # the values() keys, in column order
    converters: tuple[tuple[int, tuple[Callable[..., Any], ...], Any], ...]  # (column, converters, expression)


class CompiledQuery:
    """A values() queryset builder whose SQL is compiled once per shape (see the module doc)."""

    def __init__(self, build: Callable[..., QuerySet[Any, dict[str, Any]]], params: Mapping[str, type]) -> None:
        self.build = build
        self.params = dict(params)
        self.__doc__ = build.__doc__
        self.__name__ = getattr(build, "__name__", "compiled_query")
        self._cache: dict[tuple[str, bool, tuple[tuple[str, Hashable], ...]], _Compiled] = {}
        self._lock = threading.Lock()

    def queryset(self, **kwargs: Any) -> QuerySet[Any, dict[str, Any]]:
        """The queryset itself, with the real values (the ORM path; also what tests compare against)."""
        return self.build(**kwargs)

    def rows(
        self,
        *,
        using: str = DEFAULT_DB_ALIAS,
        limit: int | None = None,
        offset: int = 0,
        compiled: bool = True,
        **kwargs: Any,
    ) -> list[dict[str, Any]]:
        if not compiled or silk_is_recording():
            queryset = self.build(**kwargs).using(using)
            if limit is not None:
                queryset = queryset[offset : offset + limit]
            return list(queryset)
        entry, bound = self._bound(using, False, kwargs)
        sql = entry.sql
        if limit is not None:
            sql += " LIMIT %s OFFSET %s"
            bound += [limit, offset]
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(sql, bound)
            fetched = cursor.fetchall()
        names = entry.names
        if not entry.converters:
            return [dict(zip(names, row, strict=True)) for row in fetched]
        result = []
        for row in fetched:
            row = list(row)
            for column, converters, expression in entry.converters:
                value = row[column]
                for converter in converters:
                    value = converter(value, expression, connection)
                row[column] = value
            result.append(dict(zip(names, row, strict=True)))
        return result

    def count(self, *, using: str = DEFAULT_DB_ALIAS, compiled: bool = True, **kwargs: Any) -> int:
        """How many rows `rows()` would return without a limit: `SELECT COUNT(*)` over the
        query without its ORDER BY, compiled once per shape like the rows."""
        if not compiled or silk_is_recording():
            return self.build(**kwargs).using(using).count()
        entry, bound = self._bound(using, True, kwargs)
        with connections[using].cursor() as cursor:
            cursor.execute(entry.sql, bound)
            return int(cursor.fetchone()[0])

    def _bound(self, using: str, count: bool, kwargs: dict[str, Any]) -> tuple[_Compiled, list[Any]]:
        """The compiled entry for these arguments' shape, and its parameters with their values."""
        values = {}
        shape = dict(kwargs)
        for name in self.params:  # a parameter given as None is absent: part of the shape
            value = shape.pop(name, None)
            if value is None:
                shape[name] = None
            else:
                values[name] = value
        entry = self._compiled(using, shape, values, count)
        bound = list(entry.constants)
        for position, name, wrap in entry.slots:
            bound[position] = values[name] if wrap is None else wrap(values[name])
        return entry, bound

    def bind(self, *, using: str = DEFAULT_DB_ALIAS, compiled: bool = True, **kwargs: Any) -> BoundQuery:
        """The query with its values, not yet run: slice it for a page, or `count()` it (what the
        list pagination asks of a queryset)."""
        return BoundQuery(self, using, compiled, kwargs)

    def _compiled(self, using: str, shape: dict[str, Any], values: dict[str, Any], count: bool) -> _Compiled:
        key = (using, count, tuple(sorted(shape.items())))
        entry = self._cache.get(key)
        if entry is None:
            with self._lock:
                entry = self._cache.get(key) or self._compile(using, shape, values, count)
                self._cache[key] = entry
        return entry

    def _compile(self, using: str, shape: dict[str, Any], values: dict[str, Any], count: bool) -> _Compiled:
        kinds = self.params
        stand_ins = {name: _stand_in(kinds[name], i, name) for i, name in enumerate(kinds) if name in values}
        queryset = self.build(**stand_ins, **shape)
        if count:
            queryset = queryset.order_by()  # a count needs no order
        query = queryset.query
        if query.low_mark or query.high_mark is not None:
            raise ImproperlyConfigured(f"{self.__name__}: slice with rows(limit=, offset=), not in the builder")
        compiler = query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        slots: list[tuple[int, str, Callable[[Any], Any] | None]] = []
        found = set()
        for position, value in enumerate(params):
            for name, stand_in in stand_ins.items():
                # the backend may have wrapped it (psycopg's Int8 for a value in a CASE): bind the
                # request's value wrapped the same way
                if isinstance(value, type(stand_in)) and value == stand_in:
                    slots.append((position, name, None if type(value) is type(stand_in) else type(value)))
                    found.add(name)
                    break
                if isinstance(stand_in, uuid.UUID) and isinstance(value, str) and value == stand_in.hex:
                    slots.append((position, name, _uuid_hex))
                    found.add(name)
                    break
                if isinstance(stand_in, datetime.datetime) and isinstance(value, str):
                    # SQLite binds a datetime as its text in the connection's zone
                    adapt = _datetime_adapter(using)
                    if value == adapt(stand_in):
                        slots.append((position, name, adapt))
                        found.add(name)
                        break
                if isinstance(value, str) and isinstance(stand_in, str) and stand_in in value:
                    raise ImproperlyConfigured(f"{self.__name__}: parameter {name!r} is transformed ({value!r})")
        missing = set(stand_ins) - found
        if missing:
            raise ImproperlyConfigured(f"{self.__name__}: parameters {sorted(missing)} do not reach the SQL as given")
        # as ValuesIterable names them
        names = tuple(query.selected or (*query.extra_select, *query.values_select, *query.annotation_select))
        fields = [column[0] for column in compiler.select[: compiler.col_count]]
        converters = compiler.get_converters(fields)
        if len(names) != len(fields):
            raise ImproperlyConfigured(f"{self.__name__}: the builder must return a values() queryset")
        if count:
            sql = f'SELECT COUNT(*) FROM ({sql}) AS "counted"'  # noqa: S608 - Django's own SQL, values bound
            names, converters = ("count",), {}
        return _Compiled(
            sql=sql,
            constants=tuple(params),
            slots=tuple(slots),
            names=tuple(names),
            converters=tuple((column, tuple(funcs), expression) for column, (funcs, expression) in converters.items()),
        )


class BoundQuery:
    """A `CompiledQuery` with its values: `bound[offset:offset + limit]` runs one page of it,
    `count()` counts it (pagination's COUNT, when the view does not know the total)."""

    def __init__(self, query: CompiledQuery, using: str, compiled: bool, kwargs: dict[str, Any]) -> None:
        self.query, self.using, self.compiled, self.kwargs = query, using, compiled, kwargs

    def __getitem__(self, page: slice) -> list[dict[str, Any]]:
        if not isinstance(page, slice) or page.step is not None or page.start is None or page.stop is None:
            raise TypeError("a BoundQuery is sliced as [offset:offset + limit]")
        limit = max(page.stop - page.start, 0)
        return self.query.rows(using=self.using, compiled=self.compiled, limit=limit, offset=page.start, **self.kwargs)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.query.rows(using=self.using, compiled=self.compiled, **self.kwargs))

    def count(self) -> int:
        return self.query.count(using=self.using, compiled=self.compiled, **self.kwargs)

    def queryset(self) -> QuerySet[Any, dict[str, Any]]:
        """The same query as a QuerySet (EXPLAIN in the tests, the ORM path)."""
        return self.query.queryset(**self.kwargs).using(self.using)


def compiled_query(*, params: Mapping[str, type]) -> Callable[[Callable[..., Any]], CompiledQuery]:
    """Decorate a values() queryset builder: `params` names the per-request values and their types."""

    def decorate(build: Callable[..., Any]) -> CompiledQuery:
        return CompiledQuery(build, params)

    return decorate


def concrete_columns(model: type[Model], prefix: str = "") -> tuple[str, ...]:
    """The values() names of every concrete column of `model` (FKs as `<name>_id`), under a
    relation prefix such as "user__": what `select_related` would load, for `instance_from_row`."""
    return tuple(prefix + field.attname for field in model._meta.concrete_fields)


def instance_from_row(model: type[M], row: Mapping[str, Any], prefix: str = "", using: str = DEFAULT_DB_ALIAS) -> M:
    """The model instance the ORM would build from `row`'s `concrete_columns(model, prefix)`
    (a loaded instance: saving it updates, deferred nothing)."""
    names = [field.attname for field in model._meta.concrete_fields]
    return model.from_db(using, names, [row[prefix + name] for name in names])
