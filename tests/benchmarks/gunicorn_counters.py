"""gunicorn config for `make bench-http`: each worker counts its requests and SQL statements.

The counters live in a small file mapped into memory (BENCH_COUNTERS), one slot per worker, so
the benchmark reads them between runs without touching the service's code.
"""

from __future__ import annotations

import mmap
import os
import struct

SLOTS = 64
SLOT = struct.Struct("qq")  # statements, requests


def post_worker_init(worker):
    import sqlalchemy as sa

    with open(os.environ["BENCH_COUNTERS"], "r+b") as file:
        counters = mmap.mmap(file.fileno(), SLOTS * SLOT.size)
    offset = (worker.age % SLOTS) * SLOT.size

    def count_statement(*args):
        statements, requests = SLOT.unpack_from(counters, offset)
        SLOT.pack_into(counters, offset, statements + 1, requests)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", count_statement)
    worker.bench_counters = (counters, offset)


def post_request(worker, req, environ, resp):
    counters, offset = worker.bench_counters
    statements, requests = SLOT.unpack_from(counters, offset)
    SLOT.pack_into(counters, offset, statements, requests + 1)
