"""Form building blocks of the admin: Flask-WTF's CSRF token, enum choices, list fields."""

from __future__ import annotations

import enum
from datetime import date
from typing import Any

from flask_admin.form import BaseForm
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput

from admin.labels import relabel
from service.core import labels


class AdminForm(FlaskForm):
    """Every admin form (and flask-admin's delete and action forms) carries Flask-WTF's token.

    CSRFProtect checks that token app-wide; flask-admin's own SecureForm uses a different token
    that CSRFProtect would reject, so the admin uses Flask-WTF's instead.
    """

    def __init__(
        self, formdata: Any = None, obj: Any = None, prefix: str = "", **kwargs: Any
    ) -> None:
        self._obj = obj  # flask-admin's form rules read it
        super().__init__(formdata=formdata, obj=obj, prefix=prefix, **kwargs)
        relabel(self)


class SubForm(BaseForm):
    """A row inside another form (a channel, a body link): the outer form carries the token."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        relabel(self)


def enum_options(enum_cls: type[enum.Enum], blank: str | None = None) -> list[tuple[str, str]]:
    """(value, label) pairs: list filters take these."""
    options = labels.options(enum_cls)
    return [("", blank), *options] if blank is not None else options


def select(options: Any) -> list[SelectChoice]:
    """(value, label) pairs as a form's select choices (WTForms 3.3 retires plain tuples)."""
    return [SelectChoice(value, label) for value, label in options]


def enum_choices(enum_cls: type[enum.Enum], blank: str | None = None) -> list[SelectChoice]:
    return select(enum_options(enum_cls, blank))


class CheckboxListWidget:
    """A column of Bootstrap 4 checkboxes (wtforms' bare <ul> sits under the next field's label)."""

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        return Markup("").join(
            Markup('<div class="form-check">{} {}</div>').format(
                option(class_="form-check-input"), option.label(class_="form-check-label")
            )
            for option in field
        )


class CheckboxesField(SelectMultipleField):
    widget = CheckboxListWidget()
    option_widget = CheckboxInput()


class CommaListField(StringField):
    """A short list typed on one line, e.g. languages "es, en"."""

    def _value(self) -> str:
        return ", ".join(self.data or []) if isinstance(self.data, list) else (self.data or "")

    def process_formdata(self, valuelist: Any) -> None:
        text = valuelist[0] if valuelist else ""
        self.data = [part.strip() for part in text.split(",") if part.strip()]


class LinesListField(TextAreaField):
    """A list of longer items, one a line (activity indicators)."""

    def _value(self) -> str:
        return "\n".join(self.data or []) if isinstance(self.data, list) else (self.data or "")

    def process_formdata(self, valuelist: Any) -> None:
        text = valuelist[0] if valuelist else ""
        self.data = [line.strip() for line in text.splitlines() if line.strip()]


def raw_value(value: Any) -> Any:
    """A form value as the API's input schemas read it: enums by value, dates in ISO 8601."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and not value.strip():
        return None
    return value


def stored_value(value: Any) -> Any:
    """A stored value as a form field takes it: enums by value; dates stay dates (a DateField
    draws itself with strftime)."""
    if isinstance(value, date):
        return value
    return raw_value(value)
