"""The REST API object (flask-smorest), its problem+json errors and shared query arguments."""

from __future__ import annotations

import functools
import http
import inspect
import re
from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from apispec import BasePlugin
from flask import Blueprint as FlaskBlueprint
from flask import request, send_from_directory
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_smorest import Api as SmorestApi
from flask_smorest import Blueprint as SmorestBlueprint
from flask_smorest.exceptions import PreconditionFailed, PreconditionRequired
from flask_smorest.utils import prepare_response
from swagger_ui_bundle import swagger_ui_path
from webargs.flaskparser import abort
from werkzeug.wrappers.response import Response

from service.core.db import db
from service.core.errors import PROBLEM_JSON, ProblemSchema, http_error_response
from service.core.fields import CleanString
from service.core.headers import IF_MATCH_PATTERN
from service.core.reads import read_rows, session_rows
from service.core.request_limits import BoundedJSONParser
from service.core.response_cache import keyed_etag

API_PREFIX = "/api/v1"
MAX_PAGE_SIZE = 100


API_INFO = {
    "description": "The Directory of National Authorities (who to contact, in every OAS member "
    "state, against trafficking in persons) and the Work Plan of the OAS General Secretariat. "
    "Partner systems use OAuth 2 client credentials; errors are RFC 9457 problem documents; "
    "lists are paginated (X-Pagination) and support incremental sync with `updated_since`; "
    "writes need the ETag read in `If-Match`.",
    "contact": {
        "name": "OAS Department of Public Security",
        "url": "https://www.oas.org/ext/en/security/",
    },
    "license": {"name": "Proprietary", "url": "https://www.oas.org/en/terms_conditions.asp"},
}
# Relative: the API is described where it is served (make run: http://127.0.0.1:5000).
API_SERVERS = [
    {"url": "/", "description": "This service (the host the description is served from)"}
]


def singular(name: str) -> str:
    if name.endswith("ies"):
        return name[:-3] + "y"
    return name.removesuffix("s")


def operation_id(path: str, method: str) -> str:
    """A stable, readable operationId from the path and the method (it becomes a method name in
    generated clients): list_contacts, create_contact, get_contact, update_contact,
    delete_contact, restore_contact, get_work_plan_coverage, list_activity_progress_notes..."""
    segments = [s.replace("-", "_") for s in path.removeprefix(API_PREFIX).split("/") if s]
    parameter = re.compile(r"^\{.*\}$")
    resource, rest = segments[0], segments[1:]
    has_id = bool(rest) and bool(parameter.match(rest[0]))
    sub = rest[1:] if has_id else rest
    item = singular(resource)
    if not sub and not has_id:
        return {"get": f"list_{resource}", "post": f"create_{item}"}.get(
            method, f"{method}_{resource}"
        )
    if not sub:
        return {"get": f"get_{item}", "patch": f"update_{item}", "put": f"replace_{item}"}.get(
            method, f"{method}_{item}"
        )
    name = "_".join(sub)
    owner = item if has_id else resource
    if name.endswith("s") and not name.endswith("ss"):  # a collection: progress notes, versions
        return {"get": f"list_{owner}_{name}", "post": f"create_{owner}_{singular(name)}"}.get(
            method, f"{method}_{owner}_{name}"
        )
    if method == "post":  # an action: restore, verify, submit, reopen, approve
        return f"{name}_{owner}"
    return f"{method}_{owner}_{name}"


class OperationIds(BasePlugin):
    """Every API operation gets its operationId and, when it names a resource, its 404."""

    def operation_helper(
        self, path: str | None = None, operations: dict | None = None, **kwargs: Any
    ) -> None:
        if not path or not path.startswith(API_PREFIX) or operations is None:
            return
        for method, operation in operations.items():
            operation.setdefault("operationId", operation_id(path, method))
            if "{" in path:
                operation.setdefault("responses", {}).setdefault("404", "NOT_FOUND")


class SchemaDocs(BasePlugin):
    """A schema's own docstring becomes its description and `Meta.example` its example.
    (apispec's `Meta.description` would drop `additionalProperties: false`.)"""

    def schema_helper(self, name: str, definition: dict, **kwargs: Any) -> dict:
        schema = kwargs.get("schema")
        cls = schema if isinstance(schema, type) else type(schema)
        extra: dict[str, Any] = {}
        doc = cls.__dict__.get("__doc__")
        if doc:
            extra["description"] = inspect.cleandoc(doc)
        example = getattr(getattr(cls, "Meta", None), "example", None)
        if example is not None:
            extra["example"] = example
        return extra


