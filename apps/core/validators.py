"""Validators whose rule the OpenAPI schema states too (drf-spectacular turns a RegexValidator
into the field's `pattern`), so a request the schema allows is one the API accepts."""

from __future__ import annotations

from django.core.validators import RegexValidator

# What DRF refuses anyway (blank after trimming, NUL characters), said in the schema. The
# visible character excludes whitespace in Python (what DRF trims) and in the schema's ECMA
# dialect alike: Python's \s adds \x1c-\x1f and \x85, ECMA's adds \ufeff.
NOT_BLANK = RegexValidator(
    r"^[^\x00]*[^\s\x00\x1c-\x1f\x85\ufeff][^\x00]*\Z", "Must contain a visible character and no NUL."
)
NO_NUL = RegexValidator(r"^[^\x00]*\Z", "Must not contain NUL characters.")
