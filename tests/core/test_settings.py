import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import envbool, envint, envlist

ROOT = Path(__file__).resolve().parents[2]


def test_envint_refuses_garbage(monkeypatch):
    monkeypatch.setenv("BRISK_TEST_INT", "ten")
    with pytest.raises(ImproperlyConfigured, match="BRISK_TEST_INT"):
        envint("BRISK_TEST_INT", 1)


def test_envint_bounds(monkeypatch):
    monkeypatch.setenv("BRISK_TEST_INT", "5")
    assert envint("BRISK_TEST_INT", 1, minimum=0, maximum=10) == 5
    with pytest.raises(ImproperlyConfigured):
        envint("BRISK_TEST_INT", 1, maximum=4)


def test_envbool(monkeypatch):
    monkeypatch.setenv("BRISK_TEST_BOOL", "yes")
    assert envbool("BRISK_TEST_BOOL", False) is True
    monkeypatch.setenv("BRISK_TEST_BOOL", "perhaps")
    with pytest.raises(ImproperlyConfigured):
        envbool("BRISK_TEST_BOOL", False)


def test_envlist(monkeypatch):
    monkeypatch.setenv("BRISK_TEST_LIST", "a.example, b.example,,")
    assert envlist("BRISK_TEST_LIST", []) == ["a.example", "b.example"]


def _manage(*args, **env):
    # The embedded default: these checks read settings, they need no database or Redis.
    dropped = {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL"}
    clean = {k: v for k, v in os.environ.items() if k not in dropped}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def test_production_settings_pass_check_deploy():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY="a-long-random-production-secret-" + "k3y" * 20,
        ALLOWED_HOSTS="brisk.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_without_a_secret_key_fails_at_start_up():
    result = _manage("check", DEBUG="0", SECRET_KEY="", ALLOWED_HOSTS="brisk.example.com")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_a_bad_number_fails_at_start_up():
    result = _manage("check", SLOW_QUERY_MS="fast")
    assert result.returncode != 0
    assert "SLOW_QUERY_MS" in result.stderr
