"""ruff stays clean (CI enforces it through the test suite)."""

from __future__ import annotations

import subprocess
import sys

from .conftest import ROOT


def test_ruff_clean():
    # --no-cache: a stale cache once hid an unsorted import block that a clean clone's CI then found
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", str(ROOT)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
