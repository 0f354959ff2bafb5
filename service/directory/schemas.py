"""Directory schemas: what the API shows (output) and what it accepts (input, strictly checked)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC
from typing import Any
from zoneinfo import available_timezones

import marshmallow as ma
import phonenumbers
import pycountry
import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import g, has_request_context
from flask_babel import gettext as _
from webargs.fields import DelimitedList

from service.core.api import TextSearchArgs
from service.core.db import db
from service.core.fields import BoundedList, CleanString, top_level_partial
from service.core.i18n import TranslatedMessage, current_language
from service.directory.models import (
    AuthorityKind,
    ChannelType,
    Competence,
    ContactKind,
    ContactRole,
    EntryStatus,
    MemberState,
    MemberStateStatus,
    VerifiedVia,
    Visibility,
)

PHONE_TYPES = frozenset({ChannelType.PHONE, ChannelType.MOBILE, ChannelType.FAX})
EMAIL_TYPES = frozenset({ChannelType.EMAIL, ChannelType.SECURE_MAIL})
TIME_ZONES = frozenset(available_timezones())
_url = ma.validate.URL(schemes={"http", "https"}, require_tld=False)


def _code_filter(pattern: str, description: str, max_length: int) -> CleanString:
    """A code in a query: checked for shape only (an unknown code simply matches nothing)."""
    shape = re.compile(pattern)

    def validate(value: str) -> None:
        if not shape.fullmatch(value):  # fullmatch: a trailing newline must not slip through
            raise ma.ValidationError(_("Must look like %(pattern)s.", pattern=pattern))

    return CleanString(
        validate=[ma.validate.Length(max=max_length), validate],
        metadata={"pattern": f"^{pattern}$", "description": description},
    )


def member_state_filter() -> DelimitedList:
    return DelimitedList(
        _code_filter("[A-Za-z]{2}", "ISO 3166-1 alpha-2", 2),
        validate=ma.validate.Length(min=1, max=50),
        metadata={"description": "One or several ISO 3166-1 alpha-2 codes, comma-separated"},
    )


# -- member states ---------------------------------------------------------------------------


class MemberStateNamesSchema(ma.Schema):
    en = ma.fields.String(attribute="name_en")
    es = ma.fields.String(attribute="name_es")
    fr = ma.fields.String(attribute="name_fr")
    pt = ma.fields.String(attribute="name_pt")


_MEMBER_STATE_NAMES = MemberStateNamesSchema()


class MemberStateSchema(ma.Schema):
    """An OAS member state, with its names in the four official languages of the OAS"""

    class Meta:
        example = {
            "code": "AR",
            "alpha3": "ARG",
            "names": {"en": "Argentina", "es": "Argentina", "fr": "Argentine", "pt": "Argentina"},
            "status": "active",
            "status_date": None,
            "status_note": None,
            "default_language": "es",
            "updated_at": "2026-11-30T03:47:49.411000+00:00",
        }

    code = ma.fields.String(metadata={"description": "ISO 3166-1 alpha-2"})
    alpha3 = ma.fields.String(metadata={"description": "ISO 3166-1 alpha-3"})
    names = ma.fields.Function(
        lambda state: _MEMBER_STATE_NAMES.dump(state),  # one schema for every row
        metadata={"description": "Names in the four official languages of the OAS"},
    )
    status = ma.fields.Enum(MemberStateStatus, by_value=True)
    status_date = ma.fields.Date(allow_none=True)
    status_note = ma.fields.String(allow_none=True)
    default_language = ma.fields.String(
        dump_only=True,
        metadata={
            "description": "The language (en, es, fr, pt) of the state's invitations and emails "
            "when a person has chosen none"
        },
    )
    updated_at = ma.fields.AwareDateTime()


class MemberStateQueryArgs(ma.Schema):
    status = ma.fields.Enum(MemberStateStatus, by_value=True)


class CriterionSchema(ma.Schema):
    met = ma.fields.Boolean()
    entries = ma.fields.List(
        ma.fields.Integer(),
        metadata={
            "description": "Ids of the entries that meet it (authorities for "
            "coordinating_authority, contact points otherwise)"
        },
    )


class FocalPointCriterionSchema(CriterionSchema):
    alternate_share = ma.fields.Float(
        allow_none=True,
        metadata={
            "description": "Share of authorities with a focal point that also have an "
            "alternate (0 to 1)"
        },
    )


class FreshnessCriterionSchema(CriterionSchema):
    share = ma.fields.Float(
        allow_none=True,
        metadata={"description": "Share of active entries re-confirmed within the window"},
    )
    confirmed_authorities = ma.fields.List(ma.fields.Integer())
    due_authorities = ma.fields.List(ma.fields.Integer())
    due_contacts = ma.fields.List(ma.fields.Integer())


class CriteriaSchema(ma.Schema):
    coordinating_authority = ma.fields.Nested(
        CriterionSchema, metadata={"description": "A national coordinating authority"}
    )
    focal_point = ma.fields.Nested(
        FocalPointCriterionSchema, metadata={"description": "A focal point"}
    )
    victim_assistance = ma.fields.Nested(
        CriterionSchema,
        metadata={"description": "A contact competent in protection and assistance of victims"},
    )
    investigative_24_7 = ma.fields.Nested(
        CriterionSchema,
        metadata={
            "description": "A 24/7 operational contact at an authority competent for "
            "investigation or prosecution (public hotlines never count)"
        },
    )
    freshness = ma.fields.Nested(
        FreshnessCriterionSchema,
        metadata={"description": "Every active entry re-confirmed within FRESHNESS_MONTHS"},
    )


class CompletenessSchema(ma.Schema):
    member_state = ma.fields.String(metadata={"description": "ISO 3166-1 alpha-2"})
    name = ma.fields.String(metadata={"description": "Name in English"})
    names = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.String(),
        metadata={"description": "Names in the four OAS languages (en, es, fr, pt)"},
    )
    status = ma.fields.Enum(MemberStateStatus, by_value=True)
    status_date = ma.fields.Date(allow_none=True)
    status_note = ma.fields.String(allow_none=True)
    status_source = ma.fields.String(allow_none=True)
    participating = ma.fields.Boolean(
        metadata={"description": "Active: states that are not are shown apart, never as gaps"}
    )
    criteria = ma.fields.Nested(CriteriaSchema)
    complete = ma.fields.Boolean(
        allow_none=True,
        metadata={
            "description": "All five criteria met, among active entries visible to the "
            "network; null for a state that does not participate"
        },
    )
    gaps = ma.fields.List(ma.fields.String(), metadata={"description": "Criteria not met"})
    has_coordinating_authority = ma.fields.Boolean(
        metadata={"description": "An active national coordinating authority is listed"}
    )
    has_focal_point = ma.fields.Boolean(metadata={"description": "An active focal point"})
    has_24_7_contact = ma.fields.Boolean(
        metadata={"description": "An active 24/7 operational contact (any authority)"}
    )
    active_contact_points = ma.fields.Integer(
        metadata={"description": "Active contact points visible to the network"}
    )
    verified_last_12_months = ma.fields.Integer(
        metadata={"description": "Of those, re-confirmed within the freshness window"}
    )
    verified_share = ma.fields.Float(
        allow_none=True,
        metadata={"description": "verified_last_12_months / active_contact_points (0 to 1)"},
    )
    active_entries = ma.fields.Integer(
        metadata={"description": "Active authorities and network-visible contact points"}
    )
    due_entries = ma.fields.Integer(metadata={"description": "Of those, due for re-confirmation"})
    last_change = ma.fields.AwareDateTime(
        allow_none=True, metadata={"description": "Latest change to an authority or contact"}
    )


class CompletenessQueryArgs(ma.Schema):
    member_state = member_state_filter()


# -- fields checked against reference data ---------------------------------------------------


def _known_codes(model: Any) -> frozenset[str]:
    """The codes in a reference table, read once per request however many fields ask."""
    if not has_request_context():
        return frozenset(db.session.execute(sa.select(model.code)).scalars())
    cache = g.setdefault("known_codes", {})
    if model not in cache:
        cache[model] = frozenset(db.session.execute(sa.select(model.code)).scalars())
    return cache[model]


class MemberStateCode(CleanString):
    default_error_messages = {"unknown": TranslatedMessage("No member state with code {code!r}.")}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {"description": "ISO 3166-1 alpha-2 code"})
        super().__init__(validate=ma.validate.Length(equal=2), **kwargs)

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> str:
        code = super()._deserialize(value, attr, data, **kwargs).upper()
        if code not in _known_codes(MemberState):
            raise self.make_error("unknown", code=code)
        return code


class CompetenceCode(CleanString):
    default_error_messages = {"unknown": TranslatedMessage("Unknown competence {code!r}.")}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            validate=ma.validate.Length(min=1, max=40),
            metadata={"description": "A competence code (see the competences list)"},
            **kwargs,
        )

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> str:
        code = super()._deserialize(value, attr, data, **kwargs)
        if code not in _known_codes(Competence):
            raise self.make_error("unknown", code=code)
        return code


def validate_language(code: str) -> None:
    if len(code) != 2 or pycountry.languages.get(alpha_2=code) is None:
        raise ma.ValidationError(_("%(code)r is not an ISO 639-1 language code.", code=code))


def validate_time_zone(name: str) -> None:
    if name not in TIME_ZONES:
        raise ma.ValidationError(_("%(name)r is not an IANA time zone name.", name=name))


def _languages_field(**kwargs: Any) -> BoundedList:
    return BoundedList(
        CleanString(validate=[ma.validate.Length(equal=2), validate_language]),
        max_items=20,
        noun="languages",
        metadata={"description": "ISO 639-1 codes, e.g. ['es', 'en']"},
        **kwargs,
    )


def _competences_field(**kwargs: Any) -> BoundedList:
    return BoundedList(CompetenceCode(), max_items=20, noun="competences", **kwargs)


class UpdatedSince(ma.fields.AwareDateTime):
    """An ISO 8601 time with its zone, as UTC (the zone is required: sync must be exact)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            metadata={
                "description": "ISO 8601 with a time zone. Entries changed since then, archived "
                "ones included and marked removed (incremental sync)."
            },
            **kwargs,
        )

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> Any:
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return moment.astimezone(UTC)
        except OverflowError:  # e.g. 0001-01-01T00:00+01:00 lies before year 1 in UTC
            raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE) from None


