"""The audit log, read-only: who changed what and when, with the before and after of each change."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time
from typing import Any

import sqlalchemy as sa
from flask import abort
from flask_admin.contrib.sqla.filters import FilterEqual, FilterLike
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from admin.forms import enum_options
from admin.views.base import RecordView, per_request
from service.audit.models import AuditAction, AuditEntry
from service.core.access import Principal
from service.core.db import db


def entity_types() -> list:
    statement = sa.select(AuditEntry.entity_type).distinct().order_by(AuditEntry.entity_type)
    return [(t, t) for t in db.session.scalars(statement)]


class DateFilter(FilterEqual):
    """Entries on or after / before a day (UTC), typed as YYYY-MM-DD."""

    def __init__(self, column: Any, name: str, on_or_after: bool) -> None:
        self.on_or_after = on_or_after
        super().__init__(column, name, data_type="datepicker")

    def validate(self, value: Any) -> bool:
        try:
            self.clean(value)
        except ValueError:
            return False
        return True

    def clean(self, value: Any) -> Any:
        return datetime.combine(datetime.strptime(value.strip(), "%Y-%m-%d").date(), time(), UTC)

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        if self.on_or_after:
            return query.filter(self.column >= value)
        return query.filter(self.column < value.replace(hour=23, minute=59, second=59))

    def operation(self) -> Any:
        return _("on or after") if self.on_or_after else _("on or before")


def changes(view: Any, context: Any, model: Any, name: str) -> Markup | str:
    """The fields that changed, side by side; a creation or deletion shows the whole record."""
    before, after = model.before or {}, model.after or {}
    keys = [k for k in dict.fromkeys([*before, *after]) if before.get(k) != after.get(k)]
    if not keys:
        return ""
    rows = Markup("").join(
        Markup(
            "<tr><th>{}</th><td><pre class='audit'>{}</pre></td>"
            "<td><pre class='audit'>{}</pre></td></tr>"
        ).format(key, _show(before.get(key)), _show(after.get(key)))
        for key in keys
    )
    head = Markup("<tr><th>field</th><th>before</th><th>after</th></tr>")
    return Markup("<table class='table table-sm table-bordered'>{}{}</table>").format(head, rows)


def _show(value: Any) -> str:
    return "—" if value is None else json.dumps(value, ensure_ascii=False, indent=1)


def changed_fields(view: Any, context: Any, model: Any, name: str) -> str:
    before, after = model.before or {}, model.after or {}
    keys = [k for k in dict.fromkeys([*before, *after]) if before.get(k) != after.get(k)]
    return ", ".join(k for k in keys if k not in {"version", "updated_at"})[:120]


class AuditLogView(RecordView):
    """Read-only for the secretariat: nothing here is created, changed or deleted by hand."""

    can_create = False
    can_edit = False
    column_list = [
        "at",
        "actor_label",
        "actor_type",
        "action",
        "entity_type",
        "entity_id",
        "fields",
    ]
    column_labels = {
        "actor_label": _l("Who"),
        "entity_type": _l("Entity"),
        "entity_id": _l("Id"),
        "fields": _l("Changed"),
    }
    column_formatters = {"fields": changed_fields}
    column_details_list = [
        "at",
        "actor_type",
        "actor_id",
        "actor_label",
        "action",
        "entity_type",
        "entity_id",
        "request_id",
        "changes",
    ]
    column_formatters_detail = {"changes": changes}
    column_export_list = [
        "at",
        "actor_label",
        "actor_type",
        "action",
        "entity_type",
        "entity_id",
        "request_id",
    ]
    column_sortable_list = ["at", "entity_type", "actor_label"]
    column_default_sort = ("at", True)
    column_filters = [
        FilterEqual(AuditEntry.entity_type, _l("Entity"), options=per_request(entity_types)),
        FilterEqual(AuditEntry.entity_id, _l("Entity id")),
        FilterLike(AuditEntry.actor_label, _l("Who")),
        FilterEqual(AuditEntry.action, _l("Action"), options=enum_options(AuditAction)),
        DateFilter(AuditEntry.at, _l("Date"), on_or_after=True),
        DateFilter(AuditEntry.at, _l("Date"), on_or_after=False),
    ]

    def may_write(self, principal: Principal) -> bool:
        return False

    def create_record(self, form: Any) -> None:
        abort(403)

    def update_record(self, form: Any, model: Any) -> None:
        abort(403)
