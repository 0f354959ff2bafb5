"""The README works as written: its shell blocks run, in a fresh shell, against `make run`.

A fresh copy of the checkout (what `git clone` gives, with this .venv) serves with
`make run PORT=…` on a free loopback port; every ```sh block not marked
`<!-- readme-test: skip (why) -->` then runs, in order, in one bash with `set -euo pipefail`
and none of the settings `make` gives (no SERVICE_ENV, SECRET_KEY or DATABASE_URL).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time

import pytest
import requests

from .conftest import PROJECT_ROOT
from .fixtures.oidc import _free_port

README = PROJECT_ROOT / "README.md"
BLOCK = re.compile(
    r"(?:<!-- readme-test: skip \((?P<skip>.*?)\) -->\n)?```sh\n(?P<body>.*?)```", re.S
)
START_TIMEOUT = 300  # installs nothing (the .venv is ready) but migrates and seeds the demo
# settings `make` or the test session would give; a fresh shell has none of them
NOT_IN_A_FRESH_SHELL = ("SERVICE_ENV", "SECRET_KEY", "DATABASE_URL", "SEED_DIR", "MAKE", "MFLAGS")


def readme_blocks() -> list[tuple[str | None, str]]:
    return [(m["skip"], m["body"]) for m in BLOCK.finditer(README.read_text("utf-8"))]


def fresh_shell_environment() -> dict:
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(NOT_IN_A_FRESH_SHELL) and not key.startswith(("FLASK_", "OIDC_"))
    }


@pytest.fixture(scope="module")
def fresh_checkout(tmp_path_factory):
    """The files a clone holds (tracked and new, not ignored), with this checkout's .venv."""
    if not (PROJECT_ROOT / ".venv" / "bin" / "flask").exists():
        pytest.fail("run `make install` first: the README's commands use .venv")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    checkout = tmp_path_factory.mktemp("clone")
    for name in filter(None, listed.split("\0")):
        source = PROJECT_ROOT / name
        if source.is_file():
            (checkout / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, checkout / name)  # keeps times: make sees the .venv up to date
    (checkout / ".venv").symlink_to(PROJECT_ROOT / ".venv")
    return checkout


@pytest.fixture(scope="module")
def make_run(fresh_checkout):
    """`make run PORT=…` as the README says, stopped (its whole process group) at the end."""
    port = _free_port()
    log = open(fresh_checkout / "make-run.log", "w")  # noqa: SIM115 (closed below)
    server = subprocess.Popen(
        ["make", "run", f"PORT={port}"],
        cwd=fresh_checkout,
        env=fresh_shell_environment(),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if server.poll() is not None:
                pytest.fail("make run exited:\n" + (fresh_checkout / "make-run.log").read_text())
            try:
                if requests.get(f"http://127.0.0.1:{port}/readyz", timeout=5).ok:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    "make run did not serve:\n" + (fresh_checkout / "make-run.log").read_text()
                )
            time.sleep(0.5)
        yield port
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)
        log.close()


def test_the_readme_marks_why_each_block_it_does_not_run():
    blocks = readme_blocks()
    assert len(blocks) >= 4
    assert all(skip.strip() for skip, _ in blocks if skip is not None)
    assert any("make run" in body for skip, body in blocks if skip is not None)


def test_every_readme_shell_block_runs_as_written_against_make_run(fresh_checkout, make_run):
    script = "\n".join(body for skip, body in readme_blocks() if skip is None)
    script = script.replace("127.0.0.1:5000", f"127.0.0.1:{make_run}")
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=fresh_checkout,
        env=fresh_shell_environment(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert '"en":"Argentina"' in out.replace(" ", "")  # the member states, as a partner reads them
    assert re.search(r"^X-Pagination: .*\"total\"", out, re.M | re.I)
    assert "Monday to Friday, 08:00-18:00" in out
    assert "BEGIN:VCARD" in out and "VERSION:4.0" in out
    saved = list(fresh_checkout.glob("contacts-*.csv"))  # curl -OJ: the name the server gave
    assert len(saved) == 1 and saved[0].read_text("utf-8").startswith("id,member_state,")


@pytest.mark.parametrize(
    ("port", "message"),
    [
        ("abc", "PORT must be a number from 1 to 65535, not 'abc'."),
        ("70000", "PORT must be a number from 1 to 65535, not '70000'."),
        ("taken", "is already in use by another program. Stop it, or choose another port"),
    ],
)
def test_make_run_says_clearly_when_the_port_is_taken_or_not_a_number(port, message):
    with socket_listening() as taken:
        port = str(taken) if port == "taken" else port
        result = subprocess.run(
            ["make", "-s", "check-port", f"PORT={port}"],
            cwd=PROJECT_ROOT,
            env=fresh_shell_environment(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert result.returncode != 0
    assert message in result.stderr


class socket_listening:  # noqa: N801 (used as a context manager)
    def __enter__(self) -> int:
        import socket

        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen()
        return self.socket.getsockname()[1]

    def __exit__(self, *exc) -> None:
        self.socket.close()
