"""docker-compose.yml runs what the README says (scripts/check-compose), and the check bites."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "check-compose"


def check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(path)], capture_output=True, text=True, check=False
    )


def test_the_compose_file_passes() -> None:
    result = check(ROOT / "docker-compose.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_broken_compose_file_fails_with_each_problem(tmp_path: Path) -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    broken = (
        text.replace("replicas: 2", "replicas: 1")
        .replace("IDENTITY_TRUSTED_PROXIES: 172.28.0.0/16", "IDENTITY_TRUSTED_PROXYS: 10.0.0.0/8")
        .replace("./deploy/nginx.conf", str(ROOT / "deploy" / "nginx.conf"))
    )
    path = tmp_path / "docker-compose.yml"
    path.write_text(broken)
    result = check(path)
    assert result.returncode == 1
    assert "app must run 2 replicas" in result.stdout
    assert "IDENTITY_TRUSTED_PROXYS is not a setting the app reads" in result.stdout
    assert "IDENTITY_TRUSTED_PROXIES must cover the network 172.28.0.0/16" in result.stdout
