"""Directory schemas: what the API shows of member states (authorities and contacts follow)."""

import marshmallow as ma

from service.directory.models import MemberStateStatus


class MemberStateNamesSchema(ma.Schema):
    en = ma.fields.String(attribute="name_en")
    es = ma.fields.String(attribute="name_es")
    fr = ma.fields.String(attribute="name_fr")
    pt = ma.fields.String(attribute="name_pt")


class MemberStateSchema(ma.Schema):
    code = ma.fields.String(metadata={"description": "ISO 3166-1 alpha-2"})
    alpha3 = ma.fields.String(metadata={"description": "ISO 3166-1 alpha-3"})
    names = ma.fields.Function(
        lambda state: MemberStateNamesSchema().dump(state),
        metadata={"description": "Names in the four official languages of the OAS"},
    )
    status = ma.fields.Enum(MemberStateStatus, by_value=True)
    status_date = ma.fields.Date(allow_none=True)
    status_note = ma.fields.String(allow_none=True)
    updated_at = ma.fields.AwareDateTime()


class MemberStateQueryArgs(ma.Schema):
    status = ma.fields.Enum(MemberStateStatus, by_value=True)
