"""`pip install .` gives a working service from any directory: the wheel carries templates,
migrations and seed data, and its dependencies (no extras) are enough to sign in."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest
import requests

from .conftest import PROJECT_ROOT
from .fixtures.oidc import _free_port

BUILD_TIMEOUT = 300
START_TIMEOUT = 60


def run(args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, check=False, **kwargs)


def wait_until_up(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the installed service exited with {process.returncode}")
        try:
            if requests.get(url, timeout=5).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or still booting
            pass
        time.sleep(0.3)
    raise AssertionError(f"the installed service did not answer {url}")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> tuple:
    dist = tmp_path_factory.mktemp("dist")
    # built from the files a clone holds (no build/ or egg-info left over from the checkout)
    source = tmp_path_factory.mktemp("clone")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        if (PROJECT_ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(PROJECT_ROOT / name, source / name)
    build = run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-w", str(dist)],
        timeout=BUILD_TIMEOUT,
    )
    assert build.returncode == 0, build.stderr
    (path,) = dist.glob("*.whl")
    return path, build


def test_the_wheel_builds_without_warnings(wheel):
    _, build = wheel
    warnings = [
        line
        for line in (build.stdout + build.stderr).splitlines()
        if re.search(r"warn", line, re.IGNORECASE) and "is ignored" not in line
    ]
    assert warnings == []


def test_an_installed_wheel_migrates_seeds_serves_and_signs_in_from_an_empty_directory(
    wheel, tmp_path
):
    path, _ = wheel
    venv = tmp_path / "venv"
    assert run([sys.executable, "-m", "venv", str(venv)], timeout=120).returncode == 0
    install = run([str(venv / "bin" / "pip"), "install", "--quiet", str(path)], timeout=600)
    assert install.returncode == 0, install.stderr

    elsewhere = tmp_path / "empty"
    elsewhere.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SERVICE_", "DATABASE_", "SEED_", "FLASK_", "OIDC_"))
    }
    # production settings: only what a deployment must give (plain HTTP on loopback here)
    env |= {"SECRET_KEY": "packaging-test-secret-" + "x" * 32, "SESSION_COOKIE_SECURE": "0"}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    flask = [str(venv / "bin" / "flask"), "--app", "service"]

    def command(*args: str, **extra) -> subprocess.CompletedProcess:
        result = run([*flask, *args], cwd=elsewhere, env=env | extra, timeout=300)
        assert result.returncode == 0, result.stderr
        return result

    command("db", "upgrade")
    seeded = command("seed")
    assert "created 35 member_states" in seeded.stdout
    command("users", "create-admin", "admin@example.org", ADMIN_PASSWORD="a long password 123")
    assert list(elsewhere.iterdir()) == []  # nothing written where it was run

    port = _free_port()
    server = subprocess.Popen(
        [
            str(venv / "bin" / "gunicorn"),
            "-w",
            "1",
            "-b",
            f"127.0.0.1:{port}",
            "service:create_app()",
        ],
        cwd=elsewhere,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/readyz", server)
        browser = requests.Session()
        page = browser.get(f"{base}/auth/login", timeout=10)
        assert page.status_code == 200
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        signed_in = browser.post(
            f"{base}/auth/local-login",
            data={
                "csrf_token": token,
                "email": "admin@example.org",
                "password": "a long password 123",
                "next": "/auth/signed-in",
            },
            timeout=10,
        )
        assert signed_in.status_code == 200
        assert "You are signed in as admin@example.org (secretariat)" in signed_in.text
        states = browser.get(f"{base}/api/v1/member-states", timeout=10)
        assert states.status_code == 200
        assert len(states.json()) == 35
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