def _unique(values: list) -> list:
    return list(dict.fromkeys(values))


# -- authorities -----------------------------------------------------------------------------


class CompetenceSchema(ma.Schema):
    code = ma.fields.String()


class SyncFieldsSchema(ma.Schema):
    """What every directory entry shows about its life: versions, verification, removal."""

    last_verified_at = ma.fields.AwareDateTime(allow_none=True)
    last_verified_by = ma.fields.String(allow_none=True)
    verified_via = ma.fields.Enum(
        VerifiedVia,
        by_value=ma.fields.String,
        allow_none=True,
        metadata={"description": "How it was last re-confirmed: admin, api, email_link, seed"},
    )
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()
    archived_at = ma.fields.AwareDateTime(allow_none=True)
    removed = ma.fields.Boolean(
        attribute="is_archived",
        metadata={"description": "Archived: a mirror should drop it (restorable)"},
    )


class AuthoritySchema(SyncFieldsSchema):
    """A national authority of a member state (a ministry, a prosecutor's office, a national
    committee...), with its competences; its contact points are listed at /contacts"""

    class Meta:
        example = {
            "id": 1,
            "member_state": "AR",
            "name": "Demo National Committee against Trafficking (fictitious)",
            "name_local": "Comité Nacional de Demostración contra la Trata (ficticio)",
            "acronym": "DEMO-CNT",
            "kind": "national_committee",
            "is_coordinating": True,
            "competences": ["prevention", "victim_assistance"],
            "address": "Avenida Demostración 100, Buenos Aires, Argentina (fictitious)",
            "website": "https://demo-ar.example.org",
            "languages": ["es"],
            "status": "active",
            "last_verified_at": None,
            "last_verified_by": None,
            "created_at": "2026-11-30T03:47:52.195000+00:00",
            "updated_at": "2026-11-30T03:47:52.195000+00:00",
            "archived_at": None,
            "removed": False,
        }

    id = ma.fields.Integer()
    member_state = ma.fields.String(attribute="member_state_code")
    name = ma.fields.String()
    name_local = ma.fields.String(allow_none=True)
    acronym = ma.fields.String(allow_none=True)
    kind = ma.fields.Enum(AuthorityKind, by_value=True)
    is_coordinating = ma.fields.Boolean(
        metadata={"description": "The state's national coordinating authority"}
    )
    competences = ma.fields.Pluck(CompetenceSchema, "code", many=True)
    address = ma.fields.String(allow_none=True)
    website = ma.fields.String(allow_none=True)
    languages = ma.fields.List(ma.fields.String())
    status = ma.fields.Enum(EntryStatus, by_value=True)


