"""`flask seed`: loads the reference data in `seed/` (and, on request, the demo directory).

Every row is found by its natural key and brought in line with the file, so a second run
changes nothing and an edited file updates the row it names. Each change is audited.
"""

from __future__ import annotations

import gettext
import os
from dataclasses import dataclass, field

import click
import pycountry
import sqlalchemy as sa
import yaml
from flask import current_app
from flask.cli import with_appcontext

from service.audit.log import record, snapshot
from service.audit.models import AuditAction
from service.core.db import db, touch
from service.directory.models import (
    Authority,
    Channel,
    Competence,
    ContactPoint,
    MemberState,
)
from service.workplan.models import (
    Activity,
    ActivityBody,
    ActivityRecommendation,
    BodyBasis,
    BodyRole,
    CoverageExclusion,
    OtherEffort,
    Recommendation,
    ResponsibleBody,
    SourceDocument,
    WorkPlan,
)

OAS_LANGUAGES = ("es", "fr", "pt")


@dataclass
class SeedReport:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)

    def count(self, bucket: dict[str, int], table: str) -> None:
        bucket[table] = bucket.get(table, 0) + 1

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


class Seeder:
    def __init__(self, seed_dir: str):
        self.seed_dir = seed_dir
        self.report = SeedReport()

    def load(self, name: str):
        with open(os.path.join(self.seed_dir, name), encoding="utf-8") as handle:
            return yaml.safe_load(handle)

    def upsert(self, model, key: dict, values: dict, relations: dict | None = None):
        """Finds the row by its natural key and sets the values that differ; audits the change."""
        entity = db.session.execute(sa.select(model).filter_by(**key)).scalar_one_or_none()
        table = model.__tablename__
        if entity is None:
            entity = model(**key, **values, **(relations or {}))
            db.session.add(entity)
            db.session.flush()
            record(AuditAction.CREATE, entity, None, snapshot(entity))
            self.report.count(self.report.created, table)
            return entity
        before = snapshot(entity)
        columns_changed = relations_changed = False
        for name, value in values.items():
            if getattr(entity, name) != value:
                setattr(entity, name, value)
                columns_changed = True
        for name, value in (relations or {}).items():
            if _ids(getattr(entity, name)) != _ids(value):
                setattr(entity, name, value)
                relations_changed = True
        if columns_changed or relations_changed:
            if relations_changed and not columns_changed:
                touch(entity)
            db.session.flush()
            record(AuditAction.UPDATE, entity, before, snapshot(entity))
            self.report.count(self.report.updated, table)
        return entity

    # -- reference data -------------------------------------------------------------------

    def competences(self) -> None:
        for position, row in enumerate(self.load("competences.yaml")):
            self.upsert(
                Competence,
                {"code": row["code"]},
                {"name_en": row["name_en"], "name_es": row["name_es"], "position": position},
            )

    def member_states(self) -> None:
        translations = {
            language: gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language])
            for language in OAS_LANGUAGES
        }
        for row in self.load("member_states.yaml"):
            country = pycountry.countries.get(alpha_2=row["code"])
            if country is None:
                raise click.ClickException(f"member_states.yaml: unknown code {row['code']}")
            name = getattr(country, "common_name", None) or country.name
            values = {
                "alpha3": country.alpha_3,
                "name_en": name,
                **{f"name_{lang}": tr.gettext(name) for lang, tr in translations.items()},
                "status": row["status"],
                "status_date": row.get("status_date"),
                "status_note": row.get("status_note"),
                "status_source": row.get("status_source"),
            }
            self.upsert(MemberState, {"code": row["code"]}, values)

    def documents(self) -> None:
        for row in self.load("documents.yaml"):
            self.upsert(
                SourceDocument,
                {"code": row["code"]},
                {
                    **{k: row.get(k) for k in ("symbol", "title", "date", "kind", "date_note")},
                    "date_inferred": bool(row.get("date_inferred")),
                    "texts_loaded": row.get("texts_loaded", True),
                },
            )

    def recommendations(self) -> None:
        documents = self._by_code(SourceDocument)
        for row in self.load("recommendations.yaml"):
            self.upsert(
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

    def bodies(self) -> None:
        rows = self.load("bodies.yaml")
        for row in rows:  # first the bodies, then their parents (any order in the file)
            self.upsert(
                ResponsibleBody,
                {"code": row["code"]},
                {"name": row["name"], "kind": row["kind"], "aliases": row.get("aliases", [])},
            )
        bodies = self._by_code(ResponsibleBody)
        for row in rows:
            parent = bodies[row["parent"]].id if row.get("parent") else None
            self.upsert(ResponsibleBody, {"code": row["code"]}, {"parent_id": parent})

    def work_plan(self) -> None:
        path = os.path.join(self.seed_dir, "work_plan.yaml")
        if not os.path.exists(path):
            return
        data = self.load("work_plan.yaml")
        plan_row = data["work_plan"]
        documents = self._by_code(SourceDocument)
        plan = self.upsert(
            WorkPlan,
            {"code": plan_row["code"], "plan_version": plan_row["plan_version"]},
            {
                k: plan_row.get(k)
                for k in ("title", "period_start", "period_end", "status", "notes")
            },
            {"mandates": [documents[code] for code in plan_row["mandates"]]},
        )
        recommendations = {
            r.reference: r for r in db.session.execute(sa.select(Recommendation)).scalars()
        }
        bodies = self._by_code(ResponsibleBody)
        for row in data["activities"]:
            activity = self.upsert(
                Activity,
                {"work_plan_id": plan.id, "code": row["code"]},
                {
                    **{
                        k: row.get(k)
                        for k in (
                            "pillar",
                            "title",
                            "description",
                            "expected_result",
                            "indicators",
                            "timeline",
                            "status",
                            "estimated_cost",
                            "currency",
                        )
                    },
                    "funding_source": row.get("funding_source", "to_be_determined"),
                    "subject_to_resources": row.get("subject_to_resources", True),
                },
            )
            self._sync_links(activity, row, recommendations, bodies)
            self._sync_efforts(activity, row.get("other_efforts", []))
        for row in data.get("exclusions", []):
            self.upsert(
                CoverageExclusion,
                {
                    "work_plan_id": plan.id,
                    "recommendation_id": recommendations[row["recommendation"]].id,
                },
                {"reason": row["reason"]},
            )
        for reference in data.get("retired_recommendations", []):
            self._retire(recommendations.get(reference))

    def _sync_efforts(self, activity: Activity, rows: list[dict]) -> None:
        fields = ("organization", "title", "url", "note")
        wanted = [tuple(row.get(k) for k in fields) for row in rows]
        have = [tuple(getattr(e, k) for k in fields) for e in activity.other_efforts]
        if wanted == have:
            return
        before = {"other_efforts": have}
        activity.other_efforts = [OtherEffort(**dict(zip(fields, w, strict=True))) for w in wanted]
        touch(activity)
        db.session.flush()
        record(AuditAction.UPDATE, activity, before, {"other_efforts": wanted})
        self.report.count(self.report.updated, "other_efforts")

    def _retire(self, recommendation: Recommendation | None) -> None:
        """Deletes a recommendation the seed replaced (split into items) once nothing cites it."""
        if recommendation is None:
            return
        for model in (ActivityRecommendation, CoverageExclusion):
            statement = sa.select(model.recommendation_id).filter_by(
                recommendation_id=recommendation.id
            )
            if db.session.execute(statement).first() is not None:
                return
        record(AuditAction.DELETE, recommendation, snapshot(recommendation), None)
        db.session.delete(recommendation)
        db.session.flush()
        self.report.count(self.report.updated, "recommendations_retired")

    def _sync_links(self, activity: Activity, row: dict, recommendations, bodies) -> None:
        wanted_recommendations = {recommendations[ref].id for ref in row["recommendations"]}
        wanted_bodies = {
            bodies[link["body"]].id: (
                BodyRole(link["role"]),
                BodyBasis(link["basis"]),
                link.get("quote"),
                link.get("note"),
            )
            for link in row["bodies"]
        }
        have_recommendations = {link.recommendation_id for link in activity.recommendation_links}
        have_bodies = {
            link.body_id: (link.role, link.basis, link.basis_quote, link.basis_note)
            for link in activity.body_links
        }
        if have_recommendations == wanted_recommendations and have_bodies == wanted_bodies:
            return
        before = activity_links(activity)
        activity.recommendation_links = [
            link
            for link in activity.recommendation_links
            if link.recommendation_id in wanted_recommendations
        ] + [
            ActivityRecommendation(recommendation_id=rid)
            for rid in sorted(wanted_recommendations - have_recommendations)
        ]
        activity.body_links = [
            ActivityBody(
                body_id=body_id, role=role, basis=basis, basis_quote=quote, basis_note=note
            )
            for body_id, (role, basis, quote, note) in wanted_bodies.items()
        ]
        touch(activity)
        db.session.flush()
        record(AuditAction.UPDATE, activity, before, activity_links(activity))
        self.report.count(self.report.updated, "activity_links")

    # -- demo directory -------------------------------------------------------------------

    def demo(self) -> None:
        data = self.load("demo.yaml")
        competences = self._by_code(Competence)
        authorities = {}
        for row in data["authorities"]:
            authorities[row["key"]] = self.upsert(
                Authority,
                {"demo_key": row["key"]},
                {
                    "member_state_code": row["member_state"],
                    "is_demo": True,
                    **{
                        k: row.get(k)
                        for k in (
                            "name",
                            "name_local",
                            "acronym",
                            "kind",
                            "address",
                            "website",
                        )
                    },
                    "is_coordinating": bool(row.get("is_coordinating")),
                    "languages": row.get("languages", []),
                },
                {"competences": [competences[c] for c in row.get("competences", [])]},
            )
        for row in data["contacts"]:
            contact = self.upsert(
                ContactPoint,
                {"demo_key": row["key"]},
                {
                    "authority_id": authorities[row["authority"]].id,
                    "is_demo": True,
                    **{
                        k: row.get(k)
                        for k in ("kind", "name", "position", "role", "hours", "time_zone")
                    },
                    "languages": row.get("languages", []),
                    "available_24_7": bool(row.get("available_24_7")),
                    "visibility": row.get("visibility", "network"),
                },
                {"competences": [competences[c] for c in row.get("competences", [])]},
            )
            wanted = [
                (c["type"], c["value"], c.get("label"), bool(c.get("preferred")))
                for c in row.get("channels", [])
            ]
            have = [(ch.type.value, ch.value, ch.label, ch.preferred) for ch in contact.channels]
            if sorted(have) != sorted(wanted):
                before = snapshot(contact)
                contact.channels = [
                    Channel(type=t, value=v, label=label, preferred=p) for t, v, label, p in wanted
                ]
                touch(contact)
                db.session.flush()
                record(AuditAction.UPDATE, contact, before, snapshot(contact))
                self.report.count(self.report.updated, "channels")

    def _by_code(self, model) -> dict:
        return {row.code: row for row in db.session.execute(sa.select(model)).scalars()}


def activity_links(activity: Activity) -> dict:
    return {
        "recommendations": sorted(link.recommendation_id for link in activity.recommendation_links),
        "bodies": sorted(
            [
                link.body_id,
                link.role.value if link.role else None,
                link.basis.value if link.basis else None,
                link.basis_quote,
            ]
            for link in activity.body_links
        ),
    }


def _ids(value):
    if isinstance(value, list):
        return sorted(sa.inspect(item).identity for item in value)
    return value


def seed_database(seed_dir: str, demo: bool = False) -> SeedReport:
    seeder = Seeder(seed_dir)
    seeder.competences()
    seeder.member_states()
    seeder.documents()
    seeder.recommendations()
    seeder.bodies()
    seeder.work_plan()
    if demo:
        seeder.demo()
    db.session.commit()
    return seeder.report


@click.command("seed")
@click.option("--demo", is_flag=True, help="Also load the fictitious demo directory.")
@with_appcontext
def seed_command(demo: bool) -> None:
    """Load the reference data from seed/ (idempotent)."""
    report = seed_database(current_app.config["SEED_DIR"], demo=demo)
    if not report.changed:
        click.echo("Seed data already up to date: nothing changed.")
        return
    for label, bucket in (("created", report.created), ("updated", report.updated)):
        for table, count in sorted(bucket.items()):
            click.echo(f"{label} {count} {table}")
