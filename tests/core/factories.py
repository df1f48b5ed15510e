import factory
from django.utils import timezone

from apps.core.models import IdempotencyKey
from tests.accounts.factories import UserFactory


class IdempotencyKeyFactory(factory.django.DjangoModelFactory):
    """A stored answer to a create sent with an Idempotency-Key (apps.core.idempotency writes these)."""

    class Meta:
        model = IdempotencyKey

    user = factory.SubFactory(UserFactory)
    key = factory.Sequence(lambda n: f"key-{n}")
    fingerprint = "0" * 64
    status_code = 201
    body = factory.LazyFunction(dict)
    created_at = factory.LazyFunction(timezone.now)
