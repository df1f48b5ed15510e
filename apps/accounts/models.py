from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A person or service account that signs in to Brisk."""

    class Meta:
        db_table = "accounts_user"


class ApiToken(models.Model):
    """One API token: only the SHA-256 of its key is stored, so a database leak yields no usable key.

    The key has 256 bits of entropy, so a plain (unsalted, fast) hash is enough: there is no
    dictionary to try, and the lookup stays one indexed equality. `password_mark` ties the
    token to the password it was issued under; a password change (by any path) kills it.
    """

    digest = models.CharField(max_length=64, primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    password_mark = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    class Meta:
        db_table = "accounts_api_token"

    def __str__(self) -> str:
        return f"token {self.digest[:8]}… of user {self.user_id}"
