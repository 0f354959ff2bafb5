"""What every admin view shares: who may open it, which rows it shows, how it writes."""

from __future__ import annotations

import functools
import urllib.parse
from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from flask import abort, flash, g, has_request_context, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_admin import BaseView, expose
from flask_admin.babel import gettext as admin_gettext
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from flask_admin.model import template, typefmt
from flask_admin.model.base import FilterGroup
from flask_admin.model.fields import InlineFieldList
from flask_admin.model.helpers import prettify_name
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf.csrf import CSRFError
from jinja2.runtime import Context
from markupsafe import Markup
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers.response import Response

from admin.conflicts import (
    ROW_VERSION,
    EditConflict,
    fingerprint,
    form_differences,
    with_row_version,
)
from admin.forms import AdminForm, raw_value, stored_value
from admin.labels import field_label
from service.core import labels
from service.core.access import Principal, current_principal
from service.core.db import db, in_transaction
from service.core.errors import RuleError
from service.core.i18n import current_language
from service.core.text import spreadsheet_safe
from service.directory.models import MemberState

MAX_ID_DIGITS = 18  # larger ids cannot exist (BIGINT) and would only make the database fail
MAX_LIST_PAGE = 100_000  # beyond any real list; a larger page number only overflows OFFSET


def signed_in_principal() -> Principal | None:
    """The person signed in to the browser session; partner systems' tokens never open the admin."""
    if not has_request_context():
        return None
    principal = current_principal()
    return principal if principal is not None and principal.from_session else None


def error_page(view: BaseView, error: HTTPException) -> tuple:
    """Our 403/404/400 pages inside the admin layout, never a bare error or a stack trace."""
    message: str | None
    if isinstance(error, CSRFError):
        message = _(
            "The form had expired or was not sent from this site. Reload the page and retry."
        )
    else:
        message = (getattr(error, "data", None) or {}).get("message") or error.description
    return view.render("oas_admin/error.html", error=error, message=message), error.code


class ProtectedView:
    """Mixin for flask-admin views: signed in and allowed, or sent to sign in / refused (403)."""

    def may_read(self, principal: Principal) -> bool:
        """Who may open this view at all; the secretariat unless a view says otherwise."""
        return principal.is_secretariat

    @property
    def principal(self) -> Principal | None:
        return signed_in_principal()

    def is_accessible(self) -> bool:
        principal = self.principal
        return principal is not None and principal.role is not None and self.may_read(principal)

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Response:
        if self.principal is None:
            return redirect(url_for("identity.login", next=request.full_path.rstrip("?")))
        abort(403, description=_("Your role does not give you access to this page."))

    def create_blueprint(self, admin: Any) -> Any:
        blueprint = super().create_blueprint(admin)  # type: ignore[misc]  # a mixin
        for code in (400, 403, 404, 409, 503):
            blueprint.register_error_handler(code, lambda error: error_page(self, error))
        return blueprint


# -- turning rule violations into messages next to the fields --------------------------------

REQUIRED_MESSAGES = {"Field may not be null.", "Missing data for required field."}


def _flatten(messages: Any) -> list[str]:
    if isinstance(messages, dict):
        return [m for value in messages.values() for m in _flatten(value)]
    if isinstance(messages, list | tuple):
        return [m for value in messages for m in _flatten(value)]
    text = str(messages)
    return [_("This field is required.") if text in REQUIRED_MESSAGES else text]


def _add_errors(field: Any, messages: Any) -> None:
    field.errors = [*field.errors, *_flatten(messages)]