class AuthorityCreateSchema(ma.Schema):
    member_state = MemberStateCode(required=True)
    name = CleanString(required=True, validate=ma.validate.Length(min=1, max=300))
    name_local = CleanString(allow_none=True, validate=ma.validate.Length(max=300))
    acronym = CleanString(allow_none=True, validate=ma.validate.Length(max=40))
    kind = ma.fields.Enum(AuthorityKind, by_value=True, required=True)
    is_coordinating = ma.fields.Boolean()
    competences = _competences_field()
    address = CleanString(allow_none=True, validate=ma.validate.Length(max=2000))
    website = CleanString(allow_none=True, validate=[ma.validate.Length(max=500), _url])
    languages = _languages_field()
    status = ma.fields.Enum(EntryStatus, by_value=True)

    @ma.post_load
    def tidy(self, data: dict, **kwargs: Any) -> dict:
        data = _strip_names(data, ("name", "name_local", "acronym"))
        if "member_state" in data:
            data["member_state_code"] = data.pop("member_state")
        for key in ("competences", "languages"):
            if key in data:
                data[key] = _unique(data[key])
        return data


class AuthorityUpdateSchema(AuthorityCreateSchema):
    """The same fields, all optional: only what is sent changes."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(partial=top_level_partial(AuthorityCreateSchema), **kwargs)


def _strip_names(data: dict, keys: Any) -> dict:
    for key in keys:
        if isinstance(data.get(key), str):
            data[key] = data[key].strip()
            if not data[key]:
                raise ma.ValidationError(_("Must not be blank."), key)
    return data


class AuthorityQueryArgs(TextSearchArgs):
    member_state = member_state_filter()
    competence = _code_filter("[a-z_]{1,40}", "Competence code", 40)
    language = _code_filter("[a-z]{2}", "ISO 639-1 code", 2)
    kind = ma.fields.Enum(AuthorityKind, by_value=True)
    is_coordinating = ma.fields.Boolean()
    due = ma.fields.Boolean(
        metadata={
            "description": "true: only active entries due for re-confirmation (never "
            "re-confirmed, or not within FRESHNESS_MONTHS); false: only the others"
        }
    )
    updated_since = UpdatedSince()
    include_archived = ma.fields.Boolean(load_default=False)
    sort = ma.fields.String(
        load_default="name",
        validate=ma.validate.OneOf(["name", "-name", "updated_at", "-updated_at", "member_state"]),
    )


# -- contact points and channels -------------------------------------------------------------


class ChannelSchema(ma.Schema):
    type = ma.fields.Enum(ChannelType, by_value=True)
    value = ma.fields.String(metadata={"description": "Phones in E.164"})
    label = ma.fields.String(allow_none=True)
    preferred = ma.fields.Boolean()


class ChannelInputSchema(ma.Schema):
    type = ma.fields.Enum(ChannelType, by_value=True, required=True)
    value = CleanString(required=True, validate=ma.validate.Length(min=1, max=500))
    label = CleanString(allow_none=True, validate=ma.validate.Length(max=100))
    preferred = ma.fields.Boolean(load_default=False)
    region = CleanString(
        load_only=True,
        validate=ma.validate.Length(equal=2),
        metadata={
            "description": "For phone numbers without a + prefix: the ISO 3166-1 alpha-2 "
            "region to read them in. Not stored."
        },
    )

    @ma.post_load
    def normalise_value(self, data: dict, **kwargs: Any) -> dict:
        """Phones become E.164, e-mail addresses are checked offline, websites are URLs."""
        kind, value = data["type"], data["value"].strip()
        region = data.pop("region", None)
        if kind in PHONE_TYPES:
            data["value"] = _e164(value, region)
        elif kind in EMAIL_TYPES:
            try:
                data["value"] = validate_email(value, check_deliverability=False).normalized
            except EmailNotValidError as error:
                raise ma.ValidationError(
                    _library_message(error, _("Not a valid email address.")), "value"
                ) from None
        else:
            try:
                _url(value)
            except ma.ValidationError as error:
                raise ma.ValidationError(error.messages, "value") from None
            data["value"] = value
        return data


def _library_message(error: object, translated: str) -> str:
    """A library's own (English) explanation in English; the translated message otherwise."""
    return str(error) if current_language() == "en" else translated