class ArgumentsParser(BoundedJSONParser):
    """The API's webargs parser, for a view's arguments and its pagination alike: bounded JSON
    bodies (BoundedJSONParser), and one instance of each schema class it is handed:
    flask-smorest hands webargs classes, and webargs would make an instance of one for every
    request."""

    def _get_schema(self, argmap: Any, req: Any) -> ma.Schema:
        if isinstance(argmap, type) and issubclass(argmap, ma.Schema):
            return _schema_instance(argmap)
        return super()._get_schema(argmap, req)


@functools.cache
def _schema_instance(schema_class: type[ma.Schema]) -> ma.Schema:
    return schema_class()


class Blueprint(SmorestBlueprint):
    """flask-smorest's Blueprint reading JSON bodies with bounded depth and sizes, with keyed
    ETags: a hash keyed with a secret derived from SECRET_KEY, so an ETag reveals nothing (a
    row's version included) and cannot be forged.

    Every API blueprint must be one of these (the parser is bound when views are decorated).
    """

    ARGUMENTS_PARSER = PAGINATION_ARGUMENTS_PARSER = ArgumentsParser()

    @staticmethod
    def _make_pagination_metadata(page: int, page_size: int, item_count: int) -> dict:
        # flask-smorest's X-Pagination object (its keys, in its order), without the schema
        # it made for every request to dump these integers as they are
        metadata: dict[str, int] = {"total": item_count}
        if item_count == 0:
            metadata["total_pages"] = 0
            return metadata
        last_page = (item_count - 1) // page_size + 1
        metadata.update(total_pages=last_page, first_page=1, last_page=last_page)
        if page <= last_page:
            metadata["page"] = page
            if page > 1:
                metadata["previous_page"] = page - 1
            if page < last_page:
                metadata["next_page"] = page + 1
        return metadata

    @staticmethod
    def _generate_etag(etag_data: Any, extra_data: Any = None) -> str:
        if extra_data:
            etag_data = (etag_data, extra_data)
        return keyed_etag(etag_data)


class Api(SmorestApi):
    ERROR_SCHEMA = ProblemSchema

    def _init_spec(self, **kwargs: Any) -> None:
        kwargs.setdefault("extra_plugins", []).extend([OperationIds(), SchemaDocs()])
        kwargs.setdefault("info", API_INFO)
        kwargs.setdefault("servers", API_SERVERS)
        super()._init_spec(**kwargs)

    def handle_http_exception(self, error: Any) -> ResponseReturnValue:
        return http_error_response(error)

    def _register_responses(self) -> None:
        # flask-smorest's, with error responses declared as RFC 9457 problem documents
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)

    def _register_etag_headers(self) -> None:
        super()._register_etag_headers()
        # If-Match carries the ETag the client read; "*" is refused (it would match anything).
        self.spec.components.parameter(
            "IF_MATCH",
            "header",
            {
                "name": "If-Match",
                "in": "header",
                "required": True,
                "description": "The ETag of the version you read (428 without it, 412 when "
                "stale; '*' is not accepted).",
                "schema": {"type": "string", "pattern": IF_MATCH_PATTERN},
            },
            lazy=True,
        )

    def _register_pagination_header(self) -> None:
        # The header's value is JSON text: declared as a string, with its keys described.
        self.spec.components.header(
            "PAGINATION",
            {
                "description": "Pagination metadata as a JSON object: total, total_pages, "
                "first_page, last_page, page, previous_page, next_page.",
                "schema": {"type": "string"},
            },
            lazy=True,
        )


docs_assets = FlaskBlueprint("docs_assets", __name__)


@docs_assets.get("/docs/assets/<path:filename>")
def swagger_ui_asset(filename: str) -> Response:
    return send_from_directory(swagger_ui_path, filename)


class TextSearchArgs(ma.Schema):
    q = CleanString(
        validate=ma.validate.Length(min=1, max=200),
        metadata={"description": "Case- and accent-insensitive text search"},
    )


# What get_or_404 says it did not find (the `what` its callers pass), for the catalogs.
NOT_FOUND_NOUNS = (
    _l("activity"),
    _l("authority"),
    _l("body"),
    _l("document"),
    _l("member state"),
    _l("recommendation"),
    _l("work plan"),
)


def get_or_404(model: Any, ident: Any, what: str, options: Any = (), key: str = "id") -> Any:
    """The row with this primary key, or a 404 problem naming what was not found."""
    entity = db.session.get(model, ident, options=options)
    if entity is None:
        abort(
            404,
            message=_("No %(what)s with %(key)s %(ident)r.", what=_(what), key=key, ident=ident),
        )
    return entity


def paginated(blp: Any, page_size: int = 20) -> Any:
    """Page-based pagination (`page`, `page_size` up to 100), totals in the X-Pagination header.

    The view gets `pagination_parameters` and returns `page_of(select, pagination_parameters)`.
    """
    return blp.paginate(page_size=page_size, max_page_size=MAX_PAGE_SIZE)


