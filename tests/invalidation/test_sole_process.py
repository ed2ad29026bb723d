"""SQLite's principal cache is used only while no other server process shares the file: one
that is running, or one that ran since the last look."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from identity.invalidation.sole import SoleProcess

OTHER = """
import sys
from identity.invalidation.sole import SoleProcess
other = SoleProcess(__import__("pathlib").Path(sys.argv[1]))
other.open()
print("open", flush=True)
sys.stdin.readline()
other.close()
"""


def test_another_process_on_the_file_ends_being_alone(tmp_path: Path) -> None:
    database = tmp_path / "identity.db"
    sole = SoleProcess(database)
    sole.open()
    try:
        assert sole.alone()
        assert sole.alone()

        other = subprocess.Popen(
            [sys.executable, "-c", OTHER, str(database)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert other.stdout is not None
        assert other.stdin is not None
        assert other.stdout.readline() == b"open\n"
        assert not sole.alone()  # running beside us
        assert not sole.alone()
        other.stdin.write(b"\n")
        other.stdin.close()
        assert other.wait(timeout=30) == 0
        other.stdout.close()

        assert not sole.alone()  # it ran since the last look: what it wrote is unknown
        assert sole.alone()
    finally:
        sole.close()
    assert not sole.alone()  # closed: not usable


def test_an_in_memory_database_is_always_alone() -> None:
    assert SoleProcess(None).alone()
