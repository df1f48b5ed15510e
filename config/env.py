"""Small typed readers for environment variables that fail loudly at start-up."""

import os
import re

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def envstr(name: str, default: str) -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def envint(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ImproperlyConfigured(f"{name} must be <= {maximum}, got {value}")
    return value


def envlist(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


# DRF reads "<count>/<period>" and keys the period on its first letter; anything else would
# make the throttle raise on every request (and a resilient throttle would then let all through).
_RATE = re.compile(r"(?P<count>[0-9]+)\s*/\s*(?P<period>s|sec|second|m|min|minute|h|hour|d|day)s?", re.IGNORECASE)


def envrate(name: str, default: str) -> str:
    """A DRF throttle rate such as `30/min`: a positive count per second, minute, hour or day."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        raw = default
    match = _RATE.fullmatch(raw.strip())
    if match is None or int(match["count"]) < 1:
        raise ImproperlyConfigured(
            f"{name} must be a rate like 30/min (a positive count per s, min, hour or day), got {raw!r}"
        )
    return f"{int(match['count'])}/{match['period'].lower()}"