def _e164(value: str, region: str | None) -> str:
    if region is None and not value.startswith("+"):
        raise ma.ValidationError(
            _("Write the number in international form (+ and country code) or give a region."),
            "value",
        )
    try:
        number = phonenumbers.parse(value, region.upper() if region else None)
    except phonenumbers.NumberParseException as error:
        message = _library_message(f"Not a phone number: {error}.", _("Not a phone number."))
        raise ma.ValidationError(message, "value") from None
    if not phonenumbers.is_valid_number(number):
        raise ma.ValidationError(_("Not a valid phone number."), "value")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class AuthorityRefSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    acronym = ma.fields.String(allow_none=True)
    member_state = ma.fields.String(attribute="member_state_code")


class ContactPointSchema(SyncFieldsSchema):
    """A contact point of an authority, with its channels. Only `id`, `removed` and
    `updated_at` are always there: an incremental sync lists a contact point made
    secretariat-only to callers who may not see it as a tombstone with just those and
    `archived_at` (null)."""

    class Meta:
        example = {
            "id": 3,
            "authority": {
                "id": 1,
                "name": "Demo National Committee against Trafficking (fictitious)",
                "acronym": "DEMO-CNT",
                "member_state": "AR",
            },
            "member_state": "AR",
            "kind": "office",
            "name": "Demo 24/7 Victim Hotline (fictitious)",
            "position": "Duty officer",
            "role": "operational_24_7",
            "competences": ["victim_assistance"],
            "languages": ["es", "en", "pt"],
            "hours": "24/7",
            "time_zone": "America/Argentina/Buenos_Aires",
            "available_24_7": True,
            "visibility": "network",
            "status": "active",
            "channels": [
                {
                    "type": "mobile",
                    "value": "+5491155550102",
                    "label": "Duty mobile",
                    "preferred": True,
                },
                {
                    "type": "email",
                    "value": "guardia@demo-ar.example.org",
                    "label": "Duty desk",
                    "preferred": False,
                },
            ],
            "last_verified_at": None,
            "last_verified_by": None,
            "created_at": "2026-11-30T03:47:52.371000+00:00",
            "updated_at": "2026-11-30T03:47:52.404000+00:00",
            "archived_at": None,
            "removed": False,
        }

    id = ma.fields.Integer(required=True)
    removed = ma.fields.Boolean(
        attribute="is_archived",
        required=True,
        metadata={
            "description": "Archived, or no longer visible to the caller: a mirror should drop it"
        },
    )
    updated_at = ma.fields.AwareDateTime(required=True)
    authority = ma.fields.Nested(AuthorityRefSchema)
    member_state = ma.fields.String(attribute="authority.member_state_code")
    kind = ma.fields.Enum(ContactKind, by_value=True)
    name = ma.fields.String()
    position = ma.fields.String(allow_none=True)
    role = ma.fields.Enum(ContactRole, by_value=True)
    competences = ma.fields.Pluck(CompetenceSchema, "code", many=True)
    languages = ma.fields.List(ma.fields.String())
    hours = ma.fields.String(allow_none=True)
    time_zone = ma.fields.String(allow_none=True, metadata={"description": "IANA name"})
    available_24_7 = ma.fields.Boolean()
    visibility = ma.fields.Enum(Visibility, by_value=True)
    status = ma.fields.Enum(EntryStatus, by_value=True)
    channels = ma.fields.List(ma.fields.Nested(ChannelSchema))


