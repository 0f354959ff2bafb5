"""The directory's reference lists: the 35 member states (names from pycountry) and the
competences an authority or contact may have."""

from __future__ import annotations

import gettext

import click
import pycountry

from service.core.i18n import DEFAULT_LANGUAGE
from service.directory.models import Competence, MemberState
from service.seeding.loader import Loader

OAS_LANGUAGES = ("es", "fr", "pt")


def load_competences(loader: Loader) -> None:
    for position, row in enumerate(loader.load("competences.yaml")):
        loader.upsert(
            Competence,
            {"code": row["code"]},
            {"name_en": row["name_en"], "name_es": row["name_es"], "position": position},
        )


def load_member_states(loader: Loader) -> None:
    translations = {
        language: gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language])
        for language in OAS_LANGUAGES
    }
    for row in loader.load("member_states.yaml"):
        country = pycountry.countries.get(alpha_2=row["code"])
        if country is None:
            raise click.ClickException(f"member_states.yaml: unknown code {row['code']}")
        name = getattr(country, "common_name", None) or country.name
        values = {
            "alpha3": country.alpha_3,
            "name_en": name,
            **{f"name_{lang}": tr.gettext(name) for lang, tr in translations.items()},
            "status": row["status"],
            "default_language": row.get("default_language", DEFAULT_LANGUAGE),
            "status_date": row.get("status_date"),
            "status_note": row.get("status_note"),
            "status_source": row.get("status_source"),
        }
        loader.upsert(MemberState, {"code": row["code"]}, values)
