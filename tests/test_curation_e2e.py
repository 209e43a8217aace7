"""A new report end to end in a copy of the repository: add, draft, fill the placeholders, check, fmt, figures."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

from .conftest import ROOT

REPORT = ROOT / "tests" / "fixtures" / "reports" / "press-release.txt"


def _kg(cwd, *args):
    return subprocess.run([sys.executable, "-m", "kg", *args], cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})


def test_add_draft_fill_check(tmp_path):
    for folder in ("ontology", "shapes", "data", "seeds"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    shutil.copy(REPORT, tmp_path / "seeds" / "900_press.txt")
    out = "data/press-2024-02-12.ttl"
    add = _kg(tmp_path, "add", "seeds/900_press.txt", "--url", "https://example.org/press/1", "--publisher",
              "Office of the Prosecutor General of Ukraine", "--published", "2024-02-12", "-o", out)
    assert add.returncode == 0, add.stderr
    added = (tmp_path / out).read_text()
    assert "kgr:org-office-prosecutor-general-ua" in added and "kg:text" not in added  # the text stays in seeds/
    draft = _kg(tmp_path, "draft", "seeds/900_press.txt", "-o", out)
    assert draft.returncode == 0, draft.stderr
    assert _kg(tmp_path, "fmt", "--check").returncode == 0

    failing = _kg(tmp_path, "check", out, "--format", "json")
    assert failing.returncode == 1
    assert f"kg check: root {tmp_path}" in failing.stderr  # the copy's root, not the original checkout's
    errors = [f for f in json.loads(failing.stdout)["findings"] if f["severity"] == "error"]
    assert errors and all("TODO-" in (f.get("value") or "") + f["message"] for f in errors)

    text = (tmp_path / out).read_text()
    filled = re.sub(r"kgr:TODO-indicator-\S+", "kgr:ind-children-returned", text)  # the curator's decision
    (tmp_path / out).write_text(filled)
    passing = _kg(tmp_path, "check", out)
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert _kg(tmp_path, "fmt", "--check").returncode == 0
    rows = json.loads(_kg(tmp_path, "figures", "--format", "json").stdout)
    ours = {(r["value"], r["qualifier"]) for r in rows
            if r["source"].endswith("prosecutor-general-of-ukraine-2024-02-12")}
    assert ours == {("1480", "at least"), ("312", "exactly")}
    served = _kg(tmp_path, "serve", "--get", "/figures.json")  # the copy's server serves the copy's files
    assert served.returncode == 0, served.stderr
    assert {(r["value"], r["qualifier"]) for r in json.loads(served.stdout)
            if r["source"].endswith("prosecutor-general-of-ukraine-2024-02-12")} == ours
    assert f"root {tmp_path}" in served.stderr


def test_add_rejects_a_file_outside_seeds(tmp_path):
    outside = tmp_path / "x.txt"
    outside.write_text("text\n")
    proc = _kg(ROOT, "add", str(outside), "--url", "https://e.org", "--publisher", "X", "--published", "2024")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and str(outside) in proc.stderr


def test_add_rejects_a_bad_date():
    proc = _kg(ROOT, "add", "seeds/000_8473d3711dabfeda.txt", "--url", "https://e.org", "--publisher", "X",
               "--published", "20 Nov 2023")
    assert proc.returncode == 2 and "--published" in proc.stderr
