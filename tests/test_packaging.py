"""`pip install .` gives a working service from any directory: the wheel carries templates,
migrations and seed data, and its dependencies (no extras) are enough to sign in.

Tests talk to loopback only: the wheel's dependencies are not fetched from the package registry
but taken from this environment, only those the wheel requires (no extras) and theirs, linked
into a folder the fresh environment reads; `pip check` then proves they satisfy the wheel.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
import requests
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

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


def link_runtime_dependencies(wheel: Path, into: Path) -> Path:
    """The distributions the wheel requires (its Requires-Dist without extras, and what those
    require, with the extras they name), linked from this environment into `into`."""
    with zipfile.ZipFile(wheel) as archive:
        (metadata,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        requires = Parser().parsestr(archive.read(metadata).decode()).get_all("Requires-Dist")
    pending = [(Requirement(line), "") for line in requires or []]
    seen: set[str] = set()
    into.mkdir()
    while pending:
        requirement, extra = pending.pop()
        if requirement.marker and not requirement.marker.evaluate({"extra": extra}):
            continue
        name = canonicalize_name(requirement.name)
        key = f"{name}[{','.join(sorted(requirement.extras))}]"
        if key in seen:
            continue
        seen.add(key)
        distribution = importlib.metadata.distribution(name)
        for top in {file.parts[0] for file in distribution.files or () if file.parts[0] != ".."}:
            link = into / top
            if not link.exists():
                link.symlink_to(Path(str(distribution.locate_file(top))))
        for line in distribution.requires or []:
            for wanted in ("", *requirement.extras):
                pending.append((Requirement(line), wanted))
    return into


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
        [
            *(sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-w", str(dist)),
            # this environment's setuptools and babel (the dev extra): nothing fetched
            *("--no-build-isolation", "--no-index"),
        ],
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
    python = str(venv / "bin" / "python")
    site_packages = run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], timeout=60
    ).stdout.strip()
    dependencies = link_runtime_dependencies(path, tmp_path / "dependencies")
    (Path(site_packages) / "dependencies.pth").write_text(f"{dependencies}\n")
    install = run(
        [python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(path)],
        timeout=600,
    )
    assert install.returncode == 0, install.stderr
    check = run([python, "-m", "pip", "check"], timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr  # every requirement met

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
    flask = [python, "-m", "flask", "--app", "service"]

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
            python,
            "-m",
            "gunicorn",
            "-w",
            "1",
            "-b",
            f"127.0.0.1:{port}",
            "service.wsgi:app",
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
