"""What a request may carry: body size, JSON shape and content type, checked before any work.

Hostile input must cost a worker neither its memory nor its CPU: a body larger than
MAX_CONTENT_LENGTH is refused (413) from its Content-Length before a byte is read; a JSON body
is parsed with its nesting depth, array and object sizes bounded (400); a write to the API whose
body is not JSON is refused (415) instead of being silently ignored.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, NoReturn

from flask import Flask, Request, request
from flask_babel import gettext as _
from webargs import core
from webargs.flaskparser import FlaskParser, abort, is_json_request
from werkzeug.exceptions import RequestEntityTooLarge, UnsupportedMediaType

from service.core.errors import is_api_request

DEFAULT_MAX_CONTENT_LENGTH = 1024 * 1024  # 1 MB: the largest legitimate write is ~100 kB
MAX_JSON_DEPTH = 16  # the deepest input the API takes (a contact's channels) is 3 levels
MAX_JSON_ITEMS = 1000  # items of one array, members of one object
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# The common attack, "[[[[..." or '{"a":{"a":...', seen before the parser recurses into it.
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_DEEP_OPENING = re.compile(r'(?:[\[{]\s*(?:""\s*:\s*)?){' + str(MAX_JSON_DEPTH + 1) + "}")


class JSONShapeError(ValueError):
    """A JSON body parsed, or would have, but is shaped beyond what the API accepts."""

    def __init__(self, message: str, path: str = "_schema") -> None:
        super().__init__(message)
        self.message = message
        self.path = path


def _reject_constant(name: str) -> NoReturn:
    raise JSONShapeError(_("%(name)s is not a JSON number.", name=name))


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise JSONShapeError(_("The number %(number)s... is too large.", number=text[:20]))
    return value


def loads_bounded(data: bytes | str) -> Any:
    """json.loads, refusing NaN/Infinity, overflowing numbers and over-deep or over-wide data."""
    if isinstance(data, bytes):
        data = data.decode("utf-8")  # UnicodeDecodeError: webargs answers "Invalid JSON body."
    if _DEEP_OPENING.search(_STRING.sub('""', data)):
        raise JSONShapeError(_("Nested more than %(depth)s levels deep.", depth=MAX_JSON_DEPTH))
    try:
        document = json.loads(data, parse_constant=_reject_constant, parse_float=_finite_float)
    except RecursionError:
        raise JSONShapeError(
            _("Nested more than %(depth)s levels deep.", depth=MAX_JSON_DEPTH)
        ) from None
    except json.JSONDecodeError:
        raise
    except ValueError as error:  # e.g. an integer of more than 4300 digits
        if isinstance(error, JSONShapeError):
            raise
        raise JSONShapeError(
            _("Not a number this API accepts: %(reason)s.", reason=error)
        ) from None
    check_shape(document)
    return document


def check_shape(document: Any) -> None:
    """Walks the parsed document without recursion: depth, array and object sizes."""
    pending = [(document, 1, "")]
    while pending:
        value, depth, path = pending.pop()
        if not isinstance(value, dict | list):
            continue
        if depth > MAX_JSON_DEPTH:
            message = _("Nested more than %(depth)s levels deep.", depth=MAX_JSON_DEPTH)
            raise JSONShapeError(message, path or "_schema")
        if len(value) > MAX_JSON_ITEMS:
            count, most = len(value), MAX_JSON_ITEMS
            message = (
                _(
                    "An array of %(count)s items; at most %(most)s are accepted.",
                    count=count,
                    most=most,
                )
                if isinstance(value, list)
                else _(
                    "An object of %(count)s members; at most %(most)s are accepted.",
                    count=count,
                    most=most,
                )
            )
            raise JSONShapeError(message, path or "_schema")
        members = value.items() if isinstance(value, dict) else enumerate(value)
        pending.extend(
            (item, depth + 1, f"{path}.{key}" if path else str(key))
            for key, item in members
            if isinstance(item, dict | list)
        )


class BoundedJSONParser(FlaskParser):
    """webargs' Flask parser with a bounded JSON reader (the API's blueprints use it)."""

    def _raw_load_json(self, req: Request) -> Any:
        data = req.get_data(cache=True)
        if not data:
            # a change needs a body: a bare PATCH must not answer 200; a POST action whose body
            # is optional (a decision's record) reads none, and its schema says what is required
            if req.method in {"PATCH", "PUT"}:
                abort(422, messages={"json": {"_schema": ["A JSON request body is required."]}})
            return core.missing
        if not is_json_request(req):
            return core.missing  # refused with 415 before the view (refuse_unreadable_requests)
        try:
            return loads_bounded(data)
        except JSONShapeError as error:
            abort(400, messages={"json": {error.path: [error.message]}})


def _has_body() -> bool:
    return (
        bool(request.content_length)
        or "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    )


def refuse_unreadable_requests() -> None:
    """First of every request's checks: nothing before it reads the body."""
    limit = request.max_content_length
    if limit is not None and (request.content_length or 0) > limit:
        raise RequestEntityTooLarge(
            _(
                "The request body is larger than %(limit)s bytes, the most this service accepts.",
                limit=limit,
            )
        )
    writes_a_body = is_api_request() and request.method in WRITE_METHODS and _has_body()
    if writes_a_body and not is_json_request(request):
        raise UnsupportedMediaType(_("Send the body as JSON (Content-Type: application/json)."))


def configure_request_limits(app: Flask) -> None:
    app.config.setdefault("MAX_CONTENT_LENGTH", DEFAULT_MAX_CONTENT_LENGTH)
    # Ahead of every other check (CSRF and the rate limiter read the form of a login POST).
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_unreadable_requests)
