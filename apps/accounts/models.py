from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """A person or service account that signs in to Brisk."""

    class Meta:
        db_table = "accounts_user"
