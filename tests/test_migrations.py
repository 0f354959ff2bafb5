"""The migration head builds exactly the schema the models describe, on every database."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from service.core.db import db


def test_models_and_migration_head_agree(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True}
        )
        differences = compare_metadata(context, db.metadata)
    assert differences == [], "run `flask --app service db migrate` and commit the revision"


def test_app_start_does_not_migrate(tmp_path, monkeypatch):
    from sqlalchemy import inspect

    from service import create_app

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'fresh.db'}")
    fresh = create_app({"SERVICE_ENV": "testing", "SECRET_KEY": "x"})
    with fresh.app_context():
        assert inspect(db.engine).get_table_names() == []
        db.engine.dispose()
