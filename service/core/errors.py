"""Errors as RFC 9457 problem documents on the API; ordinary pages everywhere else.

`RuleError` is the one error every service raises when a change breaks a rule; it is turned
into a problem document here (`rule_broken`) and into form errors in the admin
(`admin.views.base.rule_messages`), both by its field, never by its text.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, g, jsonify, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from marshmallow import Schema, fields
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.http import HTTP_STATUS_CODES

from service.core.availability import (
    RETRY_AFTER_SECONDS,
    is_database_unavailable,
    oauth_unavailable,
)
from service.core.db import db
from service.core.i18n import error_page, http_description, http_title

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
API_PREFIX = "/api/"

# The stable machine code of each problem: the same whatever language `title` and `detail` are in.
PROBLEM_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    412: "precondition_failed",
    413: "content_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    428: "precondition_required",
    429: "too_many_requests",
    500: "internal_error",
    503: "service_unavailable",
}


def problem_code(status: int) -> str:
    return PROBLEM_CODES.get(status, "error")


# Machine codes of broken rules whose cause is the record's current state (409), not the input
# (422): a duplicate, an archived or frozen record, a record still in use, any other conflict.
CONFLICT_CODES = frozenset({"conflict", "duplicate", "archived", "frozen", "in_use"})


class RuleError(Exception):
    """A change that breaks a rule of the service.

    `field`: the input field at fault (dotted path), or None when the record's state is;
    `code`: what kind of rule, for programs ("invalid", "unknown", "duplicate", "archived", ...);
    `message`: what a person reads.
    """

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code

    @property
    def status(self) -> int:
        return 409 if self.code in CONFLICT_CODES else 422

    def __repr__(self) -> str:
        return f"RuleError({self.message!r}, field={self.field!r}, code={self.code!r})"


class FieldErrorSchema(Schema):
    field = fields.String(required=True, metadata={"description": "Dotted path of the field"})
    location = fields.String(required=True, metadata={"description": "json, query, headers, path"})
    message = fields.String(required=True)


class ProblemSchema(Schema):
    """RFC 9457 problem details, with the fields that failed validation."""

    type = fields.String(dump_default="about:blank")
    code = fields.String(
        required=True,
        metadata={
            "description": "Stable machine code (e.g. validation_failed, precondition_failed); "
            "unlike title and detail it does not follow Accept-Language",
            "enum": sorted(set(PROBLEM_CODES.values())),
        },
    )
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    instance = fields.String()
    request_id = fields.String()
    errors = fields.List(fields.Nested(FieldErrorSchema))


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX)


def _flatten(messages: Any, location: str, prefix: str = "") -> Iterator:
    """webargs/marshmallow messages -> [{field, location, message}, ...]."""
    if isinstance(messages, dict):
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            yield from _flatten(value, location, path)
    elif (
        isinstance(messages, list | tuple)
        and messages
        and not all(isinstance(m, str) for m in messages)
    ):
        for item in messages:
            yield from _flatten(item, location, prefix)
    else:
        for message in messages if isinstance(messages, list | tuple) else [messages]:
            yield {"field": prefix or "_schema", "location": location, "message": str(message)}


def problem(
    status: int,
    title: str | None = None,
    detail: str | None = None,
    errors: Any = None,
    headers: Any = None,
    code: str | None = None,
) -> Response:
    """A problem document; `title` is the status's, in the request's language."""
    body = {
        "type": "about:blank",
        "code": code or problem_code(status),
        "title": http_title(status, title),
        "status": status,
        "instance": request.path,
    }
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    request_id = getattr(g, "request_id", None)
    if request_id:
        body["request_id"] = request_id
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_JSON
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def http_error_response(error: HTTPException) -> ResponseReturnValue:
    """flask-smorest's handler, limited to the API: other pages keep Flask's own error page."""
    if not is_api_request():
        if error.code is not None and error.code >= 400:
            return error_page(error)
        return error.get_response()
    data = getattr(error, "data", None) or {}
    errors = None
    messages = data.get("messages")
    if messages:
        errors = [
            item
            for location, location_messages in messages.items()
            for item in _flatten(location_messages, location)
        ]
    detail = data.get("message") or http_description(error)
    if errors:
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    headers = {
        name: value
        for name, value in error.get_headers()
        if name.lower() not in {"content-type", "content-length"}
    }
    headers.update(data.get("headers") or {})
    return problem(error.code or 500, None, str(detail), errors, headers)


def rule_broken(error: RuleError) -> Response | tuple[str, int]:
    """A broken rule: 422 or 409, naming the field when there is one."""
    db.session.rollback()
    if not is_api_request():
        return error.message, error.status
    errors = None
    detail = error.message
    if error.field:
        errors = [{"field": error.field, "location": "json", "message": error.message}]
        detail = f"{error.field}: {error.message}"
    return problem(error.status, HTTP_STATUS_CODES[error.status], detail, errors)


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(RuleError, rule_broken)

    @app.errorhandler(IntegrityError)
    def integrity_error(error: IntegrityError) -> ResponseReturnValue:
        db.session.rollback()
        log.info("integrity error: %s", error.orig)
        if not is_api_request():
            return _("Conflict: the change clashes with an existing record."), 409
        return problem(
            409,
            None,
            _("The change clashes with an existing record (a duplicate or a missing reference)."),
        )

    @app.errorhandler(StaleDataError)
    def stale_data(error: StaleDataError) -> ResponseReturnValue:
        db.session.rollback()
        if not is_api_request():
            return _("The record was changed by someone else; reload it."), 412
        return problem(412, None, _("The resource was changed by someone else."))

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> ResponseReturnValue:
        if isinstance(error, HTTPException):
            return http_error_response(error)
        if is_database_unavailable(error):
            return database_unavailable_response(error)
        db.session.rollback()
        log.exception("unhandled error")
        if not is_api_request():
            return InternalServerError().get_response()
        return problem(500, None, _("An unexpected error occurred."))


def database_unavailable_response(error: BaseException) -> ResponseReturnValue:
    """503 with Retry-After, in the format the caller speaks; one log line, no traceback."""
    reason = str(getattr(error, "orig", None) or error).strip().splitlines()
    log.warning(
        "database unavailable: %s %s: %s: %s",
        request.method,
        request.path,
        type(getattr(error, "orig", None) or error).__name__,
        reason[0] if reason else "",
    )
    with contextlib.suppress(sa.exc.SQLAlchemyError):  # gone already: the pool replaces it
        db.session.rollback()
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    detail = _("The database is unavailable or too slow right now; try again shortly.")
    if is_api_request():
        return problem(503, "Service Unavailable", detail, headers=headers)
    if request.blueprint == "oauth":
        return oauth_unavailable(detail, headers)
    return (
        "<!doctype html><title>Service unavailable</title><h1>Service unavailable</h1>"
        f"<p>{detail}</p>",
        503,
        {**headers, "Content-Type": "text/html; charset=utf-8"},
    )
