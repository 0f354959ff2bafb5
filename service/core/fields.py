"""Input fields shared by every schema that reads what a client sends."""

import re
from collections.abc import Mapping
from typing import Any

import marshmallow as ma

from service.core.i18n import TranslatedMessage

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# The same rule, for the OpenAPI description (so fuzzers and clients know it).
NO_CONTROL_CHARACTERS = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$"
# JSON lets "\ud800" through as a lone surrogate: not text, and no database can store it.
_SURROGATE = re.compile(r"[\ud800-\udfff]")


class CleanString(ma.fields.String):
    """A string without control characters (PostgreSQL cannot even store NUL)."""

    default_error_messages = {
        "control": TranslatedMessage("Must not contain control characters."),
        "surrogate": TranslatedMessage(
            "Must be valid Unicode text (a lone surrogate such as \\ud800 is not)."
        ),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        metadata = {"pattern": NO_CONTROL_CHARACTERS, **kwargs.pop("metadata", {})}
        super().__init__(*args, metadata=metadata, **kwargs)

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> str:
        result = super()._deserialize(value, attr, data, **kwargs)
        if _CONTROL.search(result):
            raise self.make_error("control")
        if _SURROGATE.search(result):
            raise self.make_error("surrogate")
        return result


class BoundedList(ma.fields.List):
    """A list whose length is checked before any of its items is: 250,000 channels are refused
    as fast as 21 (marshmallow's List validates every item first, then the length).

    The length goes into the OpenAPI description as minItems/maxItems.
    """

    def __init__(
        self,
        item: ma.fields.Field | type[ma.fields.Field],
        *,
        max_items: int,
        min_items: int = 0,
        noun: str = "items",
        **kwargs: Any,
    ) -> None:
        self.lengths = [ma.validate.Length(max=max_items, error=f"At most {{max}} {noun}.")]
        if min_items:
            self.lengths.insert(0, ma.validate.Length(min=min_items))
        validate = kwargs.pop("validate", None) or []
        validate = [validate] if callable(validate) else list(validate)
        super().__init__(item, validate=[*self.lengths, *validate], **kwargs)

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> list[Any]:
        if isinstance(value, list | tuple):
            for length in self.lengths:
                length(value)  # raises ValidationError naming this field
        return super()._deserialize(value, attr, data, **kwargs)


def top_level_partial(schema_class: type[ma.Schema]) -> tuple[str, ...]:
    """For a partial update: the required fields of the schema itself, not of nested ones.

    `partial=True` would reach into nested schemas too (an exclusion without its reason, a
    body link without its role); naming the top-level fields keeps every sent item whole.
    """
    return tuple(name for name, f in schema_class._declared_fields.items() if f.required)


def partial_update(schema_class: type[ma.Schema]) -> ma.Schema:
    """The schema of a PATCH: top-level fields optional, every nested item sent still whole."""
    return schema_class(partial=top_level_partial(schema_class))
