"""GET /api/v1/vocabularies: the words for every code, in the four OAS languages."""

from __future__ import annotations

import sqlalchemy as sa
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from service.core.access import authenticated
from service.core.api import API_PREFIX
from service.core.db import db
from service.directory.models import Competence
from service.i18n import LANGUAGES
from service.vocabularies import VOCABULARIES, all_labels

vocabularies = Blueprint(
    "vocabularies",
    __name__,
    url_prefix=f"{API_PREFIX}/vocabularies",
    description="The labels of every code the API uses (competences, roles, authority and "
    "contact kinds, channel types, pillars, statuses...) in English, Spanish, French and "
    "Portuguese. Codes never change with the language; only these labels do.",
)


class TermSchema(Schema):
    code = fields.String(required=True, metadata={"description": "The code, as the API uses it"})
    labels = fields.Dict(
        keys=fields.String(metadata={"enum": list(LANGUAGES)}),
        values=fields.String(),
        required=True,
        metadata={"description": "Language code (en, es, fr, pt) -> label"},
    )


VocabulariesSchema = Schema.from_dict(
    {
        name: fields.List(fields.Nested(TermSchema), required=True)
        for name in [*VOCABULARIES, "competences"]
    },
    name="Vocabularies",
)


@vocabularies.route("")
class Vocabularies(MethodView):
    @vocabularies.response(200, VocabulariesSchema)
    @vocabularies.doc(security=[{"oauth2": []}, {"session": []}])
    def get(self):
        """Every vocabulary: each code with its label in en, es, fr and pt"""
        authenticated()
        competences = db.session.scalars(sa.select(Competence).order_by(Competence.position))
        return all_labels(list(LANGUAGES), list(competences))


blueprints = (vocabularies,)
