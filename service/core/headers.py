"""The entity-tag syntax If-Match carries; response headers added on every request, cheaply
(werkzeug's `response.vary` parses and rewrites the header set at each change, and
`setdefault` scans the headers once per name)."""

from __future__ import annotations

from collections.abc import Iterable

from werkzeug.sansio.response import Response

# One or more entity tags (RFC 9110), as If-Match carries them: optionally weak, quoted.
_ENTITY_TAG = r'\s*(W/)?"[!#-~]*"\s*'
IF_MATCH_PATTERN = rf"^{_ENTITY_TAG}(,{_ENTITY_TAG})*$"


def add_vary(response: Response, name: str) -> None:
    """Adds `name` to the response's Vary header, once (compared case-insensitively)."""
    current = response.headers.get("Vary")
    if not current:
        response.headers["Vary"] = name
    elif name.lower() not in {part.strip().lower() for part in current.split(",")}:
        response.headers["Vary"] = f"{current}, {name}"


def add_missing(response: Response, headers: Iterable[tuple[str, str]]) -> None:
    """Adds each (name, value) the response does not carry already (a view's own wins)."""
    present = {name.lower() for name, _ in response.headers}
    for name, value in headers:
        if name.lower() not in present:
            response.headers.add(name, value)
