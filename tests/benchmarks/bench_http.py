"""Benchmark over HTTP: the service under gunicorn beside a bare Flask endpoint, driven by wrk.

Prints one table (requests/s, p50, p99, share of the bare endpoint, SQL statements per request)
and each worker's memory before and after; asserts nothing. Bounded: every server it starts is
stopped at the end, every wrk run lasts a few seconds (under 3 minutes in all).

    make bench-http                                  # SQLite in a temporary directory
    DATABASE_URL=postgresql://... make bench-http    # PostgreSQL (the database must exist)
    .venv/bin/python -m tests.benchmarks.bench_http --contacts 1000 --contacts 10000

The directory is filled up to each `--contacts` size (synthetic "Benchmark office N" contact
points, added once: a second run reuses them). Three service instances are measured per size:
one as configured (caches on); one with RESPONSE_CACHE_MB=0, whose every answer is built anew,
as right after a write (the items that did not change are kept: ITEM_CACHE_MB); and one with
ITEM_CACHE_MB=0 too, where nothing at all is kept.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import mmap
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SECRET_KEY = "bench-http-" + "k" * 40  # fixed: the same in every worker
WORKERS = 2
SLOTS, SLOT_SIZE = 64, 16


@dataclass
class Row:
    size: int
    request: str
    connections: int
    rps: float
    p50: float
    p99: float
    errors: int
    statements: float | None
    bare_rps: float


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# -- the database -----------------------------------------------------------------------------


def prepare_database(env: dict, sizes: list[int]) -> None:
    """Migrations and seed (demo); fill() tops up the contacts and makes the API client."""
    for command in (["db", "upgrade"], ["seed", "--demo"]):
        subprocess.run(
            [BIN / "flask", "--app", "service", *command],
            env=env,
            check=True,
            cwd=PROJECT_ROOT,
            capture_output=True,
            timeout=120,
        )


def in_app(env: dict, code: str) -> str:
    """Runs a snippet inside the app (a separate process: the benchmark keeps no connection)."""
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        check=True,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return result.stdout.strip()


SETUP = """
import json, sqlalchemy as sa
from service import create_app
from service.core.db import db
from service.directory.models import Authority, Channel, ContactPoint
from service.oauth.services import register_client
from service.oauth.tokens import issue_token

app = create_app()
with app.app_context():
    target = {size}
    have = db.session.execute(sa.select(sa.func.count()).select_from(ContactPoint)).scalar_one()
    authorities = db.session.execute(
        sa.select(Authority).where(Authority.archived_at.is_(None)).order_by(Authority.id)
    ).scalars().all()
    number = have
    while number < target:
        for _ in range(min(500, target - number)):
            db.session.add(ContactPoint(
                authority=authorities[number % len(authorities)],
                kind="office",
                name=f"Benchmark office {{number}}",
                position=f"Office {{number}} of the benchmark",
                role="technical",
                languages=["es"],
                channels=[Channel(type="email", value=f"office{{number}}@bench.example.org")],
            ))
            number += 1
        db.session.commit()
    client, _ = register_client("bench-http", "directory:read workplan:read", None)
    plain, _ = issue_token(client, "directory:read workplan:read")
    contact = db.session.execute(
        sa.select(ContactPoint.id).where(ContactPoint.visibility == "network",
                                         ContactPoint.archived_at.is_(None))
        .order_by(ContactPoint.id).limit(1)
    ).scalar_one()
    total = db.session.execute(sa.select(sa.func.count()).select_from(ContactPoint)).scalar_one()
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        # as autovacuum leaves a table in production: fresh planner statistics, and the
        # visibility map that lets a count read an index alone
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as vacuum:
            vacuum.exec_driver_sql("VACUUM ANALYZE")
    print(json.dumps({{"token": plain, "contact": contact, "total": total}}))
"""


# -- servers ----------------------------------------------------------------------------------


@functools.cache
def no_control_socket() -> list[str]:
    """gunicorn 25 and later open a control socket, at one path for every server started: the
    benchmark's servers need none (and would fight over it)."""
    usage = subprocess.run(
        [str(BIN / "gunicorn"), "--help"], capture_output=True, text=True, timeout=60
    ).stdout
    return ["--no-control-socket"] if "--no-control-socket" in usage else []


def settle(servers: list[Gunicorn], quiet_ticks: int = 5, limit: float = 30) -> None:
    """Waits until every worker of every server has loaded the app: one answering a health
    check says nothing of the others, whose start-up would otherwise run (and cost CPU) during
    the first rows. Quiet = their CPU time grows by under `quiet_ticks` in half a second."""

    def ticks() -> int:
        total = 0
        for server in servers:
            for pid in server.worker_pids():
                with contextlib.suppress(OSError):
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                    total += int(fields[11]) + int(fields[12])  # utime, stime
        return total

    deadline = time.monotonic() + limit
    last = ticks()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = ticks()
        if now - last < quiet_ticks and all(len(s.worker_pids()) == WORKERS for s in servers):
            return
        last = now