def show_errors(form: Any, messages: Any, aliases: dict[str, str] | None = None) -> None:
    """Puts each message on the form field it is about; the rest goes to the page's flash."""
    if not isinstance(messages, dict):
        messages = {"_schema": messages}
    for key, value in messages.items():
        field = form._fields.get((aliases or {}).get(str(key), str(key)))
        if field is None:
            for message in _flatten(value):
                named = f"{field_label(str(key)) or key}: {message}"
                flash(message if key == "_schema" else named, "error")
        elif isinstance(field, InlineFieldList) and isinstance(value, dict):
            rows = [e for e in field.entries if not field.should_delete(e)]
            for index, row_messages in value.items():
                row = rows[int(index)] if str(index).isdigit() and int(index) < len(rows) else None
                if row is None or not isinstance(row_messages, dict):
                    _add_errors(field, row_messages)
                    continue
                for name, sub_messages in row_messages.items():
                    sub_field = row.form._fields.get(name)
                    _add_errors(sub_field if sub_field is not None else field, sub_messages)
        else:
            _add_errors(field, value)


def rule_messages(error: Exception) -> dict | None:
    """The field messages of a rejected change, whichever layer rejected it: the input schema
    (ValidationError), a service (RuleError, by its field) or the access rule (HTTPException)."""
    if isinstance(error, ma.ValidationError):
        return error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
    if isinstance(error, RuleError):
        field = (error.field or "_schema").split(".")[0]
        return {field: [error.message]}
    if isinstance(error, HTTPException):
        data = getattr(error, "data", None) or {}
        fields = (data.get("messages") or {}).get("json")
        if isinstance(fields, dict) and fields:
            return fields
        return {"_schema": [data.get("message") or error.description]}
    return None


# -- model views ----------------------------------------------------------------------------


def per_request(options: Any) -> Any:
    """Filter options read when a page is drawn: flask-admin would read them once, at start-up."""
    return lambda: options() if has_request_context() else []


class ExportRow:
    """One row of a CSV export, its cells already read (see RecordView._export_data)."""

    def __init__(self, values: dict) -> None:
        self.values = values


class PageRowAction(template.BaseListRowAction):
    """A list row's icon, made in Python: what every row of a page shares (an address with the
    page's return URL, the CSRF field, the words) is made at its first row and kept on the action,
    which flask-admin makes anew for each page. flask-admin's templates made each row's icons
    through Jinja macros, `url_for` and WTForms: 60 % of a list of 50 recommendations."""

    MARKUP: Markup

    def __init__(self) -> None:
        super().__init__()
        self._shared: dict[str, Any] | None = None

    def render(self, context: Context, row_id: str, row: Any) -> Markup:
        if self._shared is None:
            self._shared = self.shared(context)
        return self.MARKUP.format(**self.of_row(row_id, self._shared))

    def shared(self, context: Context) -> dict[str, Any]:
        raise NotImplementedError

    def of_row(self, row_id: str, shared: dict[str, Any]) -> dict[str, Any]:
        return {**shared, "id": row_id}


class LinkRowAction(PageRowAction):
    """flask-admin's view and edit icons: a link to the row's page, back to this list."""

    MARKUP = Markup(
        '<a class="icon" href="{href}" title="{title}"><span class="{icon}"></span></a>'
    )
    _ID = "__row_id__"  # url_for leaves it as it is; each row's id takes its place

    def __init__(self, endpoint: str, icon: str, title: str) -> None:
        super().__init__()
        self.endpoint, self.icon, self.title = endpoint, icon, title

    def shared(self, context: Context) -> dict[str, Any]:
        get_url, back = context.resolve("get_url"), context.resolve("return_url")
        before, after = get_url(self.endpoint, id=self._ID, url=back).split(self._ID)
        return {"before": before, "after": after, "icon": self.icon, "title": self.title}

    def of_row(self, row_id: str, shared: dict[str, Any]) -> dict[str, Any]:
        # the row's id quoted as werkzeug quotes a query's values
        quoted = urllib.parse.quote_plus(str(row_id), safe="!$'()*,/:;?@")
        return {**shared, "href": shared["before"] + quoted + shared["after"]}


