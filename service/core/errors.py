"""Errors as RFC 9457 problem documents on the API; ordinary pages everywhere else."""

from __future__ import annotations

import logging

from flask import Flask, g, jsonify, request
from flask_babel import gettext as _
from marshmallow import Schema, fields
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError

from service.core.availability import database_unavailable_response, is_database_unavailable
from service.core.db import db
from service.i18n import error_page, http_description, http_title

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


def _flatten(messages, location: str, prefix: str = ""):
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
    errors=None,
    headers=None,
    code: str | None = None,
):
    """A problem document; `title` defaults to the status's, in the request's language."""
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


def http_error_response(error: HTTPException):
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


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(IntegrityError)
    def integrity_error(error: IntegrityError):
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
    def stale_data(error: StaleDataError):
        db.session.rollback()
        if not is_api_request():
            return _("The record was changed by someone else; reload it."), 412
        return problem(412, None, _("The resource was changed by someone else."))

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        if isinstance(error, HTTPException):
            return http_error_response(error)
        if is_database_unavailable(error):
            return database_unavailable_response(error)
        db.session.rollback()
        log.exception("unhandled error")
        if not is_api_request():
            return InternalServerError().get_response()
        return problem(500, None, _("An unexpected error occurred."))
