import pytest

from config.celery import app as celery_app
from tests.livechat.line_stub import SECRET, LineApiStub


@pytest.fixture(autouse=True)
def _livechat_settings(settings):
    """Signed with the test secret; tasks run for real, in-process (no worker here);
    no access token unless a test starts the LINE stub."""
    settings.LIVECHAT_CHANNEL_SECRET = SECRET
    settings.LINE_CHANNEL_ACCESS_TOKEN = ""
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = eager


@pytest.fixture
def line_api(settings):
    """The local Messaging API stub, configured as LINE_API_BASE_URL with a token."""
    stub = LineApiStub()
    settings.LINE_API_BASE_URL = stub.url
    settings.LINE_API_DATA_BASE_URL = stub.url  # the data host's content downloads too
    settings.LINE_CHANNEL_ACCESS_TOKEN = "test-access-token"
    yield stub
    stub.close()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Django's default storage in a fresh folder per test."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.LIVECHAT_PUBLIC_MEDIA_URL = ""
