"""Process-wide tuning of a server worker, applied once it has loaded (config/asgi.py).

CPython's cyclic garbage collector pauses the whole process while it walks the objects
of the generation it collects. A server worker holds what it loaded (Django, DRF, the
apps: about 110,000 objects) and what its open requests hold (a waiting long-poll about
235). With the collector's defaults, a request's short-lived objects outlive a young
collection (every 700 allocations) and are promoted, so the oldest generation grew
quickly and was walked in full every second or two: with 1,000 waiting long-polls per
worker (`make bench BENCH_ONLY=longpoll`, a GC callback logging the pauses) each full
collection paused the worker for 0.2-0.8 s, and the wake-ups of that moment came late
together. Freezing what is loaded alone left the full collections in place (the waiting
polls' objects were most of the walk); with the young threshold at 10,000 a request's
objects die young, no full collection ran during the run and the longest pause was
a middle-generation one of about 0.15 s.

`settle_heap()` moves what is loaded to the collector's permanent generation (never
walked again; it lives as long as the process anyway) and raises the thresholds.
Reference cycles are still collected: the young ones at the next young collection.
"""

from __future__ import annotations

import gc

# (young, middle, old): CPython's default is (700, 10, 10).
GC_THRESHOLDS = (10_000, 20, 20)


def settle_heap() -> None:
    """Call once, when the process has loaded everything it will keep."""
    gc.collect()  # garbage made while loading is freed, not frozen
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