class ContactCreateSchema(ma.Schema):
    authority_id = ma.fields.Integer(
        required=True, strict=True, validate=ma.validate.Range(min=1, max=2**31 - 1)
    )
    kind = ma.fields.Enum(ContactKind, by_value=True, required=True)
    name = CleanString(required=True, validate=ma.validate.Length(min=1, max=300))
    position = CleanString(allow_none=True, validate=ma.validate.Length(max=300))
    role = ma.fields.Enum(ContactRole, by_value=True, required=True)
    competences = _competences_field()
    languages = _languages_field()
    hours = CleanString(allow_none=True, validate=ma.validate.Length(max=200))
    time_zone = CleanString(
        allow_none=True, validate=[ma.validate.Length(max=64), validate_time_zone]
    )
    available_24_7 = ma.fields.Boolean()
    visibility = ma.fields.Enum(Visibility, by_value=True)
    status = ma.fields.Enum(EntryStatus, by_value=True)
    channels = BoundedList(
        ma.fields.Nested(ChannelInputSchema),
        required=True,
        min_items=1,
        max_items=20,
        noun="channels",
        metadata={"description": "Replaces every channel of the contact point when sent"},
    )

    @ma.validates_schema(skip_on_field_errors=True)
    def one_preferred_per_type(self, data: dict, **kwargs: Any) -> None:
        types = [c["type"] for c in data.get("channels", []) if c["preferred"]]
        if len(types) != len(set(types)):
            raise ma.ValidationError(_("At most one preferred channel of each type."), "channels")

    @ma.post_load
    def tidy(self, data: dict, **kwargs: Any) -> dict:
        data = _strip_names(data, ("name",))
        for key in ("competences", "languages"):
            if key in data:
                data[key] = _unique(data[key])
        return data


