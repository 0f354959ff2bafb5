"""An activity's text in the reader's language: the secretariat's translation where entered,
else the English source, marked as such (documents fall back to English visibly)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from service.core.i18n import DEFAULT_LANGUAGE, current_language
from service.workplan.models import Activity

ENGLISH_ORIGINAL = _l("English original")


@dataclass(frozen=True)
class ActivityText:
    """One field of an activity as a document shows it; `fallback` when the English source
    stands in for a missing translation."""

    text: str
    fallback: bool = False

    def __bool__(self) -> bool:
        return bool(self.text)

    def __str__(self) -> str:
        if not self.fallback or not self.text:
            return self.text
        return f"{self.text} ({ENGLISH_ORIGINAL})"

    def __html__(self) -> str:
        if not self.fallback or not self.text:
            return str(Markup.escape(self.text))
        return str(
            Markup(
                '<span lang="en">{}</span> <span class="original-language" '
                'data-testid="english-original">({})</span>'
            ).format(self.text, ENGLISH_ORIGINAL)
        )


def activity_text(activity: Activity, name: str, language: str | None = None) -> ActivityText:
    """`name` (title, description, expected_result) in `language` (default: the request's)."""
    language = language or current_language()
    english = getattr(activity, name) or ""
    if language == DEFAULT_LANGUAGE:
        return ActivityText(english)
    translated = activity.translated(name, language)
    if translated:
        return ActivityText(translated)
    return ActivityText(english, fallback=bool(english))


def document_date(day: date) -> str:
    """A date as the OAS's documents write it in the reader's language: "February 11, 2010",
    "11 de febrero de 2010", "11 février 2010", "11 de fevereiro de 2010"."""
    return str(format_date(day, format="long"))
