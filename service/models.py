"""Imports every feature's models so the metadata (and Alembic) sees the whole schema."""


def import_all_models() -> None:
    import service.audit.models  # noqa: F401
    import service.directory.models  # noqa: F401
    import service.identity.models  # noqa: F401
    import service.oauth.models  # noqa: F401
    import service.workplan.models  # noqa: F401
