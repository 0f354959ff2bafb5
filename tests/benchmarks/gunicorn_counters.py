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
    from tests import statement_log

    with open(os.environ["BENCH_COUNTERS"], "r+b") as file:
        counters = mmap.mmap(file.fileno(), SLOTS * SLOT.size)
    offset = (worker.age % SLOTS) * SLOT.size

    def count_statement(statement):
        statements, requests = SLOT.unpack_from(counters, offset)
        SLOT.pack_into(counters, offset, statements + 1, requests)

    listening = statement_log.listening(count_statement)
    listening.__enter__()  # for the worker's life
    worker.bench_counters = (counters, offset, listening)


def post_request(worker, req, environ, resp):
    counters, offset, _ = worker.bench_counters
    statements, requests = SLOT.unpack_from(counters, offset)
    SLOT.pack_into(counters, offset, statements, requests + 1)