class Gunicorn:
    """A gunicorn with 2 sync workers on a free loopback port, stopped on exit."""

    def __init__(self, app: str, env: dict, counters: Path | None = None):
        self.port = free_port()
        self.counters_path = counters
        command = [
            str(BIN / "gunicorn"),
            "-w",
            str(WORKERS),
            "-k",
            "sync",
            "-b",
            f"127.0.0.1:{self.port}",
            "--log-level",
            "warning",
            *no_control_socket(),
        ]
        if counters is not None:
            counters.write_bytes(bytes(SLOTS * SLOT_SIZE))
            env = {**env, "BENCH_COUNTERS": str(counters)}
            command += ["-c", str(Path(__file__).with_name("gunicorn_counters.py"))]
        self.process = subprocess.Popen(
            [*command, app], env=env, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL
        )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait(self, path: str, headers: dict | None = None) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}")
            with contextlib.suppress(OSError):
                request = urllib.request.Request(self.url(path), headers=headers or {})
                with urllib.request.urlopen(request, timeout=5):
                    return
            time.sleep(0.2)
        raise RuntimeError("the server did not answer within 60 s")

    def worker_pids(self) -> list[int]:
        pid = self.process.pid
        return [
            int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        ]

    def worker_rss_mb(self) -> list[float]:
        sizes = []
        for child in self.worker_pids():
            status = Path(f"/proc/{child}/status").read_text()
            sizes.append(int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024)
        return sorted(sizes)

    def counters(self) -> tuple[int, int]:
        """(SQL statements, requests) summed over every worker so far."""
        if self.counters_path is None:
            return 0, 0
        with open(self.counters_path, "rb") as file:
            data = mmap.mmap(file.fileno(), SLOTS * SLOT_SIZE, access=mmap.ACCESS_READ)
            values = [int.from_bytes(data[i : i + 8], "little") for i in range(0, len(data), 8)]
        return sum(values[0::2]), sum(values[1::2])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


