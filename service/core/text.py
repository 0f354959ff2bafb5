"""Text folding for search that ignores case and accents the same way on every database."""

import unicodedata


def fold(text: str | None) -> str:
    """'Policía Nacional' -> 'policia nacional': NFKD, drop combining marks, casefold."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())
