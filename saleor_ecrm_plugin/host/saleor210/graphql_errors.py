"""Typed mutation errors that keep the plugin's own codes.

Saleor 2.10's ``BaseMutation.handle_errors`` turns every error code it does not
know itself (``invalid_token``, ``already_reviewed``, ``rate_limited``...) into
``invalid``. Mutations that list :class:`KeepErrorCodes` first keep any code their
error type's ``code`` enum declares; other codes still become ``invalid``. Field
names are camel-cased as Saleor does; an error not about one field has none.
"""

from __future__ import annotations

from typing import Any, Set

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from graphene.utils.str_converters import to_camel_case

#: the fallback code every error enum of the plugin declares
INVALID = "invalid"


def declared_codes(error_type: Any) -> Set[str]:
    field_type = error_type._meta.fields["code"].type
    enum = getattr(field_type, "of_type", field_type)  # NonNull(Enum) or Enum
    return {member.value for member in enum._meta.enum}


class KeepErrorCodes:
    """Mixin for ``BaseMutation`` subclasses with an ``error_type_class``."""

    @classmethod
    def handle_errors(cls, error: ValidationError, **extra: Any) -> Any:
        meta = cls._meta  # type: ignore[attr-defined]
        error_type = meta.error_type_class
        known = declared_codes(error_type)
        by_field = (
            error.error_dict
            if hasattr(error, "error_dict")
            else {NON_FIELD_ERRORS: error.error_list}
        )
        errors = [
            error_type(
                field=None if field == NON_FIELD_ERRORS else to_camel_case(field),
                message=item.messages[0],
                code=item.code if item.code in known else INVALID,
            )
            for field, items in by_field.items()
            for item in items
        ]
        return cls(**{meta.error_type_field: errors, "errors": errors}, **extra)  # type: ignore[call-arg]
