"""Test fixtures: every test runs once on SQLite and once on PostgreSQL (when reachable).

The fixtures live in tests/fixtures/, one module per concern; pytest loads them from here.
"""

import gc
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

# Modules whose tests each run for several seconds (a subprocess, a browser, a server): run
# first, so that the test processes end together instead of one waiting on the other's last
# long test (pytest-xdist hands tests out in collection order).
LONG_FIRST = (
    "tests/test_readme.py",
    "tests/test_packaging.py",
    "tests/test_generated_client.py",
    "tests/test_reliability.py",
    "tests/e2e/",
)


def pytest_collection_modifyitems(items: list) -> None:
    def long_first(item) -> int:
        path = item.nodeid.split("::", 1)[0]
        return 0 if path.startswith(LONG_FIRST) else 1

    items.sort(key=long_first)  # stable: each module keeps its order


# The garbage collector in a test process: what imports and collection made (the test items,
# the schemas schemathesis built, the app's modules: a third of the process's objects) is moved
# out of its reach, and a full collection waits for 100 partial ones instead of 10. Full
# collections of the whole heap took a tenth of the fuzzing's time (17 of them, 290 ms each, in
# one process's write and admin fuzzing): now one or two, of what the tests made.
GC_THRESHOLDS = (2000, 10, 100)


def pytest_configure() -> None:
    gc.set_threshold(*GC_THRESHOLDS)


def pytest_collection_finish() -> None:
    gc.freeze()
