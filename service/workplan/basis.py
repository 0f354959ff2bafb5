"""The basis of an activity-body link: is the body named in a text the activity cites?"""

# A `named` link keeps the words that name the body (basis_quote). They must stand in one of the
# activity's cited texts, and contain the body's name or one of its recorded aliases; otherwise
# the link is the secretariat's proposal and says so.

from __future__ import annotations

import re
from collections.abc import Iterable

from service.core.text import fold
from service.workplan.models import Recommendation, ResponsibleBody

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})


def _fold(text: str | None) -> str:
    return fold((text or "").translate(_QUOTES))


def body_names(body: ResponsibleBody) -> list[str]:
    """The name and the aliases of a body, as the source texts may print them."""
    return [body.name, *(body.aliases or [])]


def names_body(text: str, body: ResponsibleBody) -> bool:
    """Whether the text names the body (whole words, ignoring case, accents and line breaks)."""
    folded = _fold(text)
    return any(
        re.search(rf"(?<!\w){re.escape(_fold(name))}(?!\w)", folded) for name in body_names(body)
    )


def quote_problem(
    quote: str | None, body: ResponsibleBody, cited: Iterable[Recommendation]
) -> str | None:
    """Why a `named` basis does not hold, or None when it does."""
    if not quote or not quote.strip():
        return "A named basis needs the words of the cited text that name the body."
    if not names_body(quote, body):
        return (
            f"The quoted words do not contain the name of {body.code} "
            f"({'; '.join(body_names(body))})."
        )
    folded = _fold(quote)
    if not any(folded in _fold(r.text) for r in cited):
        return "The quoted words are not in any recommendation the activity cites."
    return None
