"""`python -m bench [--scale N] [--check] [--concurrency 1,4] [--profile SCENARIO]`.

See bench/harness.py and README "Benchmarks".
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
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

from bench.harness import Result, Scenario, markdown_table, run_scenario, write_results

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


def _timing_only(failure: str) -> bool:
    """A latency or CPU-ceiling miss (the machine's noise can cause one), not an error or a budget."""
    return failure.startswith(("p95 ", "CPU "))


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
        # the board scenarios stand for 200 viewers with one bench login; the per-user cap
        # (100 by default, tested in tests/core) would refuse half of them
        WEBSOCKET_MAX_PER_USER="1000",
        LIVECHAT_CHANNEL_SECRET="bench-channel-secret",  # bench/scenarios/livechat.py signs with it
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
            "--log-config",
            "config/uvicorn_logging.json",  # no token reaches a log line
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


def worker_processes(server: subprocess.Popen) -> list:
    """The uvicorn worker processes (the supervisor only restarts them: its CPU is not the requests')."""
    import psutil

    children = psutil.Process(server.pid).children(recursive=True)
    return children or [psutil.Process(server.pid)]


def merge_collapsed(parts: list[str], path: str) -> None:
    """One collapsed-stacks file from the workers' (the format is a line per stack: counts add up)."""
    present = [part for part in parts if os.path.exists(part)]
    if not present:
        return
    with open(path, "w") as out:
        for part in present:
            with open(part) as fh:
                out.write(fh.read())
            os.remove(part)


def cpu_probe_for(server: subprocess.Popen):
    """Seconds of user + system CPU the server's workers have used so far."""
    processes = worker_processes(server)

    def probe() -> float:
        total = 0.0
        for process in processes:
            try:
                times = process.cpu_times()
            except Exception:  # noqa: S112 - a worker that died counts nothing more
                continue
            total += times.user + times.system
        return total

    return probe


def runs_of(scenario, concurrencies: list[int | None]) -> list:
    """A plain scenario once per client concurrency asked for; custom ones and those declaring
    their own concurrency (the `.sequential` ones) once, as declared."""
    default = Scenario.__dataclass_fields__["concurrency"].default
    if scenario.custom is not None or scenario.concurrency != default:
        return [scenario]
    return [scenario if c is None else dataclasses.replace(scenario, concurrency=c) for c in concurrencies]


class PySpy:
    """`py-spy record --gil` of one worker while a block runs: only samples holding the GIL, so the
    profile is the worker's busy Python time (not threads waiting on sockets or queues)."""

    def __init__(self, pid: int, path: str):
        self.pid, self.path = pid, path

    def __enter__(self):
        spy = os.path.join(os.path.dirname(sys.executable), "py-spy")
        self.process = subprocess.Popen(  # noqa: S603 - fixed argv
            [spy, "record", "--pid", str(self.pid), "--format", "raw", "--rate", "200", "--gil"]
            + ["--output", self.path],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        time.sleep(1.0)  # py-spy attaches before the measured requests start
        return self

    def __exit__(self, *exc) -> None:
        self.process.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
        try:
            _, stderr = self.process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            stderr = b""
        if self.process.returncode not in (0, -signal.SIGINT) and not os.path.exists(self.path):
            print(f"py-spy failed: {stderr.decode(errors='replace').strip()[-500:]}", flush=True)


def summarize_collapsed(path: str, top: int = 30) -> str:
    """Self and inclusive sample shares per function from py-spy's collapsed stacks."""
    from collections import Counter

    self_counts: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    with open(path) as fh:
        for line in fh:
            stack, _, count = line.rstrip().rpartition(" ")
            if not stack or not count.isdigit():
                continue
            n = int(count)
            total += n
            frames = [frame.split(" (")[0] + " (" + frame.split(" (")[-1] for frame in stack.split(";")]
            self_counts[frames[-1]] += n
            for frame in set(frames):
                inclusive[frame] += n
    if not total:
        return "no samples\n"
    lines = [f"{total} samples of the worker's busy time", "", "## self", ""]
    lines += [f"{100 * n / total:5.1f}%  {frame}" for frame, n in self_counts.most_common(top)]
    lines += ["", "## inclusive", ""]
    lines += [f"{100 * n / total:5.1f}%  {frame}" for frame, n in inclusive.most_common(top)]
    return "\n".join(lines) + "\n"


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
    parser.add_argument(
        "--concurrency", default="", help="run every plain scenario at these client concurrencies, e.g. 1,4"
    )
    parser.add_argument(
        "--profile",
        default="",
        metavar="SCENARIO",
        help="run one scenario at concurrency 1 and 4 and write a py-spy profile of a worker to bench/results/",
    )
    parser.add_argument(
        "--scenarios", default="", help="only scenarios whose names start with one of these (comma-separated)"
    )
    args = parser.parse_args()
    wanted = tuple(name for name in args.scenarios.split(",") if name)
    concurrencies = [int(c) for c in args.concurrency.split(",") if c] or [None]
    if args.profile:
        concurrencies = [1, 4]
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
    if args.profile:  # the module that declares the scenario (jobs.longpoll.* lives in longpoll.py)
        modules = [m for m in scenario_modules([]) if any(s.name == args.profile for s in m.SCENARIOS)]
        if not modules:
            raise SystemExit(f"bench: no scenario named {args.profile!r}")
    else:
        modules = scenario_modules(only)
    states = {}
    for module in modules:
        started = time.perf_counter()
        states[module.__name__] = module.seed(args.scale)
        print(f"seeded {module.__name__.rsplit('.', 1)[-1]} in {time.perf_counter() - started:.1f} s", flush=True)
    connections.close_all()

    base_url = f"http://127.0.0.1:{port}"
    server = start_server(port, args.workers)
    results: list[Result] = []
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H%M")
    try:
        wait_ready(base_url)
        cpu_probe = cpu_probe_for(server)
        for module in modules:
            for scenario in module.SCENARIOS:
                if args.profile and scenario.name != args.profile:
                    continue
                if wanted and not scenario.name.startswith(wanted):
                    continue
                runs = runs_of(scenario, concurrencies)
                for index, run in enumerate(runs):
                    state = states[module.__name__]
                    if args.profile and index == len(runs) - 1:  # the concurrency-4 run
                        stem = os.path.join(ROOT, "bench", "results", f"{stamp}-profile-{scenario.name}")
                        # every worker: which one the load lands on is the kernel's choice, not ours
                        pids = [process.pid for process in worker_processes(server)]
                        parts = [f"{stem}.worker{index}.collapsed.txt" for index in range(len(pids))]
                        with contextlib.ExitStack() as spies:
                            for pid, part in zip(pids, parts, strict=True):
                                spies.enter_context(PySpy(pid, part))
                            result = asyncio.run(run_scenario(run, state, base_url, n, cpu_probe))
                        merge_collapsed(parts, stem + ".collapsed.txt")
                        if os.path.exists(stem + ".collapsed.txt"):
                            with open(stem + ".summary.txt", "w") as fh:
                                title = f"# {scenario.name}, concurrency {run.concurrency}, all {len(pids)} workers"
                                fh.write(title + "\n\n")
                                fh.write(summarize_collapsed(stem + ".collapsed.txt"))
                            print(f"profile: {stem}.collapsed.txt, {stem}.summary.txt", flush=True)
                    else:
                        result = asyncio.run(run_scenario(run, state, base_url, n, cpu_probe))
                        if args.check and result.failures and all(map(_timing_only, result.failures)):
                            # a shared machine stalls now and then (a checkpoint's fsync, a neighbour's
                            # burst): a timing miss must repeat to fail; errors and budgets never get a retry
                            first = "; ".join(result.failures)
                            print(f"{result.name}: {first}; running it once more", flush=True)
                            result = asyncio.run(run_scenario(run, state, base_url, n, cpu_probe))
                    results.append(result)
                    status = "ok" if not result.failures else "FAIL " + "; ".join(result.failures)
                    print(
                        f"{result.name:<44} c={result.concurrency or '-'} cpu {result.cpu_ms} ms/req  "
                        f"p50 {result.p50:>7} p95 {result.p95:>7} ms  {result.rps:>7} req/s  "
                        f"q={result.queries}  {status}",
                        flush=True,
                    )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)

    meta = {
        "date": stamp + (f"-profile-{args.profile}" if args.profile else ""),
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
