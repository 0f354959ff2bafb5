"""Imports every feature's models so the metadata (and Alembic) sees the whole schema."""


def import_all_models() -> None:
    import service.audit.models
    import service.core.versions
    import service.directory.models
    import service.identity.models
    import service.oauth.models
    import service.reminders.models
    import service.seeding.models
    import service.webhooks.models
    import service.workplan.models  # noqa: F401
    from service.core.db import add_trigram_indexes

    add_trigram_indexes()
