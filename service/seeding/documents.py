"""The source documents and the recommendations (mandates) each holds, word for word."""

from __future__ import annotations

from service.seeding.loader import Loader
from service.workplan.models import Recommendation, SourceDocument


def load_documents(loader: Loader) -> None:
    for row in loader.load("documents.yaml"):
        loader.upsert(
            SourceDocument,
            {"code": row["code"]},
            {
                **{k: row.get(k) for k in ("symbol", "title", "date", "kind", "date_note")},
                "date_inferred": bool(row.get("date_inferred")),
                "texts_loaded": row.get("texts_loaded", True),
            },
        )


def load_recommendations(loader: Loader) -> None:
    documents = loader.by_code(SourceDocument)
    for row in loader.load("recommendations.yaml"):
        loader.upsert(
            Recommendation,
            {"reference": row["reference"]},
            {
                "document_id": documents[row["document"]].id,
                "number": row["number"],
                "item": row.get("item", ""),
                "section": row["section"],
                "text": row["text"],
            },
        )
