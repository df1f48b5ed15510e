import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import envbool, envint, envlist, envrate

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


@pytest.mark.parametrize(
    ("raw", "rate"), [("30/min", "30/min"), (" 5 / Second ", "5/second"), ("100/hours", "100/hour"), ("2/d", "2/d")]
)
def test_envrate_accepts_what_drf_parses(monkeypatch, raw, rate):
    monkeypatch.setenv("BRISK_TEST_RATE", raw)
    assert envrate("BRISK_TEST_RATE", "1/s") == rate


@pytest.mark.parametrize("raw", ["30", "30/", "/min", "thirty/min", "30/fortnight", "0/min", "-1/min", "30/min/2"])
def test_envrate_refuses_what_would_turn_throttling_off(monkeypatch, raw):
    monkeypatch.setenv("BRISK_TEST_RATE", raw)
    with pytest.raises(ImproperlyConfigured, match="BRISK_TEST_RATE"):
        envrate("BRISK_TEST_RATE", "1/s")


def test_envrate_default_when_unset(monkeypatch):
    monkeypatch.delenv("BRISK_TEST_RATE", raising=False)
    assert envrate("BRISK_TEST_RATE", "30/min") == "30/min"


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


# Every throttle rate the settings read from the environment, found in the settings source so
# that a rate added later with a reader that does not validate it fails here.
THROTTLE_RATE_VARIABLES = sorted(
    set(re.findall(r'"([A-Z_]+_THROTTLE_RATE)"', (ROOT / "config" / "settings.py").read_text()))
)


def test_the_settings_read_the_login_throttle_rate():
    assert "AUTH_TOKEN_THROTTLE_RATE" in THROTTLE_RATE_VARIABLES


@pytest.mark.parametrize("variable", THROTTLE_RATE_VARIABLES)
def test_a_malformed_throttle_rate_fails_at_start_up(variable):
    # "30/minute" is what DRF parses; "30 per minute" would make every throttled request
    # raise, and the cache-resilient throttle would then let every request through.
    result = _manage("check", **{variable: "30 per minute"})
    assert result.returncode != 0
    assert variable in result.stderr
