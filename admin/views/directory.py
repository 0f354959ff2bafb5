"""Directory views: member states, authorities, contact points; scoped to a focal point's state."""

from __future__ import annotations

import re
from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from flask import abort, request
from flask_admin import BaseView, expose
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import BooleanEqualFilter, FilterEqual
from flask_admin.model.fields import InlineFieldList, InlineFormField
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy.orm import selectinload
from wtforms import (
    BooleanField,
    DateField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional, Regexp

from admin.conflicts import ROW_VERSION
from admin.forms import (
    AdminForm,
    CommaListField,
    SubForm,
    enum_choices,
    enum_options,
    raw_value,
    select,
)
from admin.views.base import (
    MemberStateFilter,
    ProtectedView,
    RecordView,
    per_request,
    state_name_column,
)
from service.core.access import (
    Principal,
    Scope,
    editable_states,
    may_edit_state,
    may_see_secretariat_only,
    visible_contacts_clause,
)
from service.core.db import db
from service.core.i18n import DEFAULT_LANGUAGE, LANGUAGES
from service.core.labels import label
from service.core.text import fold
from service.directory import exports, services
from service.directory.models import (
    Authority,
    AuthorityKind,
    ChannelType,
    Competence,
    ContactKind,
    ContactPoint,
    ContactRole,
    EntryStatus,
    MemberState,
    MemberStateStatus,
    Visibility,
    authority_competences,
    by_name,
    contact_point_competences,
)
from service.directory.schemas import AuthorityCreateSchema, ContactCreateSchema
from service.vocabularies import competence_label

# -- forms ----------------------------------------------------------------------------------


class MemberStateForm(AdminForm):
    code = StringField(
        _l("ISO 3166-1 alpha-2"),
        validators=[InputRequired(), Regexp(r"^[A-Z]{2}$", message=_l("Two capital letters."))],
    )
    alpha3 = StringField(
        _l("ISO 3166-1 alpha-3"),
        validators=[InputRequired(), Regexp(r"^[A-Z]{3}$", message=_l("Three capital letters."))],
    )
    name_en = StringField(_l("Name (English)"), validators=[InputRequired(), Length(max=200)])
    name_es = StringField(_l("Name (Spanish)"), validators=[InputRequired(), Length(max=200)])
    name_fr = StringField(_l("Name (French)"), validators=[InputRequired(), Length(max=200)])
    name_pt = StringField(_l("Name (Portuguese)"), validators=[InputRequired(), Length(max=200)])
    default_language = SelectField(
        _l("Default language"),
        choices=select(LANGUAGES.items()),
        default=DEFAULT_LANGUAGE,
        description=_l("Of its invitations and emails, for a person who has chosen none"),
    )
    status = SelectField(choices=enum_choices(MemberStateStatus))
    status_date = DateField(_l("Status since"), validators=[Optional()])
    status_note = TextAreaField(validators=[Optional(), Length(max=2000)])


class MemberStateEditForm(MemberStateForm):
    code = None  # the public key never changes


class AuthorityForm(AdminForm):
    member_state = SelectField(_l("Member state"), validators=[InputRequired()])
    name = StringField(validators=[InputRequired()])
    name_local = StringField(_l("Name in its own language"))
    acronym = StringField()
    kind = SelectField(choices=enum_choices(AuthorityKind))
    is_coordinating = BooleanField(_l("National coordinating authority"))
    competences = SelectMultipleField()
    address = TextAreaField()
    website = StringField(description="https://…")
    languages = CommaListField(description=_l("ISO 639-1 codes, comma-separated, e.g. es, en"))
    status = SelectField(choices=enum_choices(EntryStatus))


class ChannelForm(SubForm):
    type = SelectField(choices=enum_choices(ChannelType))
    value = StringField(description=_l("Phones in international form: +54 11 …"))
    label = StringField()
    preferred = BooleanField()


class ContactForm(AdminForm):
    authority_id = SelectField(_l("Authority"), coerce=int, validators=[InputRequired()])
    kind = SelectField(choices=enum_choices(ContactKind), description=_l("A person, or a post"))
    name = StringField(validators=[InputRequired()])
    position = StringField()
    role = SelectField(_l("Role in the directory"), choices=enum_choices(ContactRole))
    competences = SelectMultipleField()
    languages = CommaListField(description=_l("ISO 639-1 codes, comma-separated, e.g. es, en"))
    hours = StringField(description=_l("e.g. Mon-Fri 09:00-17:00"))
    time_zone = StringField(_l("Time zone"), description=_l("IANA name, e.g. America/Bogota"))
    available_24_7 = BooleanField(_l("Available 24/7"))
    visibility = SelectField(choices=enum_choices(Visibility))
    status = SelectField(choices=enum_choices(EntryStatus))
    channels = InlineFieldList(InlineFormField(ChannelForm), min_entries=1)


# -- shared helpers ------------------------------------------------------------------------


def competence_choices() -> list[tuple[str, str]]:
    return [
        (c.code, competence_label(c.code, c.name_en))
        for c in db.session.execute(sa.select(Competence).order_by(Competence.position)).scalars()
    ]


def state_choices(codes: set[str] | None) -> list[tuple[str, str]]:
    statement = sa.select(MemberState.code, state_name_column()).order_by(MemberState.code)
    if codes is not None:
        statement = statement.where(MemberState.code.in_(codes))
    return [(code, f"{code} · {name}") for code, name in db.session.execute(statement)]


def in_states(column: Any, codes: set[str] | None) -> list[sa.ColumnElement]:
    return [] if codes is None else [column.in_(codes)]


def reads_directory(principal: Principal) -> bool:
    return principal.has(Scope.DIRECTORY_READ)


def writes_directory(principal: Principal) -> bool:
    return editable_states(principal) != set()


COMPETENCE = _l("Competence")


class CompetenceFilter(FilterEqual):
    """Entries with this competence (a link table, so not a plain column filter)."""

    def __init__(
        self, column: Any, link_table: Any, link_column: Any, name: Any = COMPETENCE
    ) -> None:
        self.link_table, self.link_column = link_table, link_column
        super().__init__(column, name, options=per_request(competence_choices))

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        linked = sa.select(self.link_column).where(self.link_table.c.competence_code == value)
        return query.filter(self.column.in_(linked))


class ArchivedFilter(BooleanEqualFilter):
    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        archived = self.column.is_not(None)
        return query.filter(archived if value == "1" else sa.not_(archived))


class FoldedSearchMixin:
    """The list's search box matches like the API's `q`: case- and accent-insensitive."""

    column_searchable_list = ["search_text"]

    def _apply_search(
        self, query: Any, count_query: Any, joins: Any, count_joins: Any, search: Any
    ) -> Any:
        search = fold(search)
        return super()._apply_search(  # type: ignore[misc]  # a mixin
            query, count_query, joins, count_joins, search
        )

    def search_placeholder(self) -> str:
        return _("Search names")


def verified_text(view: Any, context: Any, model: Any, name: str) -> str:
    when = model.last_verified_at
    if when is None:
        return _("never")
    return _(
        "%(date)s by %(person)s",
        date=when.strftime("%Y-%m-%d"),
        person=model.last_verified_by or "?",
    )


def verified(view: Any, context: Any, model: Any, name: str) -> str | Markup:
    if model.last_verified_at is None:
        return Markup('<span class="badge badge-warning">{}</span>').format(_("never"))
    return verified_text(view, context, model, name)


def archived(view: Any, context: Any, model: Any, name: str) -> Markup | str:
    if model.archived_at is None:
        return ""
    return Markup('<span class="badge badge-secondary">{}</span>').format(
        _("archived %(date)s", date=model.archived_at.strftime("%Y-%m-%d"))
    )


# -- member states -----------------------------------------------------------------------


class MemberStateView(RecordView):
    """Everyone with directory access reads them; the secretariat maintains them."""

    form = MemberStateForm
    column_list = ["code", "alpha3", "name_en", "name_es", "status", "status_date", "updated_at"]
    column_labels = {
        "name_en": _l("Name"),
        "name_es": _l("Name (Spanish)"),
        "alpha3": _l("Alpha-3"),
    }
    column_searchable_list = ["code", "name_en", "name_es", "name_fr", "name_pt"]
    # flask-admin's own enum filters look values up by name while offering values: a 500
    column_filters = [
        FilterEqual(MemberState.status, _l("Status"), options=enum_options(MemberStateStatus))
    ]
    column_default_sort = "code"
    column_details_exclude_list: list[str] = []

    def may_read(self, principal: Principal) -> bool:
        return reads_directory(principal)

    def may_export(self, principal: Principal) -> bool:
        return reads_directory(principal)

    def get_edit_form(self) -> type:
        return MemberStateEditForm

    def create_record(self, form: Any) -> Any:
        return services.create_member_state(self.form_input(form))

    def update_record(self, form: Any, model: Any) -> Any:
        return services.update_member_state(model, self.form_input(form))

    def form_input(self, form: Any) -> dict:
        data = super().form_input(form)
        data["status"] = MemberStateStatus(data["status"])
        if data.get("status_date"):
            data["status_date"] = form.status_date.data
        return data


# -- authorities ---------------------------------------------------------------------------


class AuthorityView(FoldedSearchMixin, RecordView):
    """Focal points see and change only their own state's authorities, on every path."""

    form = AuthorityForm
    column_list = [
        "member_state_code",
        "name",
        "acronym",
        "kind",
        "is_coordinating",
        "status",
        "last_verified_at",
        "archived_at",
        "updated_at",
    ]
    column_labels = {
        "member_state_code": _l("State"),
        "is_coordinating": _l("Coordinating"),
        "last_verified_at": _l("Last verified"),
        "archived_at": _l("Archived"),
    }
    column_sortable_list = ["member_state_code", "name", "kind", "updated_at", "last_verified_at"]
    column_default_sort = [("member_state_code", False), ("name", False)]
    column_formatters = {"last_verified_at": verified, "archived_at": archived}
    column_formatters_export = {"last_verified_at": verified_text}  # plain text, no badges
    column_details_exclude_list = ["search_text", "demo_key"]
    column_export_exclude_list = ["search_text"]

    @property
    def column_filters(
        self,
    ) -> list[
        MemberStateFilter | CompetenceFilter | FilterEqual | BooleanEqualFilter | ArchivedFilter
    ]:
        return [
            MemberStateFilter(
                Authority.member_state_code,
                lambda: self.shown_states(self.principal),
                lambda code: Authority.member_state_code == code,
            ),
            CompetenceFilter(
                Authority.id, authority_competences, authority_competences.c.authority_id
            ),
            FilterEqual(Authority.kind, _l("Kind"), options=enum_options(AuthorityKind)),
            BooleanEqualFilter(Authority.is_coordinating, _l("Coordinating")),
            FilterEqual(Authority.status, _l("Status"), options=enum_options(EntryStatus)),
            ArchivedFilter(Authority.archived_at, _l("Archived")),
        ]

    def shown_states(self, principal: Principal | None) -> set[str] | None:
        return editable_states(principal)

    def may_read(self, principal: Principal) -> bool:
        return reads_directory(principal) and writes_directory(principal)

    def may_write(self, principal: Principal) -> bool:
        return writes_directory(principal)

    def may_export(self, principal: Principal) -> bool:
        return reads_directory(principal)

    def scope(self, principal: Principal | None) -> list:
        return in_states(Authority.member_state_code, self.shown_states(principal))

    def readable(self, principal: Principal | None) -> list:
        return []  # every authority is readable by whoever reads the directory

    # -- forms --------------------------------------------------------------------------

    def _choices(self, form: Any) -> Any:
        form.member_state.choices = select(state_choices(editable_states(self.principal)))
        form.competences.choices = select(competence_choices())
        return form

    def create_form(self, obj: Any = None) -> Any:
        return self._choices(super().create_form(obj))

    def edit_form(self, obj: Any = None) -> Any:
        return self._choices(super().edit_form(obj))

    def prefill(self, model: Any) -> dict:
        return {
            **super().prefill(model),
            "member_state": model.member_state_code,
            "competences": [c.code for c in model.competences],
            "languages": list(model.languages or []),
        }

    field_aliases = {"member_state_code": "member_state"}

    def form_input(self, form: Any) -> dict:
        data = super().form_input(form)
        data["competences"] = form.competences.data or []
        data["languages"] = form.languages.data or []
        data["is_coordinating"] = bool(form.is_coordinating.data)
        return AuthorityCreateSchema().load(data)

    def create_record(self, form: Any) -> Any:
        data = self.form_input(form)
        self.ensure_state(form, data["member_state_code"])
        return services.create_authority(data)

    def update_record(self, form: Any, model: Any) -> Any:
        data = self.form_input(form)
        self.ensure_state(form, data["member_state_code"])
        return services.update_authority(model, data)

    def ensure_state(self, form: Any, code: str) -> None:
        # Also checked by the service; said here so the refusal lands next to the field.
        if not may_edit_state(self.principal, code):
            raise ma.ValidationError(
                {"member_state": [_("You may only keep entries of your own member state.")]}
            )

    # -- actions (scoped like every other path) -------------------------------------------

    @action(
        "verify",
        _l("Re-confirm as accurate"),
        _l("Re-confirm the selected authorities as accurate?"),
    )
    def action_verify(self, ids: list) -> None:
        self.run_action(ids, services.verify_authority, _("Re-confirmed"))

    @action("archive", _l("Archive"), _l("Archive the selected authorities? They can be restored."))
    def action_archive(self, ids: list) -> None:
        self.run_action(ids, services.archive_authority, _("Archived"))

    @action("restore", _l("Restore"), _l("Restore the selected authorities?"))
    def action_restore(self, ids: list) -> None:
        self.run_action(ids, services.restore_authority, _("Restored"))


class NetworkAuthorityView(AuthorityView):
    """Focal points read every state's authorities here; nothing is editable."""

    def may_read(self, principal: Principal) -> bool:
        return reads_directory(principal) and not principal.is_secretariat

    def may_write(self, principal: Principal) -> bool:
        return False

    def may_export(self, principal: Principal) -> bool:
        return False

    def shown_states(self, principal: Principal | None) -> set[str] | None:
        return None


# -- contact points ------------------------------------------------------------------------


def sees_bounces(principal: Principal | None, member_state_code: str) -> bool:
    """Bounced addresses are shown to the secretariat and that state's focal points only."""
    return principal is not None and (
        principal.is_secretariat or principal.member_state_code == member_state_code
    )


BOUNCED = Markup(' <span class="badge badge-danger" title="{}">bounced</span>')


def channels_list(view: Any, context: Any, model: Any, name: str) -> Markup:
    shows_bounces = sees_bounces(view.principal, model.authority.member_state_code)
    return Markup("<br>").join(
        Markup("{}: {}{}{}").format(
            label(ch.type),
            ch.value,
            " ★" if ch.preferred else "",
            BOUNCED.format(
                _("A reminder bounced on %(date)s", date=ch.bounced_at.strftime("%Y-%m-%d"))
            )
            if shows_bounces and ch.bounced_at is not None
            else "",
        )
        for ch in model.channels
    )


def authority_with_state(view: Any, context: Any, model: Any, name: str) -> str:
    return f"{model.authority.member_state_code} · {model.authority.name}"


class ContactPointView(FoldedSearchMixin, RecordView):
    """Contact points with their channels inline; secretariat-only ones are the secretariat's."""

    form = ContactForm
    column_list = [
        "authority",
        "name",
        "role",
        "kind",
        "channels",
        "visibility",
        "status",
        "last_verified_at",
        "archived_at",
        "updated_at",
    ]
    column_labels = {"last_verified_at": _l("Last verified"), "archived_at": _l("Archived")}
    column_sortable_list = ["name", "role", "updated_at", "last_verified_at"]
    column_default_sort = ("name", False)
    column_formatters = {
        "authority": authority_with_state,
        "channels": channels_list,
        "last_verified_at": verified,
        "archived_at": archived,
    }
    column_formatters_detail = column_formatters
    column_formatters_export = {
        "authority": lambda v, c, m, n: f"{m.authority.member_state_code} · {m.authority.name}",
        "channels": lambda v, c, m, n: "; ".join(
            f"{ch.type.value}: {ch.value}" for ch in m.channels
        ),
        "last_verified_at": verified_text,
    }
    column_details_list = [
        "authority",
        "kind",
        "name",
        "position",
        "role",
        "competences",
        "languages",
        "hours",
        "time_zone",
        "available_24_7",
        "channels",
        "visibility",
        "status",
        "last_verified_at",
        "archived_at",
        "created_at",
        "updated_at",
    ]
    column_export_list = [
        "id",
        "authority",
        "kind",
        "name",
        "position",
        "role",
        "channels",
        "hours",
        "time_zone",
        "available_24_7",
        "visibility",
        "status",
        "last_verified_at",
        "archived_at",
        "updated_at",
    ]

    @property
    def column_filters(
        self,
    ) -> list[
        MemberStateFilter | FilterEqual | CompetenceFilter | BooleanEqualFilter | ArchivedFilter
    ]:
        return [
            MemberStateFilter(
                ContactPoint.authority_id,
                lambda: self.shown_states(self.principal),
                lambda code: ContactPoint.authority_id.in_(
                    sa.select(Authority.id).where(Authority.member_state_code == code)
                ),
            ),
            FilterEqual(ContactPoint.role, _l("Role"), options=enum_options(ContactRole)),
            CompetenceFilter(
                ContactPoint.id,
                contact_point_competences,
                contact_point_competences.c.contact_point_id,
            ),
            BooleanEqualFilter(ContactPoint.available_24_7, _l("Available 24/7")),
            FilterEqual(ContactPoint.status, _l("Status"), options=enum_options(EntryStatus)),
            ArchivedFilter(ContactPoint.archived_at, _l("Archived")),
        ]

    def shown_states(self, principal: Principal | None) -> set[str] | None:
        return editable_states(principal)

    def may_read(self, principal: Principal) -> bool:
        return reads_directory(principal) and writes_directory(principal)

    def may_write(self, principal: Principal) -> bool:
        return writes_directory(principal)

    def may_export(self, principal: Principal) -> bool:
        return reads_directory(principal)

    def _export_csv(self, return_url: Any) -> Any:
        # One CSV writer for contact points, the API's: the same columns, formula guard and
        # file name wherever they are exported. The rows are the list's (scoped, filtered).
        _, rows = super(RecordView, self)._export_data()
        return exports.as_download(exports.contacts_csv(rows), exports.CSV_MIMETYPE, "contacts")

    def get_query(self) -> Any:
        # The list and the export show every row's channels: one query for all, not one per row
        # (flask-admin itself joins the authority, a column of the list).
        return super().get_query().options(selectinload(ContactPoint.channels))

    def scope(self, principal: Principal | None) -> list:
        states = self.shown_states(principal)
        clauses = [visible_contacts_clause(principal, ContactPoint.visibility)]
        if states is not None:
            clauses.append(
                ContactPoint.authority_id.in_(
                    sa.select(Authority.id).where(Authority.member_state_code.in_(states))
                )
            )
        return clauses

    def readable(self, principal: Principal | None) -> list:
        return [visible_contacts_clause(principal, ContactPoint.visibility)]

    # -- forms --------------------------------------------------------------------------

    def authority_choices(self) -> list[tuple[int, str]]:
        """The authority picker offers only authorities the person may add contacts to (#397)."""
        statement = (
            sa.select(Authority)
            .where(
                Authority.archived_at.is_(None),
                *in_states(Authority.member_state_code, editable_states(self.principal)),
            )
            .order_by(Authority.member_state_code, Authority.search_text)
        )
        return [(a.id, f"{a.member_state_code} · {a.name}") for a in db.session.scalars(statement)]

    def _choices(self, form: Any) -> Any:
        form.authority_id.choices = select(self.authority_choices())
        form.competences.choices = select(competence_choices())
        if not may_see_secretariat_only(self.principal):
            form.visibility.choices = enum_choices(Visibility)[:1]  # network only
        return form

    def create_form(self, obj: Any = None) -> Any:
        return self._choices(super().create_form(obj))

    def edit_form(self, obj: Any = None) -> Any:
        return self._choices(super().edit_form(obj))

    def prefill(self, model: Any) -> dict:
        return {
            **super().prefill(model),
            "competences": [c.code for c in model.competences],
            "languages": list(model.languages or []),
            "channels": [
                {
                    "type": ch.type.value,
                    "value": ch.value,
                    "label": ch.label,
                    "preferred": ch.preferred,
                }
                for ch in model.channels
            ],
        }

    def form_input(self, form: Any) -> dict:
        data = {
            name: raw_value(field.data)
            for name, field in form._fields.items()
            if name not in {"csrf_token", ROW_VERSION, "channels"}
        }
        data["competences"] = form.competences.data or []
        data["languages"] = form.languages.data or []
        data["available_24_7"] = bool(form.available_24_7.data)
        data["channels"] = [
            {
                "type": row.form.type.data,
                "value": row.form.value.data or "",
                "label": raw_value(row.form.label.data),
                "preferred": bool(row.form.preferred.data),
            }
            for row in form.channels.entries
            if not form.channels.should_delete(row)
        ]
        return ContactCreateSchema().load(data)

    def ensure_authority(self, authority_id: int) -> None:
        authority = db.session.get(Authority, authority_id)
        if authority is None or not may_edit_state(self.principal, authority.member_state_code):
            raise ma.ValidationError(
                {"authority_id": [_("Choose an authority of your own member state.")]}
            )

    def create_record(self, form: Any) -> Any:
        data = self.form_input(form)
        self.ensure_authority(data["authority_id"])
        return services.create_contact(data)

    def update_record(self, form: Any, model: Any) -> Any:
        data = self.form_input(form)
        self.ensure_authority(data["authority_id"])
        return services.update_contact(model, data)

    # -- actions ----------------------------------------------------------------------------

    @action("verify", _l("Re-confirm as accurate"), _l("Re-confirm the selected contact points?"))
    def action_verify(self, ids: list) -> None:
        self.run_action(ids, services.verify_contact, _("Re-confirmed"))

    @action(
        "archive", _l("Archive"), _l("Archive the selected contact points? They can be restored.")
    )
    def action_archive(self, ids: list) -> None:
        self.run_action(ids, services.archive_contact, _("Archived"))

    @action("restore", _l("Restore"), _l("Restore the selected contact points?"))
    def action_restore(self, ids: list) -> None:
        self.run_action(ids, services.restore_contact, _("Restored"))


class NetworkContactView(ContactPointView):
    """Focal points read the network's contacts of every state here; nothing is editable."""

    def may_read(self, principal: Principal) -> bool:
        return reads_directory(principal) and not principal.is_secretariat

    def may_write(self, principal: Principal) -> bool:
        return False

    def may_export(self, principal: Principal) -> bool:
        return False

    def shown_states(self, principal: Principal | None) -> set[str] | None:
        return None


# -- the printable directory -----------------------------------------------------------------


class PrintableDirectoryView(ProtectedView, BaseView):
    """The printable directory (the API's document, one writer): all states or one, as a page to
    print or a PDF, for anyone who reads the directory (the secretariat and the focal points).
    It lists only live entries visible to the whole network, whoever asks."""

    def may_read(self, principal: Principal) -> bool:
        return reads_directory(principal)

    def _document(self) -> exports.PrintableDirectory:
        code = (request.args.get("member_state") or "").strip().upper()
        if code and (
            not re.fullmatch("[A-Z]{2}", code) or db.session.get(MemberState, code) is None
        ):
            abort(
                400,
                description=_(
                    "member_state: no member state with the code %(code)s.", code=repr(code[:8])
                ),
            )
        return exports.directory_document({"member_state": [code]} if code else {}, self.principal)

    @expose("/")
    def index(self) -> str:
        states = by_name(db.session.scalars(sa.select(MemberState)))
        return self.render("oas_admin/printable.html", states=states)

    @expose("/html")
    def html_view(self) -> Any:
        document = self._document()
        return exports.as_download(
            exports.directory_html(document), exports.HTML_MIMETYPE, "directory"
        )

    @expose("/pdf")
    def pdf_view(self) -> Any:
        html = exports.directory_html(self._document())
        try:
            pdf = exports.directory_pdf(html)
        except exports.PdfUnavailableError as error:
            abort(503, description=str(error))
        return exports.as_download(pdf, exports.PDF_MIMETYPE, "directory")
