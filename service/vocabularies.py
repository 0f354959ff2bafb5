"""GET /api/v1/vocabularies: the words for every code, in the four OAS languages.

Codes (`focal_point`, `prevention`, ...) are the language-neutral values of the API and the
database. Their words are declared once, next to each enum (`service.core.labels.vocabulary`,
translated in the catalogs); this publishes them, in every language at once, for partners.
"""

from __future__ import annotations

import enum

import sqlalchemy as sa
from flask.views import MethodView
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields
from webargs.flaskparser import abort

from service.audit.models import AuditAction
from service.core.access import Role, Scope, authenticated
from service.core.api import API_PREFIX, Blueprint
from service.core.db import db
from service.core.i18n import LANGUAGES
from service.core.labels import label
from service.directory.models import (
    AuthorityKind,
    ChannelType,
    Competence,
    ContactKind,
    ContactRole,
    EntryStatus,
    MemberStateStatus,
    VerifiedVia,
    Visibility,
)
from service.workplan.models import (
    ActivityStatus,
    BodyBasis,
    BodyKind,
    BodyRole,
    DocumentKind,
    FundingSource,
    Pillar,
    RecommendationSection,
    WorkPlanStatus,
)

# The name each vocabulary has in the API -> its enum.
VOCABULARIES: dict[str, type[enum.Enum]] = {
    "roles": Role,
    "member_state_statuses": MemberStateStatus,
    "authority_kinds": AuthorityKind,
    "entry_statuses": EntryStatus,
    "contact_kinds": ContactKind,
    "contact_roles": ContactRole,
    "visibilities": Visibility,
    "channel_types": ChannelType,
    "verified_via": VerifiedVia,
    "document_kinds": DocumentKind,
    "recommendation_sections": RecommendationSection,
    "body_kinds": BodyKind,
    "body_roles": BodyRole,
    "body_bases": BodyBasis,
    "work_plan_statuses": WorkPlanStatus,
    "pillars": Pillar,
    "activity_statuses": ActivityStatus,
    "funding_sources": FundingSource,
    "audit_actions": AuditAction,
}

# The seeded areas of competence (seed/competences), by code: the competences themselves are
# data (their English and Spanish names are stored); these give every language a label.
COMPETENCES = {
    "prevention": _l("Prevention"),
    "investigation_prosecution": _l("Investigation and prosecution"),
    "victim_assistance": _l("Victim assistance"),
    "repatriation": _l("Repatriation"),
    "mutual_legal_assistance": _l("Mutual legal assistance"),
    "extradition": _l("Extradition"),
    "data_statistics": _l("Data and statistics"),
    "child_protection": _l("Child protection"),
    "labour_exploitation": _l("Labour exploitation"),
    "border_migration": _l("Border and migration"),
}


def competence_label(code: str, name_en: str) -> str:
    """A competence's name in the request's language (the stored English one if unknown)."""
    return str(COMPETENCES.get(code) or name_en)


def _in_each(languages: list[str], text: object) -> dict[str, str]:
    labels = {}
    for language in languages:
        with force_locale(language):
            labels[language] = str(text)
    return labels


def all_labels(languages: list[str], competences: list[Competence]) -> dict:
    """{vocabulary: [{code, labels: {language: text}}]} for `GET /api/v1/vocabularies`."""
    result: dict[str, list[dict]] = {
        name: [
            {"code": member.value, "labels": _in_each(languages, label(member))}
            for member in enum_cls
        ]
        for name, enum_cls in VOCABULARIES.items()
    }
    result["competences"] = []
    for competence in competences:
        known = COMPETENCES.get(competence.code)
        labels = (
            _in_each(languages, known)
            if known is not None
            else {
                lang: competence.name_es if lang == "es" else competence.name_en
                for lang in languages
            }
        )
        result["competences"].append({"code": competence.code, "labels": labels})
    return result


vocabularies = Blueprint(
    "vocabularies",
    __name__,
    url_prefix=f"{API_PREFIX}/vocabularies",
    description="The labels of every code the API uses (competences, roles, authority and "
    "contact kinds, channel types, pillars, statuses...) in English, Spanish, French and "
    "Portuguese. Codes never change with the language; only these labels do.",
)


class TermSchema(Schema):
    code = fields.String(required=True, metadata={"description": "The code, as the API uses it"})
    labels = fields.Dict(
        keys=fields.String(metadata={"enum": list(LANGUAGES)}),
        values=fields.String(),
        required=True,
        metadata={"description": "Language code (en, es, fr, pt) -> label"},
    )


VocabulariesSchema = Schema.from_dict(
    {
        name: fields.List(fields.Nested(TermSchema), required=True)
        for name in [*VOCABULARIES, "competences"]
    },
    name="Vocabularies",
)


@vocabularies.route("")
class Vocabularies(MethodView):
    @vocabularies.response(200, VocabulariesSchema)
    @vocabularies.doc(
        security=[
            {"oauth2": [Scope.DIRECTORY_READ.value]},
            {"oauth2": [Scope.WORKPLAN_READ.value]},
            {"session": []},
        ],
        responses={"401": "UNAUTHORIZED", "403": "FORBIDDEN"},
    )
    def get(self) -> dict:
        """Every vocabulary: each code with its label in en, es, fr and pt (either read scope)"""
        principal = authenticated()
        if not (principal.has(Scope.DIRECTORY_READ) or principal.has(Scope.WORKPLAN_READ)):
            abort(
                403, message=_("This credential allows neither directory:read nor workplan:read.")
            )
        competences = db.session.scalars(sa.select(Competence).order_by(Competence.position))
        return all_labels(list(LANGUAGES), list(competences))


blueprints = (vocabularies,)
