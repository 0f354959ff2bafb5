"""Text folding for search that ignores case and accents the same way on every database."""

import unicodedata


def fold(text: str | None) -> str:
    """'Policía Nacional' -> 'policia nacional': NFKD, drop combining marks, casefold."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


# Spreadsheets may run a cell starting with one of these as a formula, even in a CSV: the lead
# characters OWASP's "CSV Injection" page lists (tab and carriage return included).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str | None) -> str:
    """A text cell a spreadsheet shows as text: a leading quote when it would start a formula."""
    if not value:
        return ""
    return "'" + value if value.startswith(_FORMULA_START) else value
