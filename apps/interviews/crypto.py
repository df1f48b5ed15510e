"""The coach key's encryption: Fernet with a key derived from INTERVIEWS_KEY_SECRET."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _fernet() -> Fernet:
    secret = settings.INTERVIEWS_KEY_SECRET.encode("utf-8")
    digest = hashlib.pbkdf2_hmac("sha256", secret, b"brisk.interviews.coach-key", 100_000)
    return Fernet(base64.urlsafe_b64encode(digest))


_cache: dict[str, Fernet] = {}


def fernet() -> Fernet:
    secret = settings.INTERVIEWS_KEY_SECRET
    if secret not in _cache:
        _cache.clear()
        _cache[secret] = _fernet()
    return _cache[secret]


def encrypt(plain: str) -> bytes:
    return fernet().encrypt(plain.encode("utf-8"))


def decrypt(token: bytes) -> str | None:
    """The key, or None when it was encrypted under another secret."""
    try:
        return fernet().decrypt(bytes(token)).decode("utf-8")
    except InvalidToken:
        return None
