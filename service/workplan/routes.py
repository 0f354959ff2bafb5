"""Work-plan API: /api/v1/documents, /recommendations and /bodies (plans and activities follow)."""

import sqlalchemy as sa
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from sqlalchemy.orm import aliased, joinedload

from service.core.access import Scope, require
from service.core.api import API_PREFIX, page_of, paginated
from service.core.db import db
from service.core.text import fold
from service.workplan.models import Recommendation, ResponsibleBody, SourceDocument
from service.workplan.schemas import (
    BodyQueryArgs,
    BodySchema,
    DocumentQueryArgs,
    DocumentSchema,
    RecommendationQueryArgs,
    RecommendationSchema,
)

documents = Blueprint(
    "documents",
    __name__,
    url_prefix=f"{API_PREFIX}/documents",
    description="Source documents: resolutions, drafts and meeting conclusions.",
)
recommendations = Blueprint(
    "recommendations",
    __name__,
    url_prefix=f"{API_PREFIX}/recommendations",
    description="Mandates: recommendations and operative paragraphs, texts exactly as adopted.",
)
bodies = Blueprint(
    "bodies",
    __name__,
    url_prefix=f"{API_PREFIX}/bodies",
    description="Bodies responsible for work-plan activities, with their hierarchy.",
)


def get_or_404(model, ident, what: str):
    entity = db.session.get(model, ident)
    if entity is None:
        abort(404, message=f"No {what} with id {ident}.")
    return entity


@documents.route("")
class Documents(MethodView):
    @require(Scope.WORKPLAN_READ)
    @documents.arguments(DocumentQueryArgs, location="query")
    @documents.response(200, DocumentSchema(many=True))
    @paginated(documents)
    def get(self, args, pagination_parameters):
        """List source documents"""
        statement = sa.select(SourceDocument).order_by(SourceDocument.date, SourceDocument.id)
        if "kind" in args:
            statement = statement.where(SourceDocument.kind == args["kind"])
        return page_of(statement, pagination_parameters)


@documents.route("/<int(max=2147483647):document_id>")
class DocumentById(MethodView):
    @require(Scope.WORKPLAN_READ)
    @documents.etag
    @documents.response(200, DocumentSchema)
    def get(self, document_id):
        """One source document"""
        return get_or_404(SourceDocument, document_id, "document")


@recommendations.route("")
class Recommendations(MethodView):
    @require(Scope.WORKPLAN_READ)
    @recommendations.arguments(RecommendationQueryArgs, location="query")
    @recommendations.response(200, RecommendationSchema(many=True))
    @paginated(recommendations, page_size=60)
    def get(self, args, pagination_parameters):
        """List recommendations, filtered by document, section, reference or text"""
        statement = (
            sa.select(Recommendation)
            .join(Recommendation.document)
            .options(joinedload(Recommendation.document))
            .order_by(SourceDocument.date, SourceDocument.id, Recommendation.number)
        )
        if "document" in args:
            statement = statement.where(SourceDocument.code == args["document"])
        if "section" in args:
            statement = statement.where(Recommendation.section == args["section"])
        if "reference" in args:
            statement = statement.where(Recommendation.reference == args["reference"])
        if "q" in args:
            statement = statement.where(
                Recommendation.search_text.contains(fold(args["q"]), autoescape=True)
            )
        return page_of(statement, pagination_parameters)


@recommendations.route("/<int(max=2147483647):recommendation_id>")
class RecommendationById(MethodView):
    @require(Scope.WORKPLAN_READ)
    @recommendations.etag
    @recommendations.response(200, RecommendationSchema)
    def get(self, recommendation_id):
        """One recommendation"""
        return get_or_404(Recommendation, recommendation_id, "recommendation")


@bodies.route("")
class Bodies(MethodView):
    @require(Scope.WORKPLAN_READ)
    @bodies.arguments(BodyQueryArgs, location="query")
    @bodies.response(200, BodySchema(many=True))
    @paginated(bodies, page_size=50)
    def get(self, args, pagination_parameters):
        """List responsible bodies"""
        statement = (
            sa.select(ResponsibleBody)
            .options(joinedload(ResponsibleBody.parent))
            .order_by(ResponsibleBody.code)
        )
        if "kind" in args:
            statement = statement.where(ResponsibleBody.kind == args["kind"])
        if "parent" in args:
            parent = aliased(ResponsibleBody)
            statement = statement.join(parent, ResponsibleBody.parent).where(
                parent.code == args["parent"]
            )
        return page_of(statement, pagination_parameters)


@bodies.route("/<int(max=2147483647):body_id>")
class BodyById(MethodView):
    @require(Scope.WORKPLAN_READ)
    @bodies.etag
    @bodies.response(200, BodySchema)
    def get(self, body_id):
        """One responsible body"""
        return get_or_404(ResponsibleBody, body_id, "body")


blueprints = (documents, recommendations, bodies)
