"""The bodies responsible for activities, each under its parent."""

from __future__ import annotations

from service.seeding.loader import Loader
from service.workplan.models import ResponsibleBody


def load_bodies(loader: Loader) -> None:
    rows = loader.load("bodies.yaml")
    existing = loader.by_code(ResponsibleBody)
    for row in rows:  # first the new bodies, so that any may be a parent (any order in the file)
        if row["code"] not in existing:
            loader.upsert(
                ResponsibleBody, {"code": row["code"]}, {"name": row["name"], "kind": row["kind"]}
            )
    bodies = loader.by_code(ResponsibleBody)
    for row in rows:
        parent = bodies[row["parent"]].id if row.get("parent") else None
        loader.upsert(
            ResponsibleBody,
            {"code": row["code"]},
            {
                "name": row["name"],
                "kind": row["kind"],
                "aliases": row.get("aliases", []),
                "parent_id": parent,
            },
        )
