from django.db import transaction

from apps.accounts.models import User
from apps.accounts.tokens import token_issue, tokens_revoke_all

DEMO_USERNAMES = {"admin": True, "alice": False, "bob": False, "carol": False}


def token_for_user(*, user: User) -> str:
    """A new API key for `user` (each login gets its own; only its hash is stored)."""
    return token_issue(user=user)


@transaction.atomic
def user_set_password(*, user: User, password: str) -> None:
    """Change a password and revoke every API token the user holds.

    (Tokens issued under the old password would stop working anyway, see
    `apps.accounts.tokens.password_mark`; deleting them keeps the table honest.)
    """
    user.set_password(password)
    user.save(update_fields=["password"])
    tokens_revoke_all(user=user)


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