def page_of(
    statement: sa.Select,
    pagination_parameters: Any,
    total: int | None = None,
    count_with_page: bool = False,
) -> list:
    """One page of a SELECT's entities; sets the total the X-Pagination header reports.

    The page and its total come in one statement: the total as a scalar subquery (a narrow
    count PostgreSQL and SQLite run once), the page's wide rows top-N sorted; pass `total` when
    it is already known to skip the count. `count_with_page` counts with a window instead
    (`count(*) OVER ()`): cheaper when the filter leaves few rows (a text search reads its
    matches once, not twice), dearer on a whole list (every wide row is kept for the window).
    `statement` selects one entity, not DISTINCT.
    """
    return [row[0] for row in page_rows(statement, pagination_parameters, total, count_with_page)]


def page_rows(
    statement: sa.Select,
    pagination_parameters: Any,
    total: int | None = None,
    count_with_page: bool = False,
    counted: sa.Select | None = None,
    columns_only: bool = False,
) -> list[Any]:
    """`page_of` for a SELECT of several columns: the page's rows, whole. `counted`: a
    cheaper SELECT of as many rows as `statement`, to count instead of it. `columns_only`: the
    statement selects plain columns, no entity, and is read outside any transaction (one
    round trip on PostgreSQL: reads.read_rows)."""
    read = read_rows if columns_only else session_rows
    first, size = pagination_parameters.first_item, pagination_parameters.page_size
    bounds = {"page_offset": first, "page_limit": size}
    counted = statement if counted is None else counted
    if total is None and first <= FAR_OFFSET:
        rows = read(_paged(statement, counted, count_with_page), bounds)
        if rows:
            pagination_parameters.item_count = rows[0][-1]
            return rows  # (their last column, the total, is left to be ignored)
        pagination_parameters.item_count = 0 if first == 0 else count_of(counted)
        return []
    if total is None:
        total = count_of(counted)
    pagination_parameters.item_count = total
    if first >= total:
        return []  # past the last page: nothing to fetch (and no huge OFFSET to send)
    return read(_paged(statement), bounds)


@functools.lru_cache(maxsize=64)
def _paged(
    statement: sa.Select, counted: sa.Select | None = None, count_with_page: bool = False
) -> sa.Select:
    """`statement` with the page's bounds as parameters and, given `counted`, the total as
    its last column. Kept for the last statement objects seen (by identity): a statement its
    builder keeps (queries.contacts_page_statements) is then executed as the very object
    SQLAlchemy compiled and cached, with nothing built again and no result columns adapted;
    a statement built for one request only passes through."""
    with_total = statement
    if counted is not None:
        total = sa.func.count().over() if count_with_page else count_statement(counted)
        with_total = statement.add_columns(total.label("page_of_total"))
    return with_total.offset(sa.bindparam("page_offset")).limit(sa.bindparam("page_limit"))


FAR_OFFSET = 100_000  # a page this far is most likely past the end: count first


def count_of(statement: sa.Select) -> int:
    """How many rows a SELECT gives (its ORDER BY dropped)."""
    return db.session.execute(_counting(statement)).scalar_one()


def count_statement(statement: sa.Select) -> sa.ScalarSelect:
    """`count_of` as a scalar subquery, to read the total with the page."""
    return _counting(statement).scalar_subquery()


def _counting(statement: sa.Select) -> sa.Select:
    return sa.select(sa.func.count()).select_from(statement.order_by(None).subquery())


def etag_data(entity: Any) -> dict:
    """What a resource's ETag is computed from: its identity and row version (no serialising).

    Use with flask-smorest: `@blp.etag` on the view, then `blp.set_etag(etag_data(entity))` in
    GET and `blp.check_etag(etag_data(entity))` before changing it (428 without If-Match,
    412 when stale). The row version is bumped by the ORM on every UPDATE.
    """
    mapper = sa.inspect(entity).mapper
    identity = mapper.primary_key_from_instance(entity)
    return {"type": mapper.class_.__tablename__, "id": identity, "version": entity.version}


# POST actions that change a resource (restore, verify, submit, ...) need If-Match like PATCH;
# flask-smorest guards only PUT, PATCH and DELETE, so these views call check_if_match and
# declare it with `@blp.doc(**IF_MATCH_DOC)`.
IF_MATCH_DOC = {
    "parameters": ["IF_MATCH"],
    "responses": {"412": "PRECONDITION_FAILED", "428": "PRECONDITION_REQUIRED"},
}


def check_if_match(data: dict) -> None:
    """428 without If-Match, 412 when it does not match the resource's current ETag."""
    if not request.if_match:
        raise PreconditionRequired
    if Blueprint._generate_etag(data) not in request.if_match:
        raise PreconditionFailed
