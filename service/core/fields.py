"""Input fields shared by every schema that reads what a client sends."""

import re
from collections.abc import Mapping
from typing import Any

import marshmallow as ma

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# The same rule, for the OpenAPI description (so fuzzers and clients know it).
NO_CONTROL_CHARACTERS = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$"


class CleanString(ma.fields.String):
    """A string without control characters (PostgreSQL cannot even store NUL)."""

    default_error_messages = {"control": "Must not contain control characters."}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        metadata = {"pattern": NO_CONTROL_CHARACTERS, **kwargs.pop("metadata", {})}
        super().__init__(*args, metadata=metadata, **kwargs)

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> str:
        result = super()._deserialize(value, attr, data, **kwargs)
        if _CONTROL.search(result):
            raise self.make_error("control")
        return result
