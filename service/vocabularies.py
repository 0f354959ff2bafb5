"""The labels of every code, in one place: pages, documents and `GET /api/v1/vocabularies`.

Codes (`focal_point`, `prevention`, ...) are the language-neutral values of the API and the
database; these are the words a person reads for them, translated in the catalogs like any
other string (service/translations, following the glossary).
"""

from __future__ import annotations

import enum

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from service.directory.models import (
    AuthorityKind,
    ChannelType,
    ContactKind,
    ContactRole,
    EntryStatus,
    MemberStateStatus,
    Visibility,
)
from service.identity.models import Role
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

# vocabulary name (as the API publishes it) -> (enum, {code: label})
VOCABULARIES: dict[str, tuple[type[enum.Enum], dict[str, object]]] = {
    "roles": (
        Role,
        {"secretariat": _l("secretariat"), "focal_point": _l("focal point")},
    ),
    "member_state_statuses": (
        MemberStateStatus,
        {"active": _l("active"), "suspended": _l("suspended"), "withdrawn": _l("withdrawn")},
    ),
    "authority_kinds": (
        AuthorityKind,
        {
            "ministry": _l("ministry"),
            "prosecution": _l("prosecution service"),
            "police": _l("police"),
            "judiciary": _l("judiciary"),
            "national_committee": _l("national committee"),
            "victim_services": _l("victim services"),
            "migration": _l("migration"),
            "labour": _l("labour"),
            "child_protection": _l("child protection"),
            "other": _l("other"),
        },
    ),
    "entry_statuses": (EntryStatus, {"active": _l("active"), "inactive": _l("inactive")}),
    "contact_kinds": (ContactKind, {"person": _l("person"), "office": _l("office")}),
    "contact_roles": (
        ContactRole,
        {
            "focal_point": _l("focal point"),
            "alternate": _l("alternate"),
            "operational_24_7": _l("24/7 operational contact"),
            "technical": _l("technical contact"),
        },
    ),
    "visibilities": (
        Visibility,
        {"network": _l("the network"), "secretariat": _l("the secretariat only")},
    ),
    "channel_types": (
        ChannelType,
        {
            "email": _l("email"),
            "phone": _l("phone"),
            "mobile": _l("mobile phone"),
            "fax": _l("fax"),
            "secure_mail": _l("secure mail"),
            "website": _l("website"),
        },
    ),
    "document_kinds": (
        DocumentKind,
        {
            "resolution": _l("resolution"),
            "draft_resolution": _l("draft resolution"),
            "meeting_conclusions": _l("conclusions and recommendations of a meeting"),
            "other": _l("other"),
        },
    ),
    "recommendation_sections": (
        RecommendationSection,
        {
            "general": _l("general"),
            "technical_working_group_i": _l("Technical Working Group I"),
            "technical_working_group_ii": _l("Technical Working Group II"),
            "we_also_resolve": _l("we also resolve"),
            "operative_paragraph": _l("operative paragraph"),
        },
    ),
    "body_kinds": (
        BodyKind,
        {
            "organ": _l("organ"),
            "secretariat": _l("secretariat"),
            "specialized_organization": _l("specialized organization"),
            "member_states": _l("member states"),
            "external_partner": _l("external partner"),
        },
    ),
    "body_roles": (BodyRole, {"lead": _l("lead"), "support": _l("support")}),
    "body_bases": (
        BodyBasis,
        {"named": _l("named in the text"), "proposed": _l("proposed by the secretariat")},
    ),
    "work_plan_statuses": (
        WorkPlanStatus,
        {
            "draft": _l("draft"),
            "submitted": _l("submitted"),
            "approved": _l("approved"),
            "superseded": _l("superseded"),
        },
    ),
    "pillars": (
        Pillar,
        {
            "prevention": _l("prevention"),
            "protection_assistance": _l("protection and assistance"),
            "prosecution": _l("prosecution"),
            "cooperation_coordination": _l("cooperation and coordination"),
            "follow_up": _l("follow-up"),
        },
    ),
    "activity_statuses": (
        ActivityStatus,
        {
            "planned": _l("planned"),
            "in_progress": _l("in progress"),
            "completed": _l("completed"),
            "deferred": _l("deferred"),
            "cancelled": _l("cancelled"),
        },
    ),
    "funding_sources": (
        FundingSource,
        {
            "regular_fund": _l("Regular Fund"),
            "specific_fund": _l("specific fund"),
            "voluntary_contributions": _l("voluntary contributions"),
            "to_be_determined": _l("to be determined"),
        },
    ),
}

# The seeded areas of competence (seed/competences.yaml), by code: the competences themselves
# are data (their English and Spanish names are stored); these give every language a label.
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

_BY_ENUM = {enum_cls: labels for enum_cls, labels in VOCABULARIES.values()}


def label(member: enum.Enum | None) -> str:
    """The word for a code in the language of the request (lazy: safe at import time)."""
    if member is None:
        return ""
    labels = _BY_ENUM.get(type(member), {})
    return labels.get(member.value) or str(member.value).replace("_", " ")


def competence_label(code: str, name_en: str) -> str:
    return str(COMPETENCES.get(code) or name_en)


def all_labels(languages, competences) -> dict:
    """{vocabulary: [{code, labels: {lang: text}}]} for `GET /api/v1/vocabularies`."""
    result: dict[str, list[dict]] = {}
    for name, (enum_cls, labels) in VOCABULARIES.items():
        result[name] = [
            {"code": member.value, "labels": _in_each(languages, labels.get(member.value))}
            for member in enum_cls
        ]
    result["competences"] = [
        {
            "code": competence.code,
            "labels": _in_each(languages, COMPETENCES.get(competence.code))
            if competence.code in COMPETENCES
            else {
                lang: competence.name_es if lang == "es" else competence.name_en
                for lang in languages
            },
        }
        for competence in competences
    ]
    return result


def _in_each(languages, text) -> dict[str, str]:
    labels = {}
    for language in languages:
        with force_locale(language):
            labels[language] = str(text)
    return labels
