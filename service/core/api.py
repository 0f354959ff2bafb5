"""The REST API object (flask-smorest), its problem+json errors and shared query arguments."""

from __future__ import annotations

import marshmallow as ma
import sqlalchemy as sa
from flask import Blueprint as FlaskBlueprint
from flask import send_from_directory
from flask_smorest import Api as SmorestApi
from swagger_ui_bundle import swagger_ui_path

from service.core.db import db
from service.core.errors import PROBLEM_JSON, ProblemSchema, http_error_response

API_PREFIX = "/api/v1"
MAX_PAGE_SIZE = 100


class Api(SmorestApi):
    ERROR_SCHEMA = ProblemSchema

    def handle_http_exception(self, error):
        return http_error_response(error)

    def _register_responses(self):
        super()._register_responses()
        # Error responses are RFC 9457 problem documents, and the spec says so.
        for response in self.spec.components.responses.values():
            content = response.get("content")
            if content and "application/json" in content:
                response["content"] = {PROBLEM_JSON: content.pop("application/json")}


docs_assets = FlaskBlueprint("docs_assets", __name__)


@docs_assets.get("/docs/assets/<path:filename>")
def swagger_ui_asset(filename: str):
    return send_from_directory(swagger_ui_path, filename)


class TextSearchArgs(ma.Schema):
    q = ma.fields.String(
        validate=ma.validate.Length(min=1, max=200),
        metadata={"description": "Case- and accent-insensitive text search"},
    )


def paginated(blp, page_size: int = 20):
    """Page-based pagination (`page`, `page_size` up to 100), totals in the X-Pagination header.

    The view gets `pagination_parameters` and returns `page_of(select, pagination_parameters)`.
    """
    return blp.paginate(page_size=page_size, max_page_size=MAX_PAGE_SIZE)


def page_of(statement: sa.Select, pagination_parameters) -> list:
    """One page of a SELECT's rows; sets the total the X-Pagination header reports."""
    total = db.session.execute(
        sa.select(sa.func.count()).select_from(statement.order_by(None).subquery())
    ).scalar_one()
    pagination_parameters.item_count = total
    return list(
        db.session.execute(
            statement.offset(pagination_parameters.first_item).limit(
                pagination_parameters.page_size
            )
        ).scalars()
    )
