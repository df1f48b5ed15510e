import pytest

from tests.livechat.factories import ChatSessionFactory, CsatResponseFactory, MessageFactory, ReadMarkerFactory

pytestmark = pytest.mark.django_db

MODELS = [
    "contact",
    "chatsession",
    "message",
    "webhookevent",
    "readmarker",
    "csatresponse",
    "intentcategory",
    "intentkeyword",
    "intentresponse",
    "tag",
    "handoffkeyword",
    "cannedresponse",
    "businesshours",
]


def test_every_livechat_admin_page_renders(client, superuser):
    MessageFactory(session=ChatSessionFactory())
    ReadMarkerFactory()
    CsatResponseFactory()
    client.force_login(superuser)
    for model in MODELS:
        assert client.get(f"/admin/livechat/{model}/").status_code == 200, model
        assert client.get(f"/admin/livechat/{model}/add/").status_code == 200, model
    assert client.get("/admin/livechat/message/?q=U0").status_code == 200
