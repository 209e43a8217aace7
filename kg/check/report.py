"""Check reports as data, and their renderings: ``text`` (one line per finding), ``json`` and SARIF 2.1.0.

A :class:`Report` is frozen and its findings are sorted (file, line, column, severity, rule, message), so two runs
over the same files print the same bytes. ``text`` lines read ``data/x.ttl:42:5: error [vocabulary] message``.
SARIF follows the OASIS SARIF 2.1.0 schema (https://docs.oasis-open.org/sarif/sarif/v2.1.0/): one run, the rules
as ``tool.driver.rules``, regions with 1-based ``startLine``/``startColumn`` in Unicode code points, paths relative
to ``%SRCROOT%`` (the repository root) when the file is inside it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kg import __version__
from kg.errors import KgError, UsageError

FORMATS = ("text", "json", "sarif")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


@dataclass(frozen=True, order=True)
class Finding:
    """One problem, where it is written: file (relative to the repository root when inside it), 1-based line and
    column, severity ``error`` or ``warning``, the rule id, a curator-facing message, and for graph rules the
    focus node (IRI or ``_:id``), its label, the property path and the offending value."""

    file: str
    line: int
    column: int
    severity: str
    rule: str
    message: str
    focus: str = ""
    label: str = ""
    path: str = ""
    value: str = ""

    @classmethod
    def from_error(cls, err: KgError, file: str) -> Finding:
        """The ``syntax`` finding for an input error that knows its line and column (a file that does not parse,
        or bytes that are not UTF-8), without the file:line:column prefix of its message."""
        reason = getattr(err, "reason", None) or err.details.get("reason") or err.message
        return cls(file, err.details.get("line") or 1, err.details.get("column") or 1, "error", "syntax", reason)

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    def __str__(self) -> str:
        return f"{self.location}: {self.severity} [{self.rule}] {self.message}"


@dataclass(frozen=True)
class Rule:
    """A check rule: a stable id and the one line that explains it (``kg check --list-rules``)."""

    id: str
    summary: str


@dataclass(frozen=True)
class Report:
    """The result of ``kg check``: sorted, de-duplicated findings plus what was checked and how."""

    findings: tuple[Finding, ...]
    checked: tuple[str, ...] = ()
    mode: str = "full"  # "full" | "incremental"
    rules: tuple[Rule, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "findings", tuple(sorted(set(self.findings))))

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == "warning")

    @property
    def conforms(self) -> bool:
        """True when there is no error (warnings are allowed)."""
        return self.errors == 0

    def summary(self) -> str:
        files = len(self.checked)
        return (f"{self.errors} error{'s' * (self.errors != 1)}, {self.warnings} warning"
                f"{'s' * (self.warnings != 1)} in {files} file{'s' * (files != 1)} ({self.mode} check)")


def text(report: Report) -> str:
    """One line per finding (``file:line:col: severity [rule] message``)."""
    return "".join(f"{f}\n" for f in report.findings)


def json_text(report: Report) -> str:
    body = {
        "conforms": report.conforms,
        "mode": report.mode,
        "checked": list(report.checked),
        "errors": report.errors,
        "warnings": report.warnings,
        "findings": [asdict(f) for f in report.findings],
    }
    return json.dumps(body, ensure_ascii=False, indent=2) + "\n"


def _artifact(file: str, root: Path) -> dict[str, str]:
    path = Path(file)
    if path.is_absolute():
        return {"uri": path.as_uri()}
    return {"uri": path.as_posix(), "uriBaseId": "%SRCROOT%"}


def sarif(report: Report, *, root: Path) -> str:
    """The report as a SARIF 2.1.0 log (one run of the ``kg check`` driver)."""
    rule_ids = [r.id for r in report.rules]
    results: list[dict[str, Any]] = []
    for f in report.findings:
        result: dict[str, Any] = {
            "ruleId": f.rule,
            "level": "error" if f.severity == "error" else "warning",
            "message": {"text": f.message},
            "locations": [{"physicalLocation": {
                "artifactLocation": _artifact(f.file, root),
                "region": {"startLine": f.line, "startColumn": f.column},
            }}],
        }
        if f.rule in rule_ids:
            result["ruleIndex"] = rule_ids.index(f.rule)
        props = {k: v for k, v in (("focus", f.focus), ("label", f.label), ("path", f.path), ("value", f.value))
                 if v}
        if props:
            result["properties"] = props
        results.append(result)
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "kg check",
                "version": __version__,
                "informationUri": "https://w3id.org/ua-children-kg/",
                "rules": [{"id": r.id, "name": r.id, "shortDescription": {"text": r.summary}}
                          for r in report.rules],
            }},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": root.resolve().as_uri() + "/"}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
    return json.dumps(log, ensure_ascii=False, indent=2) + "\n"


def render(report: Report, fmt: str, *, root: Path) -> str:
    """``report`` in one of :data:`FORMATS`; :class:`UsageError` for any other name."""
    if fmt == "text":
        return text(report)
    if fmt == "json":
        return json_text(report)
    if fmt == "sarif":
        return sarif(report, root=root)
    raise UsageError(f"unknown report format {fmt!r}; choose one of: {', '.join(FORMATS)}")
