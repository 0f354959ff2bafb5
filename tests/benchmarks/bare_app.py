"""The yardstick for `make bench-http`: a bare Flask endpoint answering a fixed 20 KB JSON."""

from __future__ import annotations

import json

from flask import Flask, Response

# 100 objects, 20,480 bytes or a little more: the size of a page of the directory
BODY = json.dumps(
    [{"id": n, "name": f"Benchmark office {n}", "padding": "x" * 147} for n in range(100)]
).encode()

app = Flask(__name__)


@app.get("/bare")
def bare() -> Response:
    return Response(BODY, mimetype="application/json")