class DeleteRowAction(PageRowAction):
    """flask-admin's delete button: the same form (its action, its hidden `url` and CSRF fields
    and its words are the same on every row of a page)."""

    MARKUP = Markup(
        '<form class="icon" method="POST" action="{action}">'
        '<input id="id" name="id" type="hidden" value="{id}">{hidden}'
        '<button onclick="return faHelpers.safeConfirm(\'{confirm}\');" title="{title}">'
        '<span class="fa fa-trash glyphicon glyphicon-trash"></span></button></form>'
    )

    def shared(self, context: Context) -> dict[str, Any]:
        form: Any = context.resolve("delete_form")
        hidden = form.url(value=context.resolve("return_url"))  # WTForms gives Markup
        if getattr(form, "csrf_token", None):
            hidden += form.csrf_token()
        return {
            "action": context.resolve("get_url")(".delete_view"),
            "hidden": hidden,
            # flask-admin's words, from its own catalogue, as its template had them
            "confirm": admin_gettext("Are you sure you want to delete this record?"),
            "title": admin_gettext("Delete Record"),
        }


def row_action_made_in_python(action: template.BaseListRowAction) -> template.BaseListRowAction:
    """flask-admin's own view, edit and delete icons as `PageRowAction`s; others as they are."""
    title = action.title or ""
    if isinstance(action, template.ViewRowAction):
        return LinkRowAction(".details_view", "fa fa-eye glyphicon glyphicon-eye-open", title)
    if isinstance(action, template.EditRowAction):
        return LinkRowAction(".edit_view", "fa fa-pencil glyphicon glyphicon-pencil", title)
    if isinstance(action, template.DeleteRowAction):
        return DeleteRowAction()
    return action


