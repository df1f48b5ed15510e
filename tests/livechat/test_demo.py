import io

import pytest
from django.core.management import call_command

from apps.livechat.models import ChatSession, Contact

pytestmark = pytest.mark.django_db


def test_seed_demo_fills_the_desk_once(client_for):
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    assert Contact.objects.filter(line_user_id__startswith="Udemo").count() == 4
    assert ChatSession.objects.filter(status="waiting").count() == 1
    from apps.accounts.models import User

    bob = User.objects.get(username="bob")
    body = client_for(bob).get("/api/livechat/conversations/").json()
    assert body["total"] == 4 and body["waiting_count"] == 1
