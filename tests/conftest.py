"""Test fixtures: every test runs once on SQLite and once on PostgreSQL (when reachable).

The fixtures live in tests/fixtures/, one module per concern; pytest loads them from here.
"""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SOURCE_DOCUMENTS = PROJECT_ROOT.parent / "shared" / "seeds"

pytest_plugins = [
    "tests.fixtures.oidc",
    "tests.fixtures.identity",
    "tests.fixtures.database",
    "tests.fixtures.credentials",
    "tests.fixtures.directory",
    "tests.fixtures.workplan",
    "tests.fixtures.mail",
]
