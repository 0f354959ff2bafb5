"""People and partner systems: users and roles, invitations, API clients (the secretariat's)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import marshmallow as ma
from email_validator import EmailNotValidError, validate_email
from flask import request
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_admin.form import FormOpts
from flask_admin.helpers import get_redirect_target
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers.response import Response
from wtforms import SelectField, StringField
from wtforms.validators import InputRequired, Length

from admin.forms import AdminForm, CheckboxesField, enum_choices, enum_options, select
from admin.views.base import RecordView, per_request
from admin.views.directory import state_choices
from service.core.access import ALL_SCOPES, Principal
from service.core.authentication import signed_in_user
from service.identity.models import Invitation, Role, User
from service.identity.services import invite, revoke_invitation, set_access
from service.oauth.models import ApiClient
from service.oauth.services import register_client, revoke_client


def every_state() -> list[tuple[str, str]]:
    return state_choices(None)


def role_and_state(form: Any) -> tuple[Role | None, str | None]:
    role = Role(form.role.data) if form.role.data else None
    return role, form.member_state.data or None


# -- users ---------------------------------------------------------------------------------


class UserForm(AdminForm):
    role = SelectField(choices=enum_choices(Role, blank="(no access)"))
    member_state = SelectField(_l("Member state"), description=_l("Focal points only"))


class UserView(RecordView):
    """Accounts come from sign-ins; the secretariat sets or revokes their role and state."""

    form = UserForm
    field_aliases = {"member_state_code": "member_state"}  # RuleError fields -> form
    column_list = [
        "email",
        "name",
        "role",
        "member_state_code",
        "provider",
        "issuer",
        "is_active",
        "last_login_at",
    ]
    column_labels = {"member_state_code": _l("State"), "last_login_at": _l("Last sign-in")}
    column_searchable_list = ["email", "name"]
    column_filters = [
        FilterEqual(User.role, _l("Role"), options=enum_options(Role)),
        FilterEqual(User.member_state_code, _l("Member state"), options=per_request(every_state)),
    ]
    column_details_exclude_list = ["password_hash"]
    column_export_exclude_list = ["password_hash"]
    column_default_sort = "email"

    def may_create(self, principal: Principal) -> bool:
        return False  # accounts are made by signing in after an invitation

    def edit_form(self, obj: Any = None) -> Any:
        form = super().edit_form(obj)
        form.member_state.choices = select([("", "(none)"), *state_choices(None)])
        return form

    def prefill(self, model: Any) -> dict[str, str]:
        return {
            "role": model.role.value if model.role else "",
            "member_state": model.member_state_code or "",
        }

    def update_record(self, form: Any, model: Any) -> Any:
        role, state = role_and_state(form)
        return set_access(model, role, state)


# -- invitations -------------------------------------------------------------------------


class InvitationForm(AdminForm):
    email = StringField(validators=[InputRequired(), Length(max=320)])
    role = SelectField(choices=enum_choices(Role))
    member_state = SelectField(_l("Member state"), description=_l("Required for a focal point"))


def invitation_status(view: Any, context: Any, model: Any, name: str) -> str:
    if model.revoked_at:
        return _("revoked")
    if model.used_at:
        return _("used by %(person)s", person=model.used_by) if model.used_by else _("used")
    if model.expires_at and model.expires_at <= datetime.now(UTC):
        return _("expired")
    return _("open")


class InvitationView(RecordView):
    """Invite a person's email to a role; the first verified sign-in with it binds the account."""

    form = InvitationForm
    field_aliases = {"member_state_code": "member_state"}  # RuleError fields -> form
    can_edit = False
    column_list = ["email", "role", "member_state_code", "status", "invited_by", "created_at"]
    column_labels = {"member_state_code": _l("State")}
    column_formatters = {"status": invitation_status}
    column_searchable_list = ["email"]
    column_filters = [
        FilterEqual(Invitation.role, _l("Role"), options=enum_options(Role)),
        FilterEqual(
            Invitation.member_state_code,
            _l("Member state"),
            options=per_request(every_state),
        ),
    ]
    column_default_sort = ("created_at", True)

    def create_form(self, obj: Any = None) -> Any:
        form = super().create_form(obj)
        form.member_state.choices = select([("", "(none)"), *state_choices(None)])
        return form

    def create_record(self, form: Any) -> Any:
        try:
            email = validate_email(form.email.data, check_deliverability=False).normalized
        except EmailNotValidError as error:
            raise ma.ValidationError({"email": [str(error)]}) from None
        role, state = role_and_state(form)
        return invite(email, role, state, signed_in_user())  # type: ignore[arg-type]

    @action("revoke", _l("Revoke"), _l("Revoke the selected invitations?"))
    def action_revoke(self, ids: list) -> None:
        self.run_action(ids, revoke_invitation, _("Revoked"))


# -- API clients --------------------------------------------------------------------------


class ApiClientForm(AdminForm):
    name = StringField(
        validators=[InputRequired(), Length(max=200)], description=_l("The partner system")
    )
    scope = CheckboxesField(
        _l("Scopes"), choices=select((s.value, s.value) for s in sorted(ALL_SCOPES))
    )
    member_state = SelectField(
        _l("Member state"),
        description=_l("Bind the client to one state (required for directory:write)"),
    )


class ApiClientView(RecordView):
    """Partner systems' credentials: the secret is shown once at creation; only a hash is kept."""

    form = ApiClientForm
    field_aliases = {"member_state_code": "member_state"}  # RuleError fields -> form
    can_edit = False
    column_list = ["name", "client_id", "scope", "member_state_code", "created_at", "revoked_at"]
    column_labels = {"member_state_code": _l("State"), "revoked_at": _l("Revoked")}
    column_searchable_list = ["name", "client_id"]
    column_filters = [
        FilterEqual(
            ApiClient.member_state_code,
            _l("Member state"),
            options=per_request(every_state),
        )
    ]
    column_details_exclude_list = ["client_secret_hash"]
    column_export_exclude_list = ["client_secret_hash"]
    column_default_sort = ("created_at", True)

    def create_form(self, obj: Any = None) -> Any:
        form = super().create_form(obj)
        form.member_state.choices = select([("", "(none)"), *state_choices(None)])
        return form

    def create_record(self, form: Any) -> tuple:
        return register_client(
            form.name.data,
            " ".join(form.scope.data or []),
            form.member_state.data or None,
            created_by=signed_in_user(),
        )

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self) -> tuple | Response:
        """Like flask-admin's, but answers the creation with the one page that shows the secret."""
        if request.method != "POST" or not self.can_create:
            return super().create_view()
        form = self.create_form()
        return_url = get_redirect_target() or self.get_url(".index_view")
        if self.validate_form(form):
            created = self.create_model(form)
            if created:
                client, secret = created
                page = self.render(
                    "oas_admin/client_secret.html",
                    client=client,
                    secret=secret,
                    return_url=return_url,
                )
                # The secret must stay in no cache and no page the browser can show again.
                return page, 200, {"Cache-Control": "no-store", "Pragma": "no-cache"}
        form_opts = FormOpts(widget_args=self.form_widget_args, form_rules=self._form_create_rules)
        return self.render(
            self.create_template, form=form, form_opts=form_opts, return_url=return_url
        )

    @action("revoke", _l("Revoke"), _l("Revoke the selected clients and all their tokens?"))
    def action_revoke(self, ids: list) -> None:
        self.run_action(ids, revoke_client, _("Revoked"))
