"""Forwarded headers are believed only from the proxies named in `TRUSTED_PROXIES`.

Any client can send `X-Forwarded-For` and `X-Forwarded-Proto`. From a peer that is not a
trusted proxy both are dropped before anything reads them; from a trusted proxy,
`REMOTE_ADDR` becomes the nearest address in `X-Forwarded-For` that is not itself a
trusted proxy, and `X-Forwarded-Proto` stays for `SECURE_PROXY_SSL_HEADER`. Throttles,
logs and `request.is_secure()` then all see the same client. (Run uvicorn with
`--no-proxy-headers`, so this is the only place the rule is applied.)
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

FORWARDED_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO")


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    try:
        return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)
    except ValueError as error:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {error}") from None


def is_trusted_proxy(address: str) -> bool:
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    if not networks:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(peer: str, forwarded_for: str) -> str:
    """The client's address: walk `X-Forwarded-For` from the right past the trusted proxies."""
    for hop in reversed([part.strip() for part in forwarded_for.split(",")]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return peer  # a hop we cannot read: the nearest trusted proxy is all we know
        if not is_trusted_proxy(hop):
            return hop
        peer = hop
    return peer


class TrustedProxyMiddleware:
    """First in MIDDLEWARE: settles REMOTE_ADDR and the forwarded headers for everything after."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        _networks(tuple(settings.TRUSTED_PROXIES))  # a malformed setting fails at start-up
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        settle_forwarded_headers(request)
        return self.get_response(request)  # a coroutine when the chain is async: awaited by Django


def settle_forwarded_headers(request: HttpRequest) -> None:
    meta = request.META
    peer = meta.get("REMOTE_ADDR", "")
    if is_trusted_proxy(peer):
        forwarded_for = meta.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded_for:
            meta["REMOTE_ADDR"] = client_address(peer, forwarded_for)
    else:
        for header in FORWARDED_HEADERS:
            meta.pop(header, None)