class RecordView(ProtectedView, ModelView):
    """A model view whose every path (list, count, details, edit, actions, export) is scoped.

    Subclasses say which rows a principal sees (`scope`), who may write (`may_write`), and how a
    form becomes a change (`create_record`, `update_record`) through the shared service functions.
    """

    form_base_class = AdminForm
    can_view_details = True
    can_delete = False  # directory entries archive; reference data deletes through its rules
    can_set_page_size = True
    named_filter_urls = True
    page_size = 50
    export_types = ["csv"]
    export_max_rows = 5000
    field_aliases: dict[str, str] = {}  # input-schema key -> form field, where they differ
    _edit_form_class: Any  # flask-admin's, made when the view is registered

    # -- who may do what (asked per request: views are shared by every thread) --------------

    def scaffold_sortable_columns(self) -> dict:
        """flask-admin's, without JSON columns: PostgreSQL has no order for `json` (a sort by
        one was a 500 there, found by the admin fuzzer)."""
        return {
            name: column
            for name, column in super().scaffold_sortable_columns().items()
            if not isinstance(getattr(column, "type", None), sa.JSON)
        }

    def may_write(self, principal: Principal) -> bool:
        return principal.is_secretariat

    def may_create(self, principal: Principal) -> bool:
        return self.may_write(principal)

    def may_export(self, principal: Principal) -> bool:
        return principal.is_secretariat

    @property
    def can_create(self) -> bool:
        principal = self.principal
        return principal is not None and self.may_create(principal)

    @property
    def can_edit(self) -> bool:
        principal = self.principal
        return principal is not None and self.may_write(principal)

    @property
    def can_export(self) -> bool:
        principal = self.principal
        return principal is not None and self.may_export(principal)

    def is_action_allowed(self, name: str) -> bool:
        principal = self.principal
        return (
            principal is not None and self.may_write(principal) and super().is_action_allowed(name)
        )

    @functools.cached_property
    def column_type_formatters(self) -> dict:
        """Codes (enums) as their words in the person's language, not as Python names (made once
        per view: flask-admin asks for it for every value of every row)."""
        return {
            **typefmt.BASE_FORMATTERS,
            **{enum_cls: _enum_word for enum_cls in labels.vocabularies()},
        }

    def get_list_row_actions(self) -> list[template.BaseListRowAction]:
        return [row_action_made_in_python(action) for action in super().get_list_row_actions()]

    def _prettify_name(self, name: str) -> str:
        """A column with no label of its own takes the shared word for it (admin/labels.py)."""
        return str(field_label(name) or prettify_name(name))

    # -- which rows ----------------------------------------------------------------------------

    def scope(self, principal: Principal | None) -> list[sa.ColumnElement]:
        """Conditions on the rows this view shows this principal (none: every row)."""
        return []

    def readable(self, principal: Principal | None) -> list[sa.ColumnElement]:
        """Rows the principal may read anywhere: outside `scope` but inside this, it's a 403."""
        return self.scope(principal)

    def get_query(self) -> Any:
        return super().get_query().filter(*self.scope(self.principal))

    # -- list arguments: whatever the address says, never a database error ------------------

    def _get_list_extra_args(self) -> Any:
        args = super()._get_list_extra_args()
        # A negative page is an error on PostgreSQL; a huge one overflows OFFSET everywhere.
        page = min(max(args.page or 0, 0), MAX_LIST_PAGE)
        # PostgreSQL refuses text with NUL characters: they can match nothing anyway.
        search = (args.search or "").replace("\x00", "") or None
        return args.clone(page=page, search=search)

    def _get_list_filter_args(self) -> list[tuple[int, str, str]] | None:
        """flask-admin's, with each value checked first (see `filter_value_ok`); a refused one is
        named on the page and not applied."""
        if not self._filters:
            return None
        filters = []
        for arg, value in request.args.items():
            if not arg.startswith("flt") or "_" not in arg:
                continue
            position, key = arg[3:].split("_", 1)
            if key not in self._filter_args:
                continue
            index, flt = self._filter_args[key]
            if filter_value_ok(self, flt, value):
                filters.append((position, (index, str(flt.name), value)))
            else:
                flash(self.get_invalid_value_msg(value, flt), "error")
        return [found for _, found in sorted(filters, key=lambda pair: pair[0])]

    def get_invalid_value_msg(self, value: str, filter: Any) -> str:
        shown = value.replace("\x00", "")[:80]
        return _(
            "Filter %(filter)s: %(value)r is not one of its values; it was not applied.",
            filter=filter.name,
            value=shown,
        )

    # -- CSV export ----------------------------------------------------------------------------

    def _export_data(self) -> tuple:
        # flask-admin writes the CSV while the response streams, after the request's database
        # session has closed: a value read then from a relationship fails, and the download
        # stops after its header. Every cell is therefore read here, while the session is open.
        count, rows = super()._export_data()
        columns = [name for name, _ in self._export_columns]
        return count, [
            ExportRow({name: self.get_export_value(row, name) for name in columns}) for row in rows
        ]

    def get_export_value(self, model: Any, name: str) -> Any:
        if isinstance(model, ExportRow):
            return model.values[name]
        value = super().get_export_value(model, name)
        if value is None or isinstance(value, bool | int | float):
            return value  # numbers stay numbers
        # A list-page formatter's HTML becomes the text it shows; a related row, its name.
        text = value.striptags() if isinstance(value, Markup) else str(value)
        # Whatever someone typed must open in a spreadsheet as text, never run as a formula.
        return spreadsheet_safe(text)

    def _get_filter_groups(self) -> dict | None:
        """The filters' options, asked again on every page (they depend on data and on who asks)."""
        if not self._filters:
            return None
        groups: dict[str, FilterGroup] = {}
        for index, flt in enumerate(self._filters):
            group = groups.setdefault(str(flt.name), FilterGroup(flt.name))
            group.append(
                {
                    "index": index,
                    "arg": self.get_filter_arg(index, flt),
                    "operation": flt.operation(),
                    "options": flt.get_options(self) or None,
                    "type": flt.data_type,
                }
            )
        return dict(group.non_lazy() for group in groups.values())

    def get_count_query(self) -> Any:
        # Scoped like get_query, or the pager tells how many rows another state has (#2298).
        return super().get_count_query().filter(*self.scope(self.principal))

    def _key_column(self) -> Any:
        return self.model.__mapper__.primary_key[0]

    def typed_id(self, value: str) -> str | int:
        column = self._key_column()
        if column.type.python_type is int:
            if not value.isdigit() or len(value) > MAX_ID_DIGITS:
                abort(404)
            return int(value)
        return value

    def get_one(self, id: str) -> Any:
        """Details and edit pages reached by typing an id: scoped too (#1739)."""
        key = self.typed_id(str(id))
        found = self.get_query().filter(self._key_column() == key).one_or_none()
        if found is not None:
            return found
        readable = db.session.execute(
            sa.select(sa.literal(1))
            .select_from(self.model)
            .where(self._key_column() == key, *self.readable(self.principal))
        ).first()
        if readable is not None:
            abort(
                403,
                description=_("You may not change this entry: it is not your member state's."),
            )
        abort(404, description=_("There is no such entry."))

    def rows_for_action(self, ids: list[str]) -> list:
        """The rows a bulk action names, all in scope or the whole action is refused."""
        keys = {self.typed_id(str(i)) for i in ids}
        rows = self.get_query().filter(self._key_column().in_(keys)).all()
        if len(rows) != len(keys):
            abort(403, description=_("The selection includes entries you may not change."))
        return rows

    def run_action(self, ids: list, change: Any, done: str) -> None:
        """Applies one service function to each selected row; stops at the first refusal."""
        count = 0
        for row in self.rows_for_action(ids):
            try:
                in_transaction(functools.partial(change, row))
                count += 1
            except Exception as error:
                messages = rule_messages(error)
                if messages is None:
                    raise
                if isinstance(error, HTTPException) and error.code == 403:
                    raise
                for message in _flatten(messages):
                    flash(f"{row}: {message}", "error")
        if count:
            entries = ngettext("%(num)d entry", "%(num)d entries", count)
            flash(f"{done}: {entries}.", "success")

    # -- forms ----------------------------------------------------------------------------------

    def prefill(self, model: Any) -> dict:
        """The edit form's values for a stored row (field name -> value)."""
        form_class = self._edit_form_class
        return {
            name: stored_value(getattr(model, name))
            for name in form_class()._fields
            if name != "csrf_token" and hasattr(model, name)
        }

    def edit_form(self, obj: Any = None) -> Any:
        from flask_admin.helpers import get_form_data

        formdata = get_form_data()
        if formdata is not None:
            return self._edit_form_class(formdata)
        return self._edit_form_class(None, data=self.stored_values(obj))

    def stored_values(self, model: Any) -> dict:
        """The edit form's values for the stored row, with the version they were read at."""
        return {**self.prefill(model), ROW_VERSION: self.row_version(model)}

    # -- conditional edits: a form saves only over the version it was opened on -------------

    edit_template = "oas_admin/edit.html"

    def _refresh_forms_cache(self) -> None:
        super()._refresh_forms_cache()
        self._edit_form_class = with_row_version(self._edit_form_class)

    @property
    def _versioned(self) -> bool:
        return self.model.__mapper__.version_id_col is not None

    def row_version(self, model: Any) -> str:
        """The row's version column, or (rows without one) a digest of what its form shows."""
        if self._versioned:
            return str(model.version)
        return fingerprint(self.prefill(model))

    def refuse_stale(self, form: Any, model: Any, version_missing: bool = False) -> bool:
        """Nothing is saved; the page names what changed and the form shows the current values."""
        stored = self._edit_form_class(None, data=self.stored_values(model))
        g.edit_conflict = EditConflict(form_differences(stored, form), version_missing)
        form.process(None, data=self.stored_values(model))
        return False

    def update_model(self, form: Any, model: Any) -> bool:
        sent = form._fields.get(ROW_VERSION)
        sent = (sent.data or "").strip() if sent is not None else ""
        if not self._versioned:
            # No version column to guard the UPDATE: hold the row while comparing and saving.
            db.session.execute(
                sa.select(self._key_column())
                .where(self._key_column() == sa.inspect(model).identity[0])
                .with_for_update()
            )
            db.session.refresh(model)
        if sent != self.row_version(model):
            return self.refuse_stale(form, model, version_missing=not sent)
        try:
            return self._write(form, lambda: self.update_record(form, model)) is not None
        except StaleDataError:
            # Changed between this request's read and its write: the ORM's UPDATE found no row
            # at the version read, so nothing was written (and the transaction is rolled back).
            return self.refuse_stale(form, model)

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self) -> ResponseReturnValue:
        response = super().edit_view()
        if g.get("edit_conflict") is not None and isinstance(response, str):
            return response, 409
        return response

    def create_form(self, obj: Any = None) -> Any:
        from flask_admin.helpers import get_form_data

        return self._create_form_class(get_form_data())

    def form_input(self, form: Any) -> dict:
        """The form's values as the API's input schema reads them."""
        return {
            name: raw_value(field.data)
            for name, field in form._fields.items()
            if name not in {"csrf_token", ROW_VERSION}
        }

    def create_record(self, form: Any) -> Any:
        raise NotImplementedError

    def update_record(self, form: Any, model: Any) -> Any:
        raise NotImplementedError

    def create_model(self, form: Any) -> Any:
        return self._write(form, lambda: self.create_record(form))

    def _write(self, form: Any, change: Any) -> Any:
        """Runs a change through the shared rules; a refusal lands on the form, not in a 500."""
        try:
            result = in_transaction(change)
            return result if result is not None else True
        except Exception as error:
            messages = rule_messages(error)
            if messages is None:
                raise
            show_errors(form, messages, self.field_aliases)
            return None


