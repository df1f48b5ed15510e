"""`python -m bench [--scale N] [--check]`: see bench/harness.py and README "Benchmarks"."""

from __future__ import annotations

import argparse
import asyncio
import datetime
import importlib
import os
import pkgutil
import signal
import subprocess
import sys
import time
from urllib.parse import urlparse

import httpx

from bench.harness import markdown_table, run_scenario, write_results

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def recreate_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def scenario_modules(only: list[str]) -> list:
    import bench.scenarios as package

    modules = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: (m.name != "core", m.name)):
        if only and info.name not in only:
            continue
        modules.append(importlib.import_module(f"bench.scenarios.{info.name}"))
    return modules


def start_server(port: int, workers: int) -> subprocess.Popen:
    env = dict(
        os.environ,
        DEBUG="0",
        SECRET_KEY="bench-only-secret-key-" + "x" * 40,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",
        SERVER_TIMING="1",
        SILK_ENABLED="0",
        LOG_LEVEL="WARNING",
        DB_POOL_MAX_SIZE="8",
    )
    uvicorn = os.path.join(os.path.dirname(sys.executable), "uvicorn")
    return subprocess.Popen(  # noqa: S603 - fixed argv
        [
            uvicorn,
            "config.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--lifespan",
            "off",
            "--no-access-log",
            "--ws-max-size",
            "65536",
            # Board events are small JSON frames: per-socket deflate costs CPU on every
            # broadcast for little saved bandwidth (as `make run` serves).
            "--ws-per-message-deflate",
            "false",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )


def wait_ready(base_url: str, timeout: float = 45.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(base_url + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit("bench: the server did not become healthy in time")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--scale", type=int, default=1, help="data size factor (1 = small, 10 = full)")
    parser.add_argument("--requests", type=int, default=None, help="requests per scenario")
    parser.add_argument("--check", action="store_true", help="small run; exit 1 on a p95 or budget regression")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if args.check:
        args.scale = 1
    n = args.requests or (60 if args.check else 300)
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if not database_url.startswith("postgres") or not redis_url.startswith("redis"):
        raise SystemExit("bench: set DATABASE_URL (postgres://) and REDIS_URL (redis://); `make bench` does")
    port = int(os.environ.get("BENCH_PORT", "8765"))
    only = [name for name in os.environ.get("BENCH_ONLY", "").split(",") if name]

    recreate_database(database_url)
    flush_redis(redis_url)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    import logging

    from django.core.management import call_command
    from django.db import connections

    # Django's logging config puts the root logger at INFO: keep httpx from logging every request.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    call_command("migrate", verbosity=0)
    modules = scenario_modules(only)
    states = {}
    for module in modules:
        started = time.perf_counter()
        states[module.__name__] = module.seed(args.scale)
        print(f"seeded {module.__name__.rsplit('.', 1)[-1]} in {time.perf_counter() - started:.1f} s", flush=True)
    connections.close_all()

    base_url = f"http://127.0.0.1:{port}"
    server = start_server(port, args.workers)
    results = []
    try:
        wait_ready(base_url)
        for module in modules:
            for scenario in module.SCENARIOS:
                result = asyncio.run(run_scenario(scenario, states[module.__name__], base_url, n))
                results.append(result)
                status = "ok" if not result.failures else "FAIL " + "; ".join(result.failures)
                print(
                    f"{result.name:<40} p50 {result.p50:>7} p95 {result.p95:>7} ms  "
                    f"{result.rps:>7} req/s  q={result.queries}  {status}",
                    flush=True,
                )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)

    meta = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H%M"),
        "scale": args.scale,
        "requests": n,
        "workers": args.workers,
        "check": args.check,
    }
    directory = os.path.join(ROOT, "var", "bench") if args.check else os.path.join(ROOT, "bench", "results")
    json_path, md_path = write_results(results, meta, directory)
    print()
    print(markdown_table(results, meta))
    print(f"written: {json_path}, {md_path}")
    failed = [r for r in results if r.failures]
    if args.check and failed:
        print(f"bench-check FAILED: {', '.join(r.name for r in failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
