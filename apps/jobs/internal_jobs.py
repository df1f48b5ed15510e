"""The `@internal` jobs Brisk ships (registered when the app loads; see apps.jobs.internal)."""

from __future__ import annotations

import json
import math
import statistics
from typing import Any

from apps.jobs.internal import internal_job


@internal_job(
    category="analysis",
    name="payload_stats",
    schema={
        "type": "object",
        "description": "Any JSON object: its shape is summarised.",
        "additionalProperties": True,
    },
)
def payload_stats(payload: dict[str, Any]) -> dict[str, Any]:
    """A payload's shape: its size as JSON, its depth, and how many values of each JSON type it holds."""
    counts = {"object": 0, "array": 0, "string": 0, "number": 0, "boolean": 0, "null": 0}
    depth = 0
    stack: list[tuple[Any, int]] = [(payload, 1)]
    while stack:  # iterative: the depth is bounded by the parser, the stack by nothing here
        node, level = stack.pop()
        depth = max(depth, level)
        if isinstance(node, dict):
            counts["object"] += 1
            stack.extend((value, level + 1) for value in node.values())
        elif isinstance(node, list):
            counts["array"] += 1
            stack.extend((value, level + 1) for value in node)
        elif isinstance(node, bool):
            counts["boolean"] += 1
        elif isinstance(node, int | float):
            counts["number"] += 1
        elif isinstance(node, str):
            counts["string"] += 1
        else:
            counts["null"] += 1
    size = len(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass"))
    return {"bytes": size, "depth": depth, "keys": sorted(payload), "counts": counts}


@internal_job(
    category="analysis",
    name="describe_numbers",
    schema={
        "type": "object",
        "required": ["values"],
        "properties": {
            "values": {"type": "array", "items": {"type": "number"}, "minItems": 1, "maxItems": 100_000},
        },
        "additionalProperties": False,
    },
)
def describe_numbers(payload: dict[str, Any]) -> dict[str, Any]:
    """Descriptive statistics of `values`: count, min, max, mean, median and population standard deviation."""
    values = [float(value) for value in payload["values"]]
    if not all(math.isfinite(value) for value in values):
        raise ValueError("values must be finite numbers")
    return {
        "count": len(values),
        "min": min(values),
        "max": max(values),
        "mean": statistics.fmean(values),
        "median": statistics.median(values),
        "stdev": statistics.pstdev(values),
    }