def filter_value_ok(view: Any, flt: Any, value: str) -> bool:
    """A filter's own check, plus: no NUL, not huge, and one of its options when it lists some."""
    if "\x00" in value or len(value) > 500:
        return False
    try:
        if not flt.validate(value):
            return False
    except (LookupError, ValueError, TypeError, OverflowError):
        return False  # e.g. flask-admin's enum filter looks the value up and raises KeyError
    if getattr(flt, "decides_itself", False):
        return True  # the member-state filter answers 403 for a state it never shows
    options = flt.get_options(view)
    if options:
        return value in {str(option) for option, _ in options}
    return True


MEMBER_STATE = _l("Member state")


def state_name_column() -> Any:
    """The member states' names in the person's language (the directory holds all four)."""
    return getattr(MemberState, f"name_{current_language()}", MemberState.name_en)


def _enum_word(view: Any, value: Any, name: Any = None) -> str:
    return str(labels.label(value))


class MemberStateFilter(BaseSQLAFilter):
    """Filter by member state; asking for a state the view never shows is refused (403)."""

    decides_itself = True

    def __init__(
        self, column: Any, shown_states: Any, in_state: Any, name: Any = MEMBER_STATE
    ) -> None:
        self.shown_states = shown_states  # () -> set of codes, or None for every state
        self.in_state = in_state  # (code) -> condition
        super().__init__(column, name, options=per_request(self._options))

    def _options(self) -> Any:
        shown = self.shown_states()
        statement = sa.select(MemberState.code, state_name_column()).order_by(MemberState.code)
        if shown is not None:
            statement = statement.where(MemberState.code.in_(shown))
        return [(code, f"{code} · {name}") for code, name in db.session.execute(statement)]

    def clean(self, value: Any) -> Any:
        return value.strip().upper()

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        shown = self.shown_states()
        if shown is not None and value not in shown:
            abort(403, description=_("You may only list your own member state's entries here."))
        return query.filter(self.in_state(value))

    def operation(self) -> str:
        return _("equals")
