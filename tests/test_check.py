"""``kg check``: one broken addition per rule, each finding at the exact file:line:column where the problem is
written; valid additions and the repository's own data pass; exit codes 0/1/2; hostile input never a traceback;
the incremental run finds what a full run finds."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import jsonschema
import pytest

from kg.check.report import Report, render
from kg.check.runner import RULES, check
from kg.cli import main
from kg.settings import Settings

from .conftest import FIXTURES, ROOT

CHECK = FIXTURES / "check"
REL = "tests/fixtures/check/"


@pytest.fixture(scope="module")
def reports(settings: Settings) -> dict[str, Report]:
    """Each fixture checked once (incrementally, within the repository graph), on first use."""
    cache: dict[str, Report] = {}

    class Lazy(dict):  # type: ignore[type-arg]
        def __missing__(self, name: str) -> Report:
            cache[name] = check([CHECK / name], settings=settings)
            return cache[name]

    return Lazy()


def at(name: str, needle: str, occurrence: int = 1) -> str:
    """``file:line:col`` of the ``occurrence``-th ``needle`` in a fixture (what a finding must point at)."""
    text = (CHECK / name).read_text(encoding="utf-8")
    index = -1
    for _ in range(occurrence):
        index = text.index(needle, index + 1)
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return f"{REL}{name}:{line}:{column}"


def located(report: Report, rule: str) -> set[str]:
    return {f.location for f in report.findings if f.rule == rule}


def test_valid_addition_conforms(reports):
    report = reports["valid_claim.ttl"]
    assert report.findings == ()
    assert report.conforms and report.mode == "incremental"
    assert report.checked == (REL + "valid_claim.ttl",)


@pytest.mark.parametrize(("name", "rule", "needles", "fragment"), [
    ("syntax.ttl", "syntax", [("kgr:fixture-claim-387-returned-2023-12 a", 1)], "dot is expected"),
    ("vocabulary.ttl", "vocabulary", [("kg:atributedTo", 1), ("oa:hasSelecter", 1), ("kg:evidence ;", 1)],
     "did you mean kg:attributedTo?"),
    ("shacl.ttl", "shacl", [('"387"', 1), ("[ a kg:DateDescription", 1)], "kg:value must be exactly one number"),
    ("source_text.ttl", "source-text", [('"So far', 1)], "the quote is at [914, 959)"),
    ("references.ttl", "references", [("kgr:state-uk", 1), ("kgr:state-uk", 2)], "did you mean kgr:state-ua?"),
    ("duplicates.ttl", "duplicates", [("kgr:fixture-claim-387-returned-2023-12 a", 1), ('"Ukraine"@en', 1)],
     "same figure as kgr:claim-387-children-returned"),
    ("dates.ttl", "dates", [("kg:Stated", 2)], "narrower than 2023-12-01 to 2023-12-31"),
    ("consistency.ttl", "consistency", [("kgr:facility-dubrava-centre", 1)],
     "kg:Facility and kg:Agent are disjoint"),
])
def test_each_rule_names_file_line_and_column(reports, name, rule, needles, fragment):
    report = reports[name]
    assert not report.conforms
    assert located(report, rule) == {at(name, needle, n) for needle, n in needles}, report.findings
    assert any(fragment in f.message for f in report.findings if f.rule == rule), report.findings


def test_vocabulary_messages_suggest_the_declared_term(reports):
    messages = {f.message for f in reports["vocabulary.ttl"].findings if f.rule == "vocabulary"}
    assert "oa:hasSelecter is not a term of oa: (http://www.w3.org/ns/oa#); did you mean oa:hasSelector?" in messages
    assert "kg:evidence is a property in the ontology, used here as a class (after 'a')" in messages


def test_shacl_finding_carries_focus_label_path_and_value(reports):
    [value] = [f for f in reports["shacl.ttl"].findings if "must be exactly one number" in f.message]
    assert value.severity == "error"
    assert value.focus == "https://w3id.org/ua-children-kg/id/fixture-claim-387-returned-2023-12"
    assert value.label.startswith("Fixture: 387 children returned")
    assert value.path == "https://w3id.org/ua-children-kg/ontology#value" and value.value == "387"
    [date] = [f for f in reports["shacl.ttl"].findings if "does not fit the value" in f.message]
    assert date.focus.startswith("_:")
    assert date.message.startswith("the kg:DateDescription of kgr:fixture-act-returns-2023-12 kg:date:")


def test_consistency_is_explained_in_curators_words(reports):
    [finding] = [f for f in reports["consistency.ttl"].findings if f.rule == "consistency"]
    assert finding.message == (
        "kgr:facility-dubrava-centre is a kg:Facility, but kgr:fixture-claim-387-returned-2023-12 kg:attributedTo "
        "kgr:facility-dubrava-centre, and kg:attributedTo expects a kg:Agent; kg:Facility and kg:Agent are disjoint")


def test_duplicate_label_is_a_warning(reports):
    severities = {f.severity for f in reports["duplicates.ttl"].findings if "minted twice" in f.message}
    assert severities == {"warning"}


def test_report_is_sorted_and_rendered_as_text(reports):
    report = reports["references.ttl"]
    assert list(report.findings) == sorted(report.findings)
    lines = render(report, "text", root=ROOT).splitlines()
    assert lines[0] == (f"{at('references.ttl', 'kgr:state-uk')}: error [references] kgr:state-uk is used here but "
                        "described nowhere: no file of ontology/ or data/ has a triple about it; did you mean "
                        "kgr:state-ua?")


def test_incremental_run_finds_what_a_full_run_finds(tmp_path, settings):
    """The broken additions checked alone (incremental) and as part of data/ (full run): same findings."""
    added = [CHECK / "shacl.ttl", CHECK / "consistency.ttl"]
    for name in ("ontology", "shapes", "seeds"):
        (tmp_path / name).symlink_to(ROOT / name, target_is_directory=True)
    shutil.copytree(ROOT / "data", tmp_path / "data")
    for f in added:
        shutil.copy(f, tmp_path / "data" / f.name)
    full = check(settings=Settings(root=tmp_path))
    incremental = check(added, settings=settings)

    def key(report: Report) -> set[tuple[str, int, int, str, str, str]]:
        return {(Path(f.file).name, f.line, f.column, f.severity, f.rule, f.message) for f in report.findings}

    assert full.mode == "full" and incremental.mode == "incremental"
    assert {r for r in key(full) if r[4] == "shacl"} and {r for r in key(full) if r[4] == "consistency"}
    assert key(incremental) == key(full)


def test_repository_data_passes_check(settings):
    report = check(settings=settings)
    assert report.findings == ()
    assert len(report.checked) >= 4


# --- CLI, formats, exit codes ---------------------------------------------------------------------------------

def test_exit_0_when_the_addition_conforms(capsys):
    assert main(["check", str(CHECK / "valid_claim.ttl")]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "0 errors, 0 warnings in 1 file (incremental check)" in captured.err


def test_exit_1_with_located_findings_on_stdout(capsys):
    assert main(["check", str(CHECK / "references.ttl")]) == 1
    out = capsys.readouterr().out
    assert f"{at('references.ttl', 'kgr:state-uk')}: error [references]" in out


def test_exit_2_for_a_missing_path(capsys):
    assert main(["check", "data/does-not-exist.ttl"]) == 2
    assert "data/does-not-exist.ttl: no such file or directory" in capsys.readouterr().err


def test_exit_2_for_a_broken_symlink(tmp_path, capsys):
    link = tmp_path / "dangling.ttl"
    link.symlink_to(tmp_path / "gone.ttl")
    assert main(["check", str(link)]) == 2
    assert f"{link}: a dangling symbolic link" in capsys.readouterr().err


def test_exit_2_for_an_unreadable_folder(tmp_path, capsys, monkeypatch):
    # Tests run as root, for whom chmod 000 does not prevent reading: make the listing fail as it would.
    folder = tmp_path / "private"
    folder.mkdir()

    real_scandir = os.scandir

    def refuse(path):
        if Path(path) == folder:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", refuse)
    assert main(["check", str(folder)]) == 2
    assert "cannot read the folder (Permission denied)" in capsys.readouterr().err


def test_exit_2_for_an_unreadable_file(tmp_path, capsys, monkeypatch):
    target = tmp_path / "secret.ttl"
    target.write_text("")
    real_open = os.open

    def refuse(path, *args, **kwargs):
        if Path(path).name == "secret.ttl":
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    assert main(["check", str(target)]) == 2
    assert "secret.ttl: cannot read (Permission denied)" in capsys.readouterr().err


def test_exit_2_for_a_file_that_is_not_turtle(capsys):
    assert main(["check", "README.md"]) == 2
    assert "kg check reads Turtle files" in capsys.readouterr().err


def test_list_rules_names_every_rule_once(capsys):
    assert main(["check", "--list-rules"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == [r.id for r in RULES]
    assert {r.id for r in RULES} == {"syntax", "shacl", "vocabulary", "source-text", "references", "duplicates",
                                     "dates", "consistency", "iri-scheme"}


@pytest.mark.parametrize(("content", "expected"), [
    (b"\x00\xff\xfe\x89PNG\r\n\x1a\n garbage", ":1:2: error [syntax] not UTF-8 text: byte 0xff"),
    ('@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n<https://w3id.org/ua-children-kg/id/x> rdfs:label '
     '"café"@fr .\n'.encode("latin-1"), ":2:55: error [syntax] not UTF-8 text: byte 0xe9"),
    (b"@prefix ex: <http://example.org/> .\nex:a ex:b ex:c ;; .\nex:a ex:b ex:c ex:d .\n",
     ":3:16: error [syntax]"),
])
def test_hostile_input_gives_a_finding_not_a_traceback(tmp_path, capsys, content, expected):
    bad = tmp_path / "bad.ttl"
    bad.write_bytes(content)
    assert main(["check", str(bad)]) == 1
    captured = capsys.readouterr()
    assert f"{bad}{expected}" in captured.out
    assert "Traceback" not in captured.err


def test_a_5mb_literal_is_a_finding(tmp_path, capsys):
    big = tmp_path / "big.ttl"
    big.write_text('@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n'
                   '<https://w3id.org/ua-children-kg/id/x> rdfs:label\n    "' + "A" * 5_000_000 + '"@en .\n')
    assert main(["check", str(big)]) == 1
    out = capsys.readouterr().out
    assert f"{big}:3:5: error [syntax] a literal of 5,000,000 characters is longer than the 1,000,000" in out


def test_other_files_are_checked_after_a_syntax_error(reports, settings):
    report = check([CHECK / "syntax.ttl", CHECK / "references.ttl"], settings=settings)
    assert {f.rule for f in report.findings} >= {"syntax", "references"}


def test_json_output(capsys):
    assert main(["check", str(CHECK / "duplicates.ttl"), "--format", "json"]) == 1
    body = json.loads(capsys.readouterr().out)
    assert body["conforms"] is False and body["errors"] == 1 and body["warnings"] == 1
    assert {f["rule"] for f in body["findings"]} == {"duplicates"}
    assert set(body["findings"][0]) == {"file", "line", "column", "severity", "rule", "message", "focus", "label",
                                        "path", "value"}


# The parts of the OASIS SARIF 2.1.0 schema (Schemata/sarif-schema-2.1.0.json) that this log uses, with their
# required properties, enums and minimums as the standard states them.
SARIF_SUBSET = {
    "type": "object", "required": ["version", "runs"], "additionalProperties": False,
    "properties": {
        "$schema": {"type": "string"}, "version": {"enum": ["2.1.0"]},
        "runs": {"type": "array", "items": {"$ref": "#/definitions/run"}},
    },
    "definitions": {
        "message": {"type": "object", "anyOf": [{"required": ["text"]}, {"required": ["id"]}],
                    "properties": {"text": {"type": "string"}}},
        "run": {"type": "object", "required": ["tool"], "properties": {
            "tool": {"type": "object", "required": ["driver"], "properties": {"driver": {
                "type": "object", "required": ["name"], "properties": {
                    "name": {"type": "string"}, "version": {"type": "string"},
                    "informationUri": {"type": "string", "format": "uri"},
                    "rules": {"type": "array", "items": {
                        "type": "object", "required": ["id"], "properties": {
                            "id": {"type": "string"}, "shortDescription": {"$ref": "#/definitions/message"}}}}}}}},
            "originalUriBaseIds": {"type": "object", "additionalProperties": {
                "type": "object", "properties": {"uri": {"type": "string", "format": "uri-reference"}}}},
            "columnKind": {"enum": ["utf16CodeUnits", "unicodeCodePoints"]},
            "results": {"type": "array", "items": {"$ref": "#/definitions/result"}}}},
        "result": {"type": "object", "required": ["message"], "properties": {
            "ruleId": {"type": "string"}, "ruleIndex": {"type": "integer", "minimum": -1},
            "level": {"enum": ["none", "note", "warning", "error"]},
            "message": {"$ref": "#/definitions/message"},
            "locations": {"type": "array", "items": {"type": "object", "properties": {"physicalLocation": {
                "type": "object", "properties": {
                    "artifactLocation": {"type": "object", "properties": {
                        "uri": {"type": "string", "format": "uri-reference"}, "uriBaseId": {"type": "string"}}},
                    "region": {"type": "object", "properties": {
                        "startLine": {"type": "integer", "minimum": 1},
                        "startColumn": {"type": "integer", "minimum": 1}}}}}}}},
            "properties": {"type": "object"}}},
    },
}


def test_sarif_output_follows_sarif_2_1_0(capsys):
    assert main(["check", str(CHECK / "vocabulary.ttl"), "--format", "sarif"]) == 1
    log = json.loads(capsys.readouterr().out)
    jsonschema.validate(log, SARIF_SUBSET)
    run = log["runs"][0]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert rules == [r.id for r in RULES]
    first = run["results"][0]
    assert rules[first["ruleIndex"]] == first["ruleId"]
    location = first["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": REL + "vocabulary.ttl", "uriBaseId": "%SRCROOT%"}
    assert {r["level"] for r in run["results"]} == {"error"}
