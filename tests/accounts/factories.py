import factory

from apps.accounts.models import ApiToken, User
from apps.accounts.tokens import key_digest, token_issue

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class ApiTokenFactory(factory.django.DjangoModelFactory):
    """A live token through `token_issue` (stored hashed); the plain key is on `.key`."""

    class Meta:
        model = ApiToken

    user = factory.SubFactory(UserFactory)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        key = token_issue(user=kwargs["user"])
        token = model_class.objects.get(digest=key_digest(key))
        token.key = key
        return token
