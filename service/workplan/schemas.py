"""Work-plan schemas: source documents, recommendations, responsible bodies."""

import marshmallow as ma

from service.core.api import TextSearchArgs
from service.core.fields import CleanString
from service.workplan.models import BodyKind, DocumentKind, RecommendationSection


class DocumentSchema(ma.Schema):
    id = ma.fields.Integer()
    code = ma.fields.String(metadata={"description": "Short, stable, URL-safe code"})
    symbol = ma.fields.String(metadata={"description": "Symbol as printed on the document"})
    title = ma.fields.String()
    date = ma.fields.Date(allow_none=True)
    kind = ma.fields.Enum(DocumentKind, by_value=True)


class DocumentQueryArgs(ma.Schema):
    kind = ma.fields.Enum(DocumentKind, by_value=True)


class RecommendationSchema(ma.Schema):
    id = ma.fields.Integer()
    reference = ma.fields.String(metadata={"description": "Stable citable reference"})
    document = ma.fields.String(
        attribute="document.code", metadata={"description": "Document code"}
    )
    document_symbol = ma.fields.String(attribute="document.symbol")
    number = ma.fields.Integer()
    section = ma.fields.Enum(RecommendationSection, by_value=True)
    text = ma.fields.String(metadata={"description": "Full text exactly as adopted"})


class RecommendationQueryArgs(TextSearchArgs):
    document = CleanString(metadata={"description": "Document code, e.g. RTP-II"})
    section = ma.fields.Enum(RecommendationSection, by_value=True)
    reference = CleanString()


class BodySchema(ma.Schema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String()
    kind = ma.fields.Enum(BodyKind, by_value=True)
    parent = ma.fields.String(attribute="parent.code", allow_none=True, dump_default=None)


class BodyQueryArgs(ma.Schema):
    kind = ma.fields.Enum(BodyKind, by_value=True)
    parent = CleanString(metadata={"description": "Code of the parent body"})
