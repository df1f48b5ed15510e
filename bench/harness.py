"""The benchmark harness: seed, serve with uvicorn workers, drive load from this process, report.

Scenario modules live in bench/scenarios/<app>.py and define `seed(scale) -> dict`
and `SCENARIOS: list[Scenario]`. Every request goes to 127.0.0.1 only; every
scenario is bounded in request count and in time.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import re
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx

SERVER_TIMING_QUERIES = re.compile(r'desc="(\d+) queries"')
SERVER_TIMING_DURATIONS = re.compile(r"(?:^|,\s*)(db|app);dur=([\d.]+)")
SCENARIO_TIME_LIMIT_SECONDS = 60.0
CpuProbe = Callable[[], float]  # seconds of CPU the server's worker processes have used so far
GET_P95_LIMIT_MS = 300.0
POST_P95_LIMIT_MS = 500.0


@dataclass
class Request:
    method: str
    path: str
    token: str | None = None
    json: Any = None
    headers: dict[str, str] | None = None


@dataclass
class Sample:
    ms: float
    status: int
    queries: int | None = None
    server_ms: float | None = None  # db + app from Server-Timing: the time spent inside Django


@dataclass
class Scenario:
    name: str
    method: str
    budget: int | None
    request: Callable[[dict, int], Request] | None = None
    custom: Callable[[dict, httpx.AsyncClient, str, int], Awaitable[list[Sample]]] | None = None
    requests: int | None = None  # override the harness's request count
    concurrency: int = 4
    # Server CPU milliseconds per request (all uvicorn workers, user + system) that
    # `make bench-check` refuses to pass: the figure that stays stable on a shared machine.
    # Set about 1.6x the measured value: room for a noisy neighbour, not for a 2x regression.
    cpu_ceiling_ms: float | None = None


@dataclass
class Result:
    name: str
    method: str
    budget: int | None
    count: int
    errors: int
    p50: float
    p95: float
    p99: float
    rps: float
    queries: int | None
    server_p50: float | None = None
    cpu_ms: float | None = None  # server CPU per request over the measured requests
    cpu_ceiling_ms: float | None = None
    concurrency: int | None = None
    failures: list[str] = field(default_factory=list)


def queries_from(response: httpx.Response) -> int | None:
    match = SERVER_TIMING_QUERIES.search(response.headers.get("server-timing", ""))
    return int(match.group(1)) if match else None


def server_ms_from(response: httpx.Response) -> float | None:
    durations = SERVER_TIMING_DURATIONS.findall(response.headers.get("server-timing", ""))
    return round(sum(float(ms) for _, ms in durations), 1) if durations else None


def headers_for(request: Request) -> dict[str, str]:
    headers = dict(request.headers or {})
    if request.token:
        headers["Authorization"] = f"Token {request.token}"
    return headers


async def send(client: httpx.AsyncClient, request: Request) -> Sample:
    started = time.perf_counter()
    response = await client.request(request.method, request.path, json=request.json, headers=headers_for(request))
    ms = (time.perf_counter() - started) * 1000
    return Sample(
        ms=ms, status=response.status_code, queries=queries_from(response), server_ms=server_ms_from(response)
    )


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, math.ceil(pct / 100 * len(ordered)) - 1))
    return ordered[index]


async def run_plain(scenario: Scenario, state: dict, client: httpx.AsyncClient, n: int) -> tuple[list[Sample], float]:
    counter = iter(range(n))
    samples: list[Sample] = []
    deadline = time.monotonic() + SCENARIO_TIME_LIMIT_SECONDS

    async def worker() -> None:
        for i in counter:
            if time.monotonic() > deadline:
                return
            samples.append(await send(client, scenario.request(state, i)))

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(scenario.concurrency)))
    return samples, time.perf_counter() - started


async def settle(cpu_probe: CpuProbe | None, timeout: float = 8.0) -> None:
    """Wait until the workers are idle (under 2% of a core over 0.25 s), so CPU still being spent
    on the previous scenario (200 sockets closing, broadcasts draining) is not counted in this one."""
    if cpu_probe is None:
        return
    deadline = time.monotonic() + timeout
    last = cpu_probe()
    while time.monotonic() < deadline:
        await asyncio.sleep(0.25)
        now = cpu_probe()
        if now - last < 0.005:
            return
        last = now


async def run_scenario(
    scenario: Scenario, state: dict, base_url: str, n: int, cpu_probe: CpuProbe | None = None
) -> Result:
    n = scenario.requests or n
    limits = httpx.Limits(max_connections=scenario.concurrency + 4)
    cpu_before = cpu_after = 0.0
    async with httpx.AsyncClient(base_url=base_url, timeout=65.0, limits=limits) as client:
        if scenario.custom is not None:
            # custom scenarios warm up inside: their CPU includes the few warm-up requests
            await settle(cpu_probe)
            cpu_before = cpu_probe() if cpu_probe else 0.0
            started = time.perf_counter()
            samples = await asyncio.wait_for(
                scenario.custom(state, client, base_url, n), SCENARIO_TIME_LIMIT_SECONDS * 2
            )
            elapsed = time.perf_counter() - started
        else:
            for i in range(min(5, n)):  # warm the workers' pools and caches
                await send(client, scenario.request(state, n + i))
            await settle(cpu_probe)
            cpu_before = cpu_probe() if cpu_probe else 0.0
            samples, elapsed = await run_plain(scenario, state, client, n)
        cpu_after = cpu_probe() if cpu_probe else 0.0
    latencies = [s.ms for s in samples]
    errors = sum(1 for s in samples if s.status >= 400)
    counted = [s.queries for s in samples if s.queries is not None]
    inside = [s.server_ms for s in samples if s.server_ms is not None]
    result = Result(
        name=scenario.name,
        method=scenario.method,
        budget=scenario.budget,
        count=len(samples),
        errors=errors,
        p50=round(statistics.median(latencies), 1) if latencies else math.nan,
        p95=round(percentile(latencies, 95), 1),
        p99=round(percentile(latencies, 99), 1),
        rps=round(len(samples) / elapsed, 1) if elapsed > 0 else 0.0,
        queries=max(counted) if counted else None,
        server_p50=round(statistics.median(inside), 1) if inside else None,
        cpu_ms=round((cpu_after - cpu_before) * 1000 / len(samples), 2) if cpu_probe and samples else None,
        cpu_ceiling_ms=scenario.cpu_ceiling_ms,
        concurrency=scenario.concurrency if scenario.custom is None else None,
    )
    limit = GET_P95_LIMIT_MS if scenario.method.upper() == "GET" else POST_P95_LIMIT_MS
    if not samples:
        result.failures.append("no samples")
    if errors:
        statuses = sorted({s.status for s in samples if s.status >= 400})
        result.failures.append(f"{errors} error responses {statuses}")
    if latencies and result.p95 > limit:
        result.failures.append(f"p95 {result.p95} ms > {limit} ms")
    if scenario.budget is not None and result.queries is not None and result.queries > scenario.budget:
        result.failures.append(f"{result.queries} queries > budget {scenario.budget}")
    if scenario.cpu_ceiling_ms is not None and result.cpu_ms is not None and result.cpu_ms > scenario.cpu_ceiling_ms:
        result.failures.append(f"CPU {result.cpu_ms} ms/request > ceiling {scenario.cpu_ceiling_ms} ms")
    return result


def markdown_table(results: list[Result], meta: dict) -> str:
    lines = [
        f"# Bench {meta['date']} (scale {meta['scale']}, {meta['requests']} requests per scenario, "
        f"{meta['workers']} uvicorn workers)",
        "",
        "CPU ms/req: user + system CPU of the uvicorn worker processes over the measured requests,",
        "divided by their number (ceiling: what `make bench-check` allows). c: client concurrency.",
        "",
        "| scenario | method | c | n | CPU ms/req | ceiling | p50 ms | p95 ms | p99 ms | server p50 ms | req/s "
        "| queries/req | budget | result |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]

    def cell(value) -> str:
        return "-" if value is None else str(value)

    for r in results:
        verdict = "ok" if not r.failures else "FAIL: " + "; ".join(r.failures)
        lines.append(
            f"| {r.name} | {r.method} | {cell(r.concurrency)} | {r.count} | {cell(r.cpu_ms)} | "
            f"{cell(r.cpu_ceiling_ms)} | {r.p50} | {r.p95} | {r.p99} | {cell(r.server_p50)} | {r.rps} | "
            f"{cell(r.queries)} | {cell(r.budget)} | {verdict} |"
        )
    return "\n".join(lines) + "\n"


def write_results(results: list[Result], meta: dict, directory: str) -> tuple[str, str]:
    os.makedirs(directory, exist_ok=True)
    stem = os.path.join(directory, meta["date"] + ("-check" if meta["check"] else f"-scale{meta['scale']}"))
    with open(stem + ".json", "w") as fh:
        json.dump({"meta": meta, "results": [asdict(r) for r in results]}, fh, indent=2)
    with open(stem + ".md", "w") as fh:
        fh.write(markdown_table(results, meta))
    return stem + ".json", stem + ".md"


def declared(url_name: str, method: str, *, fewest: bool = False) -> int | None:
    """The query budget the view behind `url_name` declares for `method` (`query_budget`,
    apps/core/api.py): the bench checks the figure the tests, the README and the OpenAPI
    description read. `fewest` for a scenario that always takes the cheap path (a warm cache).

    None where Django is not set up: a spawned helper process (the socket holder) imports the
    scenario modules without it, and checks no budget."""
    from django.apps import apps

    if not apps.ready:
        return None
    from apps.core.api import budget_for

    budget = budget_for(url_name, method)
    return budget.fewest if fewest and budget.fewest is not None else budget.queries
