"""Trace files in: CSV (`external_id, input, output`, optional `context` and `metadata` as JSON
text) or JSONL, read row by row from the request body, at most MAX_TRACES_PER_LOAD rows.

A parser hands the view the body's stream; `rows_from_upload` turns it into trace items, and a
bad row (missing column, broken JSON cell, undecodable text) is a 400 naming the row. Nothing
is stored until every row has been read and validated (the view then loads them as one upsert).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import IO, Any

from rest_framework.parsers import BaseParser

from apps.workshops.exceptions import InvalidTraceItem, TooManyTraces
from apps.workshops.services import MAX_TRACES_PER_LOAD

REQUIRED = ("external_id", "input", "output")
JSON_COLUMNS = ("context", "metadata")


class CsvUploadParser(BaseParser):
    media_type = "text/csv"

    def parse(self, stream: IO[bytes], media_type: str | None = None, parser_context: Any = None) -> Any:
        return ("csv", stream)


class JsonlUploadParser(BaseParser):
    media_type = "application/x-ndjson"

    def parse(self, stream: IO[bytes], media_type: str | None = None, parser_context: Any = None) -> Any:
        return ("jsonl", stream)


def _lines(stream: IO[bytes] | None) -> Iterator[str]:
    if stream is None:
        return
    for number, raw in enumerate(stream, start=1):
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidTraceItem(f"line {number} is not UTF-8 text.", extra={"row": number}) from None


def _limited(rows: Iterator[dict[str, Any]]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for item in rows:
        if len(items) == MAX_TRACES_PER_LOAD:
            raise TooManyTraces(f"A file holds at most {MAX_TRACES_PER_LOAD} traces.")
        items.append(item)
    return items


def _csv_rows(stream: IO[bytes] | None) -> Iterator[dict[str, Any]]:
    reader = csv.DictReader(_lines(stream))
    try:
        header = reader.fieldnames or []
    except csv.Error as error:
        raise InvalidTraceItem(f"The header row is not CSV: {error}.", extra={"row": 0}) from None
    missing = [column for column in REQUIRED if column not in header]
    if missing:
        raise InvalidTraceItem(f"The header lacks the column(s) {', '.join(missing)}.", extra={"row": 0})
    row_number = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise InvalidTraceItem(
                f"row {row_number + 1} is not CSV: {error}.", extra={"row": row_number + 1}
            ) from None
        row_number += 1
        if None in row or any(row.get(column) is None for column in REQUIRED):
            raise InvalidTraceItem(f"row {row_number} does not have the header's columns.", extra={"row": row_number})
        item: dict[str, Any] = {column: row[column] for column in REQUIRED}
        for column in JSON_COLUMNS:
            cell = row.get(column)
            if cell:
                try:
                    item[column] = json.loads(cell)
                except ValueError:
                    raise InvalidTraceItem(
                        f"row {row_number}: {column} is not JSON.", extra={"row": row_number}
                    ) from None
        yield item


def _jsonl_rows(stream: IO[bytes] | None) -> Iterator[dict[str, Any]]:
    row_number = 0
    for line in _lines(stream):
        if not line.strip():
            continue
        row_number += 1
        try:
            item = json.loads(line)
        except ValueError:
            raise InvalidTraceItem(f"row {row_number} is not JSON.", extra={"row": row_number}) from None
        if not isinstance(item, dict):
            raise InvalidTraceItem(f"row {row_number} is not a JSON object.", extra={"row": row_number})
        yield item


def rows_from_upload(kind: str, stream: IO[bytes] | None) -> list[dict[str, Any]]:
    """Every row of the file as a raw trace item (validated by the caller), or a 400 naming the row."""
    return _limited(_csv_rows(stream) if kind == "csv" else _jsonl_rows(stream))
