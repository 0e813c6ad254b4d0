"""A long step says so on a terminal, and nothing anywhere else."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from conftest import cli_env, copy_seed_project


def _run_on_terminal(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    """Run the command with stderr on a pseudo-terminal: (exit code, stdout, stderr)."""
    master, slave = pty.openpty()
    try:
        done = subprocess.run([sys.executable, "-m", "clusterkg", *args], stdout=subprocess.PIPE,
                              stderr=slave, env=env, timeout=300, check=False)
    finally:
        os.close(slave)
    said = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the terminal is closed once everything is read
            break
        if not chunk:
            break
        said += chunk
    os.close(master)
    return done.returncode, done.stdout.decode(), said.decode().replace("\r\n", "\n")


def test_slow_steps_are_announced_on_a_terminal_only(tmp_path: Path) -> None:
    home = copy_seed_project(tmp_path / "home")
    args = ["--home", str(home), "stats"]
    env = cli_env(CLUSTERKG_CACHE_DIR=str(tmp_path / "cache"), CLUSTERKG_SLOW_AFTER="0")
    code, out, err = _run_on_terminal(args, env)
    assert code == 0 and "Source graphs: 2" in out
    assert "clusterkg: making the store for the data files as they are now" in err, err
    assert "clusterkg: counting (once per version of the graph" in err, err
    assert err.count("clusterkg: done (") == 2, err
    # the next stats: the store is there and the counts are kept, so nothing is slow
    code, _, err = _run_on_terminal(args, env)
    assert code == 0 and err == "", err
    # not on a terminal: not a word, however slow
    (home / "graph" / "000_e55087a455a2a3a4.trig").touch()
    piped = subprocess.run([sys.executable, "-m", "clusterkg", *args], capture_output=True,
                           text=True, env=env, timeout=300, check=False)
    assert piped.returncode == 0 and piped.stderr == "", piped.stderr


def test_validation_and_new_facts_are_announced_on_a_terminal(tmp_path: Path) -> None:
    from conftest import ROOT

    home = copy_seed_project(tmp_path / "home")
    env = cli_env(CLUSTERKG_CACHE_DIR=str(tmp_path / "cache"), CLUSTERKG_SLOW_AFTER="0")
    code, _, err = _run_on_terminal(["--home", str(home), "validate"], env)
    assert code == 0 and "clusterkg: validating the whole graph against the shapes" in err, err
    facts = ROOT / "tests" / "data" / "facts" / "good.ttl"
    code, _, err = _run_on_terminal(
        ["--home", str(home), "validate", str(facts), "--source", "Progress"], env)
    assert code == 0, err
    assert "clusterkg: checking the new facts against the graph and the shapes" in err, err
    code, out, err = _run_on_terminal(
        ["--home", str(home), "add", str(facts), "--source", "Progress"], env)
    assert code == 0 and "Added" in out, err
    assert "clusterkg: checking the new facts against the graph and the shapes" in err, err
