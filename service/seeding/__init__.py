"""`flask seed`: loads the reference data in `seed/` (and, on request, the demo directory).

Every row is found by its natural key. A new row is created; a row the seed wrote and nobody
changed since is brought in line with the file; a row somebody changed after it was seeded is
left alone and reported as skipped (`SeedRecord` keeps a hash of each value the seed wrote).
Each change is audited.
"""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext

from service.core.db import db
from service.seeding.bodies import load_bodies
from service.seeding.demo import load_demo_directory
from service.seeding.documents import load_documents, load_recommendations
from service.seeding.loader import Loader, SeedReport
from service.seeding.plan import load_work_plan
from service.seeding.states import load_competences, load_member_states

# in this order: later files refer to rows of earlier ones by their codes
REFERENCE_DATA = (
    load_competences,
    load_member_states,
    load_documents,
    load_recommendations,
    load_bodies,
    load_work_plan,
)

__all__ = ["SeedReport", "seed_command", "seed_database"]


def seed_database(seed_dir: str, demo: bool = False) -> SeedReport:
    loader = Loader(seed_dir)
    for load in REFERENCE_DATA:
        load(loader)
    if demo:
        load_demo_directory(loader)
    db.session.commit()
    return loader.report


@click.command("seed")
@click.option("--demo", is_flag=True, help="Also load the fictitious demo directory.")
@with_appcontext
def seed_command(demo: bool) -> None:
    """Load the reference data from seed/; rows changed since they were seeded are kept."""
    report = seed_database(current_app.config["SEED_DIR"], demo=demo)
    if not report.changed:
        click.echo("Nothing changed." if report.skipped else "Seed data already up to date.")
    for label, bucket in (("created", report.created), ("updated", report.updated)):
        for table, count in sorted(bucket.items()):
            click.echo(f"{label} {count} {table}")
    for table, keys in sorted(report.skipped.items()):
        natural_keys = ", ".join(
            " ".join(f"{k}={v}" for k, v in json.loads(key).items()) for key in keys
        )
        click.echo(
            f"skipped {len(keys)} {table} changed since they were seeded (kept): {natural_keys}"
        )
