import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Teams of four users per test: a fast hasher keeps the suite quick (no test here checks hashing)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