class ContactUpdateSchema(ContactCreateSchema):
    """The same fields, all optional: only what is sent changes; `channels` replaces them all."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(partial=top_level_partial(ContactCreateSchema), **kwargs)


class ContactQueryArgs(TextSearchArgs):
    member_state = member_state_filter()
    authority = ma.fields.Integer(
        validate=ma.validate.Range(min=1, max=2**31 - 1),
        metadata={"description": "Authority id"},
    )
    competence = _code_filter("[a-z_]{1,40}", "Competence code", 40)
    language = _code_filter("[a-z]{2}", "ISO 639-1 code", 2)
    role = DelimitedList(
        ma.fields.Enum(ContactRole, by_value=True),
        validate=ma.validate.Length(min=1, max=10),
        metadata={"description": "One or several roles, comma-separated"},
    )
    available_24_7 = ma.fields.Boolean()
    due = ma.fields.Boolean(
        metadata={
            "description": "true: only active entries due for re-confirmation (never "
            "re-confirmed, or not within FRESHNESS_MONTHS); false: only the others"
        }
    )
    updated_since = UpdatedSince()
    include_archived = ma.fields.Boolean(load_default=False)
    sort = ma.fields.String(
        load_default="member_state",
        validate=ma.validate.OneOf(["name", "-name", "updated_at", "-updated_at", "member_state"]),
    )
