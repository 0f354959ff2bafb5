"""Conditional admin edits: the row version a form was opened on, and what changed since."""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_admin.model.fields import InlineFieldList
from flask_babel import gettext as _
from wtforms import BooleanField, Form, HiddenField, SelectFieldBase, SelectMultipleField

# The hidden field every edit form carries (not "version": that is a column some forms load).
ROW_VERSION = "row_version"


def with_row_version(form_class: type[Form]) -> type[Form]:
    """The edit form class with the hidden row version added."""
    if hasattr(form_class, ROW_VERSION):
        return form_class
    return type(form_class.__name__, (form_class,), {ROW_VERSION: HiddenField()})


def fingerprint(values: dict) -> str:
    """A version for rows without a version column: a digest of what their edit form shows."""
    text = json.dumps(values, sort_keys=True, default=str, ensure_ascii=False)
    return "f" + hashlib.sha256(text.encode()).hexdigest()[:24]


@dataclass
class Difference:
    label: str
    theirs: str  # now saved
    yours: str  # in the form that was not saved


@dataclass
class EditConflict:
    """A stale form was refused: what the page tells the person."""

    differences: list[Difference] = field(default_factory=list)
    version_missing: bool = False


def _labels(field: Any) -> dict[str, str]:
    if not isinstance(field, SelectFieldBase) or field.choices is None:
        return {}
    try:
        return {str(choice.value): str(choice.label) for choice in field.iter_choices()}
    except (TypeError, ValueError):
        return {}


def _text(value: object, labels: dict[str, str]) -> str:
    if value is None:
        return ""
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    return labels.get(text, text)


def shown(field: Any, labels_from: Any = None) -> str:
    """A field's value as a person reads it (choices by their label, rows one after another)."""
    labels = _labels(labels_from if labels_from is not None else field)
    if isinstance(field, InlineFieldList):
        rows = []
        for entry in field.entries:
            if field.should_delete(entry):
                continue
            parts = []
            for sub in entry.form:
                if isinstance(sub, BooleanField):
                    if sub.data:
                        parts.append(str(sub.label.text).lower())
                elif sub.data not in (None, ""):
                    parts.append(_text(sub.data, {}))
            if parts:
                rows.append(" · ".join(parts))
        return "; ".join(rows)
    if isinstance(field, BooleanField):
        return _("yes") if field.data else _("no")
    if isinstance(field.data, list | tuple):
        values = [_text(v, labels) for v in field.data]
        if isinstance(field, SelectMultipleField):
            values.sort()
        return ", ".join(v for v in values if v)
    return _text(field.data, labels)


def form_differences(stored_form: Form, sent_form: Form) -> list[Difference]:
    """Each field whose stored value differs from the one sent, in the form's order."""
    differences = []
    for name, sent in sent_form._fields.items():
        if name in {"csrf_token", ROW_VERSION} or name not in stored_form._fields:
            continue
        theirs = shown(stored_form._fields[name], labels_from=sent)
        yours = shown(sent)
        if theirs != yours:
            differences.append(Difference(str(sent.label.text), theirs, yours))
    return differences
