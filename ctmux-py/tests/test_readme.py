"""The README's Python examples run as written (the test executes the README's own block)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_block(section: str, language: str) -> str:
    """The first fenced ``language`` block after the heading ``## section`` in README.md."""
    text = README.read_text()
    start = text.index(f"\n## {section}\n")
    match = re.compile(rf"```{language}\n(.*?)```", re.S).search(text, start)
    assert match is not None, f"no {language} block in section {section}"
    return match.group(1)


def test_python_agent_loop(capsys: pytest.CaptureFixture[str]) -> None:
    code = readme_block("Python", "python")
    exec(compile(code, f"{README}:Python", "exec"), {"__name__": "readme"})
    out = capsys.readouterr().out
    assert "check exit code: 0\n" in out
    assert "server exit code: 0\n" in out


def test_python_live_example(capsys: pytest.CaptureFixture[str]) -> None:
    code = readme_block("Live output and events", "python")
    exec(compile(code, f"{README}:Live", "exec"), {"__name__": "readme"})
    out = capsys.readouterr().out
    assert "tick 1\ntick 2\ntick 3\ncommand_finished 0\n" in out
    assert "daemon running: True\n" in out
