"""Recall and precision of `kg draft` against hand-curated figures.

Truth: the seed article's curated figures (`kg figures` rows whose source is kgr:doc-mindua-20265865) and the
short reports of tests/fixtures/reports/ with their hand-written expected.json. A drafted figure matches a true
one by value; qualifier, claimant and stated date are then scored on the matched pairs. Writes
bench/results/draft.json and bench/results/draft.md.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import kg
from kg.curation.attribution import AgentIndex
from kg.curation.dates import of_document
from kg.curation.draft import propose

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "tests" / "fixtures" / "reports"
ARTICLE = "https://w3id.org/ua-children-kg/id/doc-mindua-20265865"
QUALIFIERS = {"exactly": "Exactly", "at least": "AtLeast", "more than": "MoreThan", "about": "About",
              "at most": "AtMost", "less than": "LessThan"}


def _article_truth(graph: kg.KnowledgeGraph) -> list[dict[str, object]]:
    rows = [r for r in kg.figures(graph) if r["source"] == ARTICLE]
    names = {a.label: a.iri.rsplit("/", 1)[-1] for a in AgentIndex.from_graph(graph).names.values()}
    return [{"value": int(Decimal(r["value"])), "qualifier": QUALIFIERS[r["qualifier"]],
             "claimant": names.get(r["claimant"]) if r["claimant"] else None, "date": r["stated"]} for r in rows]


def score(drafted: list[dict[str, object]], truth: list[dict[str, object]]) -> dict[str, object]:
    """Counts of found, invented and right fields; a figure matches by value (each truth used once)."""
    left = list(truth)
    pairs = []
    for d in drafted:
        match = next((t for t in left if t["value"] == d["value"]), None)
        if match is not None:
            left.remove(match)
            pairs.append((d, match))
    out: dict[str, object] = {"truth": len(truth), "drafted": len(drafted), "found": len(pairs),
                              "invented": len(drafted) - len(pairs)}
    for key in ("qualifier", "claimant", "date"):
        out[key] = sum(1 for d, t in pairs if d[key] == t[key])
    out["missed"] = [t["value"] for t in left]
    out["wrong_claimant"] = [(d["value"], d["claimant"], t["claimant"]) for d, t in pairs
                             if d["claimant"] != t["claimant"]]
    return out


def _drafted(text: str, document: str, published: date, agents: AgentIndex) -> list[dict[str, object]]:
    draft = propose(text, document=document, published=of_document(published), agents=agents)
    return [{"value": int(c.figure.value), "qualifier": c.figure.qualifier,
             "claimant": (c.attribution.agent.iri.rsplit("/", 1)[-1] if c.attribution.agent
                          else c.attribution.placeholder), "date": c.when.value} for c in draft.claims]


def main() -> dict[str, dict[str, object]]:
    graph = kg.load()
    agents = AgentIndex.from_graph(graph)
    results: dict[str, dict[str, object]] = {}
    seed = (ROOT / "seeds" / "000_8473d3711dabfeda.txt").read_text(encoding="utf-8")
    results["seed article (mind.ua)"] = score(_drafted(seed, "doc-mindua-20265865", date(2023, 11, 20), agents),
                                              _article_truth(graph))
    for name, spec in json.loads((REPORTS / "expected.json").read_text(encoding="utf-8")).items():
        text = (REPORTS / name).read_text(encoding="utf-8")
        results[name] = score(_drafted(text, "doc-x", date.fromisoformat(spec["published"]), agents),
                              spec["figures"])
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "draft.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    lines = ["| text | figures | found (recall) | invented | precision | qualifiers right | claimants right | "
             "dates right |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    total = {k: 0 for k in ("truth", "drafted", "found", "invented", "qualifier", "claimant", "date")}
    for name, r in [*results.items(), ("all", total)]:
        if name != "all":
            for k in total:
                total[k] += r[k]  # type: ignore[operator]
        found, drafted = int(r["found"]), int(r["drafted"])  # type: ignore[call-overload]
        lines.append(f"| {name} | {r['truth']} | {found} ({found / max(1, int(r['truth'])):.0%}) | {r['invented']} "  # type: ignore[call-overload]
                     f"| {found / max(1, drafted):.0%} | {r['qualifier']}/{found} | {r['claimant']}/{found} | "
                     f"{r['date']}/{found} |")
    (out / "draft.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return results


if __name__ == "__main__":
    main()
