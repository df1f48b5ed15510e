"""Test data is built one way: every model of ours has a factory-boy factory in tests/<app>/factories.py."""

import importlib
import inspect
import pkgutil

import factory
import pytest
from django.apps import apps

import tests

pytestmark = pytest.mark.django_db


def _factories() -> list[type[factory.django.DjangoModelFactory]]:
    found = []
    for package in pkgutil.iter_modules(tests.__path__):
        try:
            module = importlib.import_module(f"tests.{package.name}.factories")
        except ModuleNotFoundError:
            continue
        found += [
            value
            for value in vars(module).values()
            if inspect.isclass(value)
            and issubclass(value, factory.django.DjangoModelFactory)
            and value.__module__ == module.__name__
        ]
    return found


def test_every_model_has_a_factory():
    covered = {f._meta.model for f in _factories()}
    ours = [model for model in apps.get_models() if model.__module__.startswith("apps.")]
    assert [model.__name__ for model in ours if model not in covered] == []
