"""The words people read for each vocabulary (an enum): declared once, shared by API and admin."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, TypeVar

E = TypeVar("E", bound=enum.Enum)

_LABELS: dict[type[enum.Enum], Mapping[Any, str]] = {}


def vocabulary(labels: Mapping[E, str]) -> Mapping[E, str]:
    """Declares the labels of one vocabulary, next to its enum; every member needs one."""
    enum_cls = type(next(iter(labels)))
    missing = [member.name for member in enum_cls if member not in labels]
    if missing:
        raise ValueError(f"{enum_cls.__name__}: no label for {', '.join(missing)}")
    _LABELS[enum_cls] = labels
    return labels


def label(member: enum.Enum) -> str:
    """The label declared for this member, else its value with spaces for underscores."""
    labels = _LABELS.get(type(member))
    if labels is not None:
        return labels[member]
    return str(member.value).replace("_", " ")


def options(enum_cls: type[enum.Enum]) -> list[tuple[str, str]]:
    """(value, label) pairs of a vocabulary, in its order."""
    return [(member.value, label(member)) for member in enum_cls]


def vocabularies() -> list[type[enum.Enum]]:
    """Every enum whose labels are declared."""
    return list(_LABELS)
