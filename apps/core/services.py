"""Write helpers every app's services share."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)


def model_update(*, instance: M, fields: Iterable[str], data: Mapping[str, Any]) -> tuple[M, list[str]]:
    """Partial update (HackSoft's pattern): set each of `fields` that `data` carries and that
    differs from the instance, then save those columns only, in one UPDATE.

    Returns the instance and the names of the fields that changed (empty: nothing was
    written). A model with an `auto_now` column (`updated_at`) gets it refreshed with any
    change. The input is already validated by the view's input serializer, so there is no
    `full_clean()` here: it would cost a query per unique field on every update.
    """
    changed = []
    for field in fields:
        if field in data and getattr(instance, field) != data[field]:
            setattr(instance, field, data[field])
            changed.append(field)
    if changed:
        auto_now = [f.name for f in instance._meta.concrete_fields if getattr(f, "auto_now", False)]
        instance.save(update_fields=[*changed, *(name for name in auto_now if name not in changed)])
    return instance, changed
