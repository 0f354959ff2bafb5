"""Benchmark: what hostile input costs now (the figures of issue 10, measured again).

Prints its figures; asserts nothing. Run: `python -m tests.benchmarks.bench_hostile_input`.
No database: the schemas and the overlap check are driven directly, in bounded loops.
"""

from __future__ import annotations

import random
import string
import time
from types import SimpleNamespace

import marshmallow as ma

from service.core.request_limits import JSONShapeError, loads_bounded
from service.directory.schemas import ChannelInputSchema, ContactCreateSchema
from service.workplan import overlaps


def timed(label: str, action) -> None:
    start = time.perf_counter()
    outcome = action()
    print(f"{label:<62} {1000 * (time.perf_counter() - start):9.1f} ms  {str(outcome)[:60]}")


def refuse(schema, payload):
    try:
        schema.load(payload)
    except ma.ValidationError as error:
        return f"refused: {error.messages.get('channels')}"
    return "accepted"


def plan_of(count: int, characters: int) -> list:
    rng = random.Random(10)
    words = [
        "".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 10))) for _ in range(5000)
    ]

    def text() -> str:
        out = []
        while sum(map(len, out)) + len(out) < characters:
            out.append(rng.choice(words))
        return " ".join(out)

    return [
        SimpleNamespace(
            id=n,
            code=f"A-{n:04d}",
            title=f"Activity {n}",
            description=text(),
            recommendation_links=[],
            body_links=[],
        )
        for n in range(count)
    ]


def main() -> None:
    channel = {"type": "fax", "value": "not a number"}
    contact = {"authority_id": 1, "kind": "office", "name": "x", "role": "alternate"}
    # Channels alone (no reference look-ups): the 20-channel rule before any item is read.
    only_channels = ma.Schema.from_dict({"channels": ContactCreateSchema().fields["channels"]})
    for count in (21, 250_000):
        timed(
            f"{count} channels",
            lambda c=count: refuse(only_channels(), {"channels": [channel] * c}),
        )
    old_way = ma.fields.List(
        ma.fields.Nested(ChannelInputSchema), validate=ma.validate.Length(max=20)
    )
    timed(
        "25000 channels, each validated first (the old way)",
        lambda: refuse(
            ma.Schema.from_dict({"channels": old_way})(), {"channels": [channel] * 25_000}
        ),
    )
    deep = "[" * 100_000 + "]" * 100_000

    def parse(body):
        try:
            loads_bounded(body)
        except JSONShapeError as error:
            return f"400: {error.message}"
        return "parsed"

    timed("JSON nested 100,000 levels", lambda: parse(deep))
    timed(
        "JSON array of 100,000 items (~1 MB)", lambda: parse("[" + ",".join(["{}"] * 100_000) + "]")
    )
    del contact
    for count, characters in ((30, 600), (80, 20_000), (300, 600), (1000, 600)):
        overlaps._scans.clear()
        activities = plan_of(count, characters)
        requests = 0

        def scan(activities=activities):
            nonlocal requests
            report = overlaps.overlaps_among(activities)
            requests += 1
            return f"complete={report.complete} {report.compared_pairs}/{report.total_pairs} pairs"

        timed(f"overlaps, {count} activities of {characters} chars, first request", scan)
        timed(f"overlaps, {count} activities of {characters} chars, next request", scan)


if __name__ == "__main__":
    main()