# -- wrk ----------------------------------------------------------------------------------------

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(
    url: str,
    headers: dict,
    connections: int,
    seconds: float,
    script: Path | None = None,
) -> tuple[float, float, float, int, int]:
    """(requests/s, p50 ms, p99 ms, non-2xx/3xx responses, requests made)."""
    threads = min(2, connections)
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--latency",
    ]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    if script is not None:
        command += ["-s", str(script)]
    output = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True, timeout=seconds + 30
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    latency = {
        m.group(1): float(m.group(2)) * UNITS[m.group(3)]
        for m in re.finditer(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
    }
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    made = int(re.search(r"(\d+) requests in", output).group(1))
    return rps, latency["50"], latency["99"], int(errors.group(1)) if errors else 0, made


VARIED_SCRIPT = """
-- every request a new cache key: random pages (mostly far past the end) and random searches
math.randomseed(os.time())
request = function()
  local path
  if math.random() < 0.5 then
    path = "/api/v1/contacts?page_size=100&page=" .. math.random(1, 2000000000)
  else
    path = "/api/v1/contacts?page_size=20&q=office%20" .. math.random(1, 100000000)
  end
  return wrk.format("GET", path)
end
"""


def etag_of(server: Gunicorn, path: str, headers: dict) -> str | None:
    request = urllib.request.Request(server.url(path), headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.headers.get("ETag")


# -- the run ------------------------------------------------------------------------------------


def measure(server: Gunicorn, path: str, headers: dict, connections: int, seconds: float, **kw):
    # a second of the same load first (every worker gets some): the row measures the steady
    # state, not each worker's first hits
    wrk(server.url(path), headers, connections, 1, **kw)
    statements_before, requests_before = server.counters()
    rps, p50, p99, errors, made = wrk(server.url(path), headers, connections, seconds, **kw)
    statements_after, requests_after = server.counters()
    served = requests_after - requests_before
    per_request = (statements_after - statements_before) / served if served else None
    return rps, p50, p99, errors, per_request, made


def run_size(size: int, env: dict, seconds: int, servers: dict, workdir: Path) -> list[Row]:
    setup = json.loads(in_app(env, SETUP.format(size=size)))
    auth = {"Authorization": f"Bearer {setup['token']}"}
    bare, service, cold, empty = (servers[n] for n in ("bare", "service", "cold", "empty"))
    for server in (service, cold, empty):
        server.wait("/api/v1/member-states", auth)
    rows: list[Row] = []

    def row(label, result, connections=32, bare_rps=None):
        rps, p50, p99, errors, statements, _ = result
        bare_rps = bare_rps or rows[0].rps
        rows.append(Row(size, label, connections, rps, p50, p99, errors, statements, bare_rps))

    row("bare Flask endpoint, 20 KB JSON", measure(bare, "/bare", {}, 32, seconds), 32, 1)
    rows[0].bare_rps = rows[0].rps
    page = "/api/v1/contacts?page_size=100"
    etag = etag_of(service, page, auth)
    cases = [
        ("GET contacts?page_size=100 (unchanged)", page, {}),
        (
            "  the same, If-None-Match -> 304"
            if etag
            else "  the same, If-None-Match (no ETag answered: full responses)",
            page,
            {"If-None-Match": etag} if etag else {},
        ),
        ("GET member-states (unchanged)", "/api/v1/member-states", {}),
        ("GET member-states/completeness (unchanged)", "/api/v1/member-states/completeness", {}),
        ("GET contacts/{id} (unchanged)", f"/api/v1/contacts/{setup['contact']}", {}),
    ]
    for label, path, extra in cases:
        row(label, measure(service, path, {**auth, **extra}, 32, seconds))
    script = workdir / "varied.lua"
    script.write_text(VARIED_SCRIPT)
    varied = measure(service, "/api/v1/contacts", auth, 32, seconds * 2, script=script)
    row(f"varied keys ({varied[5]} requests: random page, random q)", varied)
    row("cold GET contacts?page_size=100 (answer rebuilt)", measure(cold, page, auth, 32, seconds))
    row("  the same, nothing kept at all", measure(empty, page, auth, 32, seconds))
    search = "/api/v1/contacts?q=office%2077&page_size=20"
    row("cold GET contacts?q=office%2077&page_size=20", measure(cold, search, auth, 1, seconds), 1)
    row("  the same, nothing kept at all", measure(empty, search, auth, 1, seconds), 1)
    return rows


def print_table(rows: list[Row], rss: list, database: str, elapsed: float) -> None:
    print(
        f"\nbench-http: {database}, gunicorn {WORKERS} sync workers, wrk 2 threads "
        f"(1 connection for the search), {elapsed:.0f} s in all; shared machine: expect noise"
    )
    header = (
        "contacts",
        "request",
        "conns",
        "req/s",
        "p50 ms",
        "p99 ms",
        "of bare",
        "SQL/req",
        "errors",
    )
    lines = [header]
    for row in rows:
        lines.append(
            (
                str(row.size),
                row.request,
                str(row.connections),
                f"{row.rps:.0f}",
                f"{row.p50:.1f}",
                f"{row.p99:.1f}",
                f"{100 * row.rps / row.bare_rps:.1f} %" if row.bare_rps else "-",
                "-" if row.statements is None else f"{row.statements:.1f}",
                str(row.errors),
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for number, line in enumerate(lines):
        print(
            " | ".join(
                cell.ljust(w) if i == 1 else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(line, widths, strict=True))
            )
        )
        if number == 0:
            print("-+-".join("-" * w for w in widths))
    print("\nworker RSS (MB), before the first run -> after the last (every size):")
    for label, before, after in rss:
        pairs = ", ".join(f"{b:.0f} -> {a:.0f}" for b, a in zip(before, after, strict=False))
        print(f"  {label}: {pairs}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--contacts",
        type=int,
        action="append",
        help="directory size to fill to (repeatable; default 1000 and 10000)",
    )
    parser.add_argument("--seconds", type=int, default=3, help="length of each wrk run")
    args = parser.parse_args(argv)
    sizes = sorted(args.contacts or [1000, 10000])
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk (make bench-http does it)")
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="bench-http-"))
    env = {
        **os.environ,
        "SERVICE_ENV": "production",
        "SECRET_KEY": SECRET_KEY,
        "SESSION_COOKIE_SECURE": "1",
    }
    env.setdefault("DATABASE_URL", f"sqlite:///{workdir}/bench.db")
    database = env["DATABASE_URL"].split(":")[0]
    try:
        prepare_database(env, sizes)
        in_app(env, SETUP.format(size=sizes[0]))  # filled before the servers start
        servers: dict[str, Gunicorn] = {}
        try:
            servers["bare"] = Gunicorn("tests.benchmarks.bare_app:app", env)
            servers["service"] = Gunicorn("service.wsgi:app", env, workdir / "counters")
            cold_env = {**env, "RESPONSE_CACHE_MB": "0"}
            servers["cold"] = Gunicorn("service.wsgi:app", cold_env, workdir / "cold")
            empty_env = {**cold_env, "ITEM_CACHE_MB": "0"}
            servers["empty"] = Gunicorn("service.wsgi:app", empty_env, workdir / "empty")
            servers["bare"].wait("/bare")
            for name in ("service", "cold", "empty"):
                servers[name].wait("/healthz")
            settle(list(servers.values()))
            rss_before = {name: servers[name].worker_rss_mb() for name in ("service", "cold")}
            rows: list[Row] = []
            for size in sizes:
                rows += run_size(size, env, args.seconds, servers, workdir)
            rss = [
                ("caches as configured", rss_before["service"], servers["service"].worker_rss_mb()),
                (
                    "RESPONSE_CACHE_MB=0 (items kept)",
                    rss_before["cold"],
                    servers["cold"].worker_rss_mb(),
                ),
            ]
        finally:
            for server in servers.values():
                server.stop()
        print_table(rows, rss, database, time.monotonic() - started)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
