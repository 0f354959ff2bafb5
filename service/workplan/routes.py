"""Work-plan API: /api/v1/documents, /recommendations and /bodies (read; write: the secretariat)."""

from typing import Any

import sqlalchemy as sa
from flask.views import MethodView
from sqlalchemy.orm import aliased, joinedload

from service.core.access import Scope, require
from service.core.api import API_PREFIX, Blueprint, get_or_404, page_of, paginated
from service.core.db import db, matches_text
from service.core.fields import partial_update
from service.workplan import services
from service.workplan.models import Recommendation, ResponsibleBody, SourceDocument
from service.workplan.plan_routes import WORKPLAN_ENTRY, WORKPLAN_LIST, activities, work_plans
from service.workplan.schemas import (
    BodyCreateSchema,
    BodyPatchSchema,
    BodyQueryArgs,
    BodySchema,
    DocumentCreateSchema,
    DocumentPatchSchema,
    DocumentQueryArgs,
    DocumentSchema,
    RecommendationCreateSchema,
    RecommendationPatchSchema,
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

# These resources have no row version: their ETag is computed from what GET shows.


@documents.route("")
class Documents(MethodView):
    @require(Scope.WORKPLAN_READ)
    @WORKPLAN_LIST
    @documents.arguments(DocumentQueryArgs, location="query")
    @documents.response(200, DocumentSchema(many=True))
    @paginated(documents)
    def get(self, args: dict, pagination_parameters: Any) -> list:
        """List source documents"""
        statement = sa.select(SourceDocument).order_by(SourceDocument.date, SourceDocument.id)
        if "kind" in args:
            statement = statement.where(SourceDocument.kind == args["kind"])
        return page_of(statement, pagination_parameters)

    @require(Scope.WORKPLAN_WRITE)
    @documents.arguments(DocumentCreateSchema)
    @documents.response(201, DocumentSchema)
    def post(self, data: dict) -> Any:
        """Add a source document"""
        document = services.create_document(data)
        db.session.commit()
        return document


@documents.route("/<int(max=2147483647):document_id>")
class DocumentById(MethodView):
    @require(Scope.WORKPLAN_READ)
    @WORKPLAN_ENTRY
    @documents.etag
    @documents.response(200, DocumentSchema)
    def get(self, document_id: int) -> Any:
        """One source document"""
        return get_or_404(SourceDocument, document_id, "document")

    @require(Scope.WORKPLAN_WRITE)
    @documents.etag
    @documents.arguments(partial_update(DocumentPatchSchema))
    @documents.response(200, DocumentSchema)
    def patch(self, data: dict, document_id: int) -> Any:
        """Correct a source document (If-Match)"""
        document = get_or_404(SourceDocument, document_id, "document")
        documents.check_etag(document, DocumentSchema)
        services.update_document(document, data)
        db.session.commit()
        return document

    @require(Scope.WORKPLAN_WRITE)
    @documents.etag
    @documents.response(204)
    def delete(self, document_id: int) -> None:
        """Delete a source document nothing refers to (If-Match)"""
        document = get_or_404(SourceDocument, document_id, "document")
        documents.check_etag(document, DocumentSchema)
        services.delete_document(document)
        db.session.commit()


@recommendations.route("")
class Recommendations(MethodView):
    @require(Scope.WORKPLAN_READ)
    @WORKPLAN_LIST
    @recommendations.arguments(RecommendationQueryArgs, location="query")
    @recommendations.response(200, RecommendationSchema(many=True))
    @paginated(recommendations, page_size=60)
    def get(self, args: dict, pagination_parameters: Any) -> list:
        """List recommendations, filtered by document, section, reference or text"""
        statement = (
            sa.select(Recommendation)
            .join(Recommendation.document)
            .options(joinedload(Recommendation.document))
            .order_by(
                SourceDocument.date, SourceDocument.id, Recommendation.number, Recommendation.item
            )
        )
        if "document" in args:
            statement = statement.where(SourceDocument.code == args["document"])
        if "section" in args:
            statement = statement.where(Recommendation.section == args["section"])
        if "reference" in args:
            statement = statement.where(Recommendation.reference == args["reference"])
        if "q" in args:
            statement = statement.where(matches_text(args["q"], Recommendation.search_text))
        return page_of(statement, pagination_parameters)

    @require(Scope.WORKPLAN_WRITE)
    @recommendations.arguments(RecommendationCreateSchema)
    @recommendations.response(201, RecommendationSchema)
    def post(self, data: dict) -> Any:
        """Add a recommendation to a document"""
        recommendation = services.create_recommendation(data)
        db.session.commit()
        return recommendation


@recommendations.route("/<int(max=2147483647):recommendation_id>")
class RecommendationById(MethodView):
    @require(Scope.WORKPLAN_READ)
    @WORKPLAN_ENTRY
    @recommendations.etag
    @recommendations.response(200, RecommendationSchema)
    def get(self, recommendation_id: int) -> Any:
        """One recommendation"""
        return get_or_404(Recommendation, recommendation_id, "recommendation")

    @require(Scope.WORKPLAN_WRITE)
    @recommendations.etag
    @recommendations.arguments(partial_update(RecommendationPatchSchema))
    @recommendations.response(200, RecommendationSchema)
    def patch(self, data: dict, recommendation_id: int) -> Any:
        """Correct a recommendation's section or text (If-Match)"""
        recommendation = get_or_404(Recommendation, recommendation_id, "recommendation")
        recommendations.check_etag(recommendation, RecommendationSchema)
        services.update_recommendation(recommendation, data)
        db.session.commit()
        return recommendation

    @require(Scope.WORKPLAN_WRITE)
    @recommendations.etag
    @recommendations.response(204)
    def delete(self, recommendation_id: int) -> None:
        """Delete a recommendation no work plan cites (If-Match)"""
        recommendation = get_or_404(Recommendation, recommendation_id, "recommendation")
        recommendations.check_etag(recommendation, RecommendationSchema)
        services.delete_recommendation(recommendation)
        db.session.commit()


@bodies.route("")
class Bodies(MethodView):
    @require(Scope.WORKPLAN_READ)
    @WORKPLAN_LIST
    @bodies.arguments(BodyQueryArgs, location="query")
    @bodies.response(200, BodySchema(many=True))
    @paginated(bodies, page_size=50)
    def get(self, args: dict, pagination_parameters: Any) -> list:
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

    @require(Scope.WORKPLAN_WRITE)
    @bodies.arguments(BodyCreateSchema)
    @bodies.response(201, BodySchema)
    def post(self, data: dict) -> Any:
        """Add a responsible body"""
        body = services.create_body(data)
        db.session.commit()
        return body


@bodies.route("/<int(max=2147483647):body_id>")
class BodyById(MethodView):
    @require(Scope.WORKPLAN_READ)
    @WORKPLAN_ENTRY
    @bodies.etag
    @bodies.response(200, BodySchema)
    def get(self, body_id: int) -> Any:
        """One responsible body"""
        return get_or_404(ResponsibleBody, body_id, "body")

    @require(Scope.WORKPLAN_WRITE)
    @bodies.etag
    @bodies.arguments(partial_update(BodyPatchSchema))
    @bodies.response(200, BodySchema)
    def patch(self, data: dict, body_id: int) -> Any:
        """Change a responsible body's name, kind or parent (If-Match)"""
        body = get_or_404(ResponsibleBody, body_id, "body")
        bodies.check_etag(body, BodySchema)
        services.update_body(body, data)
        db.session.commit()
        return body

    @require(Scope.WORKPLAN_WRITE)
    @bodies.etag
    @bodies.response(204)
    def delete(self, body_id: int) -> None:
        """Delete a body that has no sub-bodies and no activities (If-Match)"""
        body = get_or_404(ResponsibleBody, body_id, "body")
        bodies.check_etag(body, BodySchema)
        services.delete_body(body)
        db.session.commit()


blueprints = (documents, recommendations, bodies, work_plans, activities)
