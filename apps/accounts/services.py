from django.db import transaction
from rest_framework.authtoken.models import Token

from apps.accounts.models import User

DEMO_USERNAMES = {"admin": True, "alice": False, "bob": False, "carol": False}


def token_for_user(*, user: User) -> str:
    token, _ = Token.objects.get_or_create(user=user)
    return token.key


@transaction.atomic
def demo_users_ensure(*, password: str) -> dict[str, User]:
    """The demo logins (admin is a superuser), created once and left as they are afterwards."""
    users = {}
    for username, is_super in DEMO_USERNAMES.items():
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, email=f"{username}@example.com", is_staff=is_super, is_superuser=is_super)
            user.set_password(password)
            user.save()
        users[username] = user
    return users
