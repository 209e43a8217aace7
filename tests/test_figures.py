"""`kg figures`: every document's figures; the seed article's exactly as it states them."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

from kg.cli import main
from kg.figures import COLUMNS, figures

from .conftest import ROOT

ARTICLE = "https://w3id.org/ua-children-kg/id/doc-mindua-20265865"


def article_rows(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The rows of the seed article: other documents' figures come and go as curators add sources."""
    return [r for r in rows if r["source"] == ARTICLE]

# value -> (qualifier, claimant, stated, stated_basis, as_of): what the article says, with the dates as encoded.
EXPECTED = {
    "11000": ("at least", "UK Defence Intelligence", "2023-11-20", "external", "2023-11-20"),
    "43": ("exactly", "UK Defence Intelligence", "2023-11-20", "external", "2023-11-20"),
    "19546": ("exactly", "Ukraine", "2023-08", "external", "2023-07-31"),
    "387": ("exactly", "Ukraine", "2023-11", "inferred", "2023-11-20"),
    "700000": ("more than", "Maria Lvova-Belova", "2023-07", "inferred", ""),
    "2400": ("about", "", "2023-11", "inferred", ""),
    "2000": ("more than", "", "2023-11", "inferred", ""),
    "392": ("exactly", "", "2023-11", "inferred", ""),
    "12": ("exactly", "", "2023-11", "inferred", ""),
}


def test_the_articles_figures_are_exactly_what_it_states(kg):
    rows = article_rows(figures(kg))
    got = {r["value"]: (r["qualifier"], r["claimant"], r["stated"], r["stated_basis"], r["as_of"]) for r in rows}
    assert got == EXPECTED
    assert len(rows) == len(EXPECTED)
    assert {r["reported_by"] for r in rows} == {"mind.ua"}


def test_figures_sorted_by_stated_date_then_value(kg):
    values = [int(r["value"]) for r in article_rows(figures(kg))]
    assert values == [700000, 19546, 12, 387, 392, 2000, 2400, 43, 11000]
    every = figures(kg)
    keys = [(r["stated"], int(r["value"])) for r in every]
    assert len(every) > len(values)
    starts = [r["stated"][:7] for r in every if r["stated"]]
    assert starts == sorted(starts), keys  # month prefixes of the stated dates never go backwards


def test_each_quote_contains_its_figure(kg):
    text = (ROOT / "seeds" / "000_8473d3711dabfeda.txt").read_text(encoding="utf-8")
    for r in article_rows(figures(kg)):
        assert r["quote"] in text
        digits = r["quote"].replace(",", "")
        assert r["value"] in digits, r


def test_outside_figures_quote_their_phrase(kg):
    """A figure backed by an external citation shows the phrase as its document writes it."""
    outside = [r for r in figures(kg) if r["source"] != ARTICLE]
    assert {r["claimant"] for r in outside} >= {"Yale School of Public Health Humanitarian Research Lab",
                                                 "UK Ministry of Defence", "Ukraine", "Maria Lvova-Belova"}
    for r in outside:
        assert r["value"] in r["quote"].replace(",", "").replace("2 000", "2000"), r
    assert any(r["value"] == "2442" and r["quote"] == "at least 2,442" for r in outside)


def test_cli_csv_header_and_rows(capsysbinary):
    assert main(["figures", "--format", "csv", "--root", str(ROOT)]) == 0
    out = capsysbinary.readouterr().out.decode()
    header = "claim,value,qualifier,indicator,claimant,reported_by,stated,stated_basis,as_of,source,quote"
    assert out.splitlines()[0] == header
    rows = article_rows(list(csv.DictReader(io.StringIO(out))))
    assert [r["value"] for r in rows] == [str(v) for v in [700000, 19546, 12, 387, 392, 2000, 2400, 43, 11000]]
    assert rows[-1]["quote"].startswith("At least 11,000 illegally taken Ukrainian children")


def test_cli_json_and_table(capsys, kg):
    assert main(["figures", "--format", "json", "--root", str(ROOT)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [list(d) for d in data] == [list(COLUMNS)] * len(figures(kg))
    assert len(article_rows(data)) == 9
    assert main(["figures", "--root", str(ROOT)]) == 0
    table = capsys.readouterr().out
    assert table.splitlines()[0].split() == list(COLUMNS)
    assert "19546" in table


def test_console_script_and_module_entry_point(kg):
    """`python -m kg figures` works in a fresh process (the console script calls the same main)."""
    proc = subprocess.run([sys.executable, "-m", "kg", "figures", "--format", "csv"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("\n") == 1 + len(figures(kg))
