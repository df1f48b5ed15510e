"""Time-ordered UUIDs (RFC 9562 version 7) for the job queue's primary keys.

Python 3.11's `uuid` has no `uuid7()` (it arrives in 3.14), so it is written out here: a
48-bit Unix time in milliseconds, the version and variant bits, and 74 random bits. Ids
made later sort later (to the millisecond), so the claim and list indexes, which end in
`id`, grow at their right edge as bigint ids did, and a new row never lands mid-index.
"""

from __future__ import annotations

import os
import time
import uuid

_VERSION_7 = 0x7 << 76
_VARIANT_RFC = 0b10 << 62


def uuid7(ms: int | None = None) -> uuid.UUID:
    """A version-7 UUID for now (or for the Unix time `ms`, in milliseconds)."""
    if ms is None:
        ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")  # 80 random bits, 74 of them kept
    rand_a = rand >> 68  # 12 bits
    rand_b = rand & ((1 << 62) - 1)  # 62 bits
    return uuid.UUID(int=((ms & ((1 << 48) - 1)) << 80) | _VERSION_7 | (rand_a << 64) | _VARIANT_RFC | rand_b)


def uuid7_sql(timestamp_sql: str) -> str:
    """A PostgreSQL expression making a version-7 UUID for the timestamp `timestamp_sql`, for
    raw bulk inserts (PostgreSQL 18 has `uuidv7()`; this works from 13 on): the random v4 UUID
    of `gen_random_uuid()` with its first 48 bits replaced by the time and its version set to 7."""
    millis = f"int8send(floor(extract(epoch from {timestamp_sql}) * 1000)::bigint)"
    return (
        "encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) "
        f"placing substring({millis} from 3) from 1 for 6), 52, 1), 53, 1), 'hex')::uuid"
    )
