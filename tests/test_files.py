"""atomic_write_text: complete files or none, exclusive creation, no leftovers."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import tui_app
from tui_app import files
from tui_app.files import atomic_write_text

REPO_ROOT = Path(tui_app.__file__).resolve().parents[1]
POSIX_ONLY = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions and signals")


def leftovers(folder: Path) -> list:
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_writes_text_and_creates_the_folder(tmp_path):
    target = tmp_path / "a" / "b" / "out.toml"
    assert atomic_write_text(target, "héllo\n") == target
    assert target.read_bytes() == "héllo\n".encode()
    assert leftovers(target.parent) == []


@POSIX_ONLY
def test_applies_the_mode(tmp_path):
    target = atomic_write_text(tmp_path / "out.txt", "x", mode=0o600)
    assert target.stat().st_mode & 0o777 == 0o600


def test_overwrite_replaces_the_file(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    atomic_write_text(target, "new")
    assert target.read_text() == "new"


def test_refuses_to_overwrite_when_asked(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(FileExistsError) as caught:
        atomic_write_text(target, "new", overwrite=False)
    assert caught.value.filename == str(target)
    assert target.read_text() == "old"
    assert leftovers(tmp_path) == []


def test_exclusive_create_writes_a_new_file(tmp_path):
    target = atomic_write_text(tmp_path / "new.txt", "content", overwrite=False)
    assert target.read_text() == "content"
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("exists", [False, True])
def test_exclusive_create_without_hard_links(tmp_path, monkeypatch, exists):
    def no_links(*args, **kwargs):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    target = tmp_path / "out.txt"
    if exists:
        target.write_text("old")
        with pytest.raises(FileExistsError):
            atomic_write_text(target, "new", overwrite=False)
        assert target.read_text() == "old"
    else:
        atomic_write_text(target, "new", overwrite=False)
        assert target.read_text() == "new"
    assert leftovers(tmp_path) == []


def test_exclusive_create_race_has_exactly_one_winner(tmp_path):
    target = tmp_path / "race.txt"
    barrier = threading.Barrier(8)
    winners, losers = [], []

    def contender(number: int) -> None:
        barrier.wait()
        try:
            atomic_write_text(target, f"writer {number}\n" * 1000, overwrite=False)
            winners.append(number)
        except FileExistsError:
            losers.append(number)

    threads = [threading.Thread(target=contender, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1 and len(losers) == 7
    assert target.read_text() == f"writer {winners[0]}\n" * 1000
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_failure_keeps_the_old_file_and_removes_the_temp_file(tmp_path, monkeypatch, failing):
    target = tmp_path / "out.txt"
    target.write_text("old")

    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, failing, boom)
    with pytest.raises(OSError, match="No space left"):
        atomic_write_text(target, "new" * 1000)
    assert target.read_text() == "old"
    assert leftovers(tmp_path) == []


def test_interrupted_write_removes_the_temp_file(tmp_path, monkeypatch):
    target = tmp_path / "out.txt"

    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(files.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_text(target, "new")
    assert not target.exists()
    assert leftovers(tmp_path) == []


CRASHING_WRITER = """
import sys
from tui_app.files import atomic_write_text

target, size = sys.argv[1], int(sys.argv[2])
number = 0
while True:
    atomic_write_text(target, str(number % 10) * size)
    if number == 0:
        print("ready", flush=True)
    number += 1
"""


@POSIX_ONLY
def test_sigkill_during_writes_never_leaves_a_partial_file(tmp_path):
    target = tmp_path / "victim.txt"
    size = 2_000_000
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    for _ in range(6):
        child = subprocess.Popen(
            [sys.executable, "-c", CRASHING_WRITER, str(target), str(size)],
            stdout=subprocess.PIPE,
            env=env,
        )
        assert child.stdout.readline().strip() == b"ready"
        time.sleep(random.uniform(0.0, 0.2))
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
        content = target.read_bytes()
        assert len(content) == size
        assert content == content[:1] * size
