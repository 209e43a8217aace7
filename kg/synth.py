"""A deterministic synthetic graph for benchmarks and scale tests: ``generate(n_claims, out_dir, *, seed=0)``.

Writes, under ``out_dir``, a repository-shaped tree that conforms to ``shapes/kg-shapes.ttl`` and to the ontology
(link or copy ``ontology/`` and ``shapes/`` beside it to check it):

* ``seeds/synth-NNNNN.txt``: one source text per 50 claims, one sentence per figure;
* ``data/synth-actors.ttl``: agencies (claimants), their heads holding posts, and news outlets (publishers);
* ``data/synth-events.ttl``: one aggregate event per indicator, with its evidence in ``seeds/synth-events.txt``;
* ``data/synth-indicators.ttl``: a SKOS scheme of indicators;
* ``data/synth-documents-NNNN.ttl``: the documents (seed file, SHA-256, full text, publisher, URL, date);
* ``data/synth-claims-NNNN.ttl``: per figure a ``kg:QuantityClaim`` (qualifiers and hedges vary; one in ten is
  made by the agency's head in the capacity of the post), the ``kg:Report`` that made it (speaker and date),
  the ``kg:TextSpan`` whose quote and offsets match the seed text, and after every fifth figure a
  ``kg:Allegation`` of the same act; 1,000 figures per file.

``addition(out_dir, ...)`` writes one more document and its figures (about 200 triples) to
``additions/addition.ttl``, referring to the actors and indicators of the generated graph: the "one new file"
that ``bench/bench_check.py`` checks. The same ``seed`` always gives the same bytes.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from kg.turtle.canonical import quote

PREFIXES = """@prefix kg: <https://w3id.org/ua-children-kg/ontology#> .
@prefix kgr: <https://w3id.org/ua-children-kg/id/> .
@prefix oa: <http://www.w3.org/ns/oa#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix time: <http://www.w3.org/2006/time#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

"""
CLAIMS_PER_DOCUMENT = 50
CLAIMS_PER_FILE = 1000
INDICATORS = ("deported to Russia", "deported to Belarus", "returned to Ukraine", "held in camps",
              "placed in foster families", "adopted in Russia", "missing", "transferred within occupied areas",
              "granted Russian citizenship", "identified by name")
VERBS = ("reported", "stated", "said", "estimated", "announced")


@dataclass(frozen=True)
class SynthGraph:
    """What :func:`generate` wrote: the root folder, the data files, and the number of figures and actors."""

    root: Path
    files: tuple[Path, ...]
    claims: int
    actors: int


def _date(rng: random.Random) -> date:
    return date(2022, 3, 1) + timedelta(days=rng.randrange(600))


def _day(d: date, indent: str = "            ") -> str:
    iso = d.isoformat()
    return (f"[ a kg:DateDescription ;\n{indent}kg:basis kg:Stated ;\n"
            f'{indent}kg:earliest "{iso}"^^xsd:date ;\n{indent}kg:latest "{iso}"^^xsd:date ;\n'
            f'{indent}kg:precision kg:DayPrecision ;\n{indent}time:inXSDDate "{iso}"^^xsd:date ]')


def _actors(n: int) -> tuple[int, int]:
    """(agencies, outlets) for a graph of ``n`` figures: one claimant per 100 figures, at least 5."""
    return max(5, n // 100), max(2, n // 1000)


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


QUALIFIERS = (("Exactly", ""), ("AtLeast", "at least "), ("MoreThan", "more than "), ("About", "about "))
EVENT_CLASSES = ("kg:Deportation", "kg:Deportation", "kg:Return", "kg:Detention", "kg:ForcibleTransfer",
                 "kg:Adoption", "kg:Detention", "kg:ForcibleTransfer", "kg:Reeducation", "kg:Reeducation")
QUALITATIVE_EVERY = 5  # one allegation per five figures
PERSON_EVERY = 10  # one statement in ten is made by the agency's head, in the capacity of the post


def _figures(rng: random.Random, prefix: str, first: int, count: int, doc: str, agencies: int
             ) -> tuple[str, list[str]]:
    """The seed text of one document and the Turtle blocks of its ``count`` figures (with their statement
    acts and spans), plus an allegation after every fifth figure."""
    text = ""
    blocks = []

    def add_sentence(sentence: str) -> tuple[int, int]:
        nonlocal text
        start = len(text) + (1 if text else 0)
        text += (" " if text else "") + sentence
        return start, start + len(sentence)

    def span(name: str, start: int, end: int, sentence: str) -> str:
        return (f"kgr:span-{name} a kg:TextSpan ;\n"
                f"    oa:hasSelector [ a oa:TextPositionSelector ;\n            oa:end {end} ;\n"
                f"            oa:start {start} ] ,\n"
                f"        [ a oa:TextQuoteSelector ;\n            oa:exact {quote(sentence)} ] ;\n"
                f"    oa:hasSource kgr:{doc} .\n")

    for i in range(first, first + count):
        agency = rng.randrange(agencies)
        indicator = rng.randrange(len(INDICATORS))
        qualifier, hedge = QUALIFIERS[rng.randrange(len(QUALIFIERS))]
        value = 100 + i  # unique, so no two figures are duplicates
        stated = _date(rng)
        by_person = i % PERSON_EVERY == 0
        speaker = f"synth-head-{agency:04d}" if by_person else f"synth-agency-{agency:04d}"
        who = f"The head of Synthetic agency {agency:04d}" if by_person else f"Synthetic agency {agency:04d}"
        sentence = (f"On {stated:%d %B %Y}, {who} {VERBS[i % len(VERBS)]} that {hedge}{value:,} "
                    f"children were {INDICATORS[indicator]}.")
        start, end = add_sentence(sentence)
        name = f"{prefix}{i:07d}"
        hedge_line = f'    kg:hedge "{hedge.strip()}" ;\n' if hedge else ""
        capacity = f"    kg:speakerCapacity kgr:synth-post-head-{agency:04d} ;\n" if by_person else ""
        blocks.append(
            f"kgr:claim-{name} a kg:QuantityClaim ;\n"
            f'    rdfs:label "{hedge}{value:,} children {INDICATORS[indicator]} ({who}, figure {name})"@en ;\n'
            f"    kg:appearsIn kgr:{doc} ;\n    kg:attributedTo kgr:{speaker} ;\n"
            f"    kg:attributionStatus kg:AttributedInText ;\n"
            f"    kg:concernsEvent kgr:synth-event-{indicator:02d} ;\n    kg:evidence kgr:span-{name} ;\n"
            f"    kg:generatedBy kgr:act-{name} ;\n{hedge_line}    kg:indicator kgr:synth-ind-{indicator:02d} ;\n"
            f"    kg:qualifier kg:{qualifier} ;\n    kg:rank kg:NormalRank ;\n"
            f'    kg:rankReason "Synthetic figure." ;\n    kg:value {value} .\n\n'
            f"kgr:act-{name} a kg:Report ;\n"
            f'    rdfs:label "{who} report {name}"@en ;\n'
            f"    kg:date {_day(stated)} ;\n    kg:evidence kgr:span-{name} ;\n"
            f"    kg:speaker kgr:{speaker} ;\n{capacity}".rstrip(" ;\n") + " .\n\n"
            + span(name, start, end, sentence))
        if i % QUALITATIVE_EVERY == QUALITATIVE_EVERY - 1:
            allegation = (f"{who} also alleged that children {INDICATORS[indicator]} had been separated from "
                          f"their families.")
            a_start, a_end = add_sentence(allegation)
            blocks.append(
                f"kgr:claim-{name}-allegation a kg:Allegation ;\n"
                f'    rdfs:label "Children {INDICATORS[indicator]} separated from their families ({who}, '
                f'{name})"@en ;\n'
                f"    kg:appearsIn kgr:{doc} ;\n    kg:attributedTo kgr:{speaker} ;\n"
                f"    kg:attributionStatus kg:AttributedInText ;\n"
                f"    kg:concernsEvent kgr:synth-event-{indicator:02d} ;\n"
                f'    kg:content "Children {INDICATORS[indicator]} had been separated from their families." ;\n'
                f"    kg:evidence kgr:span-{name}-allegation ;\n    kg:generatedBy kgr:act-{name} ;\n"
                '    kg:rank kg:NormalRank ;\n    kg:rankReason "Synthetic allegation." .\n\n'
                + span(f"{name}-allegation", a_start, a_end, allegation))
    return text, blocks


def _document(rng: random.Random, doc: str, seed_name: str, text: str, outlets: int) -> str:
    data = text.encode("utf-8")
    return (f"kgr:{doc} a kg:NewsArticle ;\n"
            f'    rdfs:label "Synthetic news article {doc}"@en ;\n'
            f"    kg:language \"en\"^^xsd:language ;\n"
            f"    kg:published {_day(date(2023, 12, 1) + timedelta(days=rng.randrange(60)))} ;\n"
            f"    kg:publisher kgr:synth-outlet-{rng.randrange(outlets):03d} ;\n"
            f'    kg:seedFile "seeds/{seed_name}" ;\n'
            f'    kg:sha256 "{hashlib.sha256(data).hexdigest()}" ;\n'
            f"    kg:text {quote(text)} ;\n"
            f'    kg:title "Synthetic article {doc}"@en ;\n'
            f"    kg:url <https://example.org/synthetic/{doc}> .\n")


def generate(n_claims: int, out_dir: Path | str, *, seed: int = 0) -> SynthGraph:
    """Write a conforming synthetic graph of ``n_claims`` figures under ``out_dir`` (see the module docstring)."""
    if n_claims < 1:
        raise ValueError("n_claims must be at least 1")
    out = Path(out_dir)
    rng = random.Random(seed)
    agencies, outlets = _actors(n_claims)
    files = [_write(out / "data" / "synth-actors.ttl", PREFIXES + "\n".join(
        [f"kgr:synth-agency-{a:04d} a kg:GovernmentBody ;\n    rdfs:label \"Synthetic agency {a:04d}\"@en .\n\n"
         f"kgr:synth-post-head-{a:04d} a kg:Post ;\n    rdfs:label \"Head of Synthetic agency {a:04d}\"@en ;\n"
         f"    kg:postIn kgr:synth-agency-{a:04d} .\n\n"
         f"kgr:synth-head-{a:04d} a kg:Person ;\n    rdfs:label \"Head of agency {a:04d} (synthetic person)\"@en ;\n"
         f"    kg:holdsPost kgr:synth-post-head-{a:04d} .\n"
         for a in range(agencies)]
        + [f"kgr:synth-outlet-{o:03d} a kg:NewsOutlet ;\n    rdfs:label \"Synthetic outlet {o:03d}\"@en .\n"
           for o in range(outlets)]))]
    events_text = " ".join(f"Children were {name}." for name in INDICATORS)
    offsets, cursor = [], 0
    for name in INDICATORS:
        sentence = f"Children were {name}."
        offsets.append((cursor, cursor + len(sentence), sentence))
        cursor += len(sentence) + 1
    _write(out / "seeds" / "synth-events.txt", events_text)
    files.append(_write(out / "data" / "synth-events.ttl", PREFIXES + _document(
        rng, "synth-doc-events", "synth-events.txt", events_text, outlets) + "\n" + "\n".join(
        f"kgr:synth-event-{k:02d} a {EVENT_CLASSES[k]}, kg:AggregateEvent ;\n"
        f'    rdfs:label "Ukrainian children {name} (synthetic aggregate event)"@en ;\n'
        f"    kg:evidence kgr:span-synth-event-{k:02d} .\n\n"
        f"kgr:span-synth-event-{k:02d} a kg:TextSpan ;\n"
        f"    oa:hasSelector [ a oa:TextPositionSelector ;\n            oa:end {end} ;\n"
        f"            oa:start {start} ] ,\n"
        f"        [ a oa:TextQuoteSelector ;\n            oa:exact {quote(sentence)} ] ;\n"
        f"    oa:hasSource kgr:synth-doc-events .\n"
        for k, (name, (start, end, sentence)) in enumerate(zip(INDICATORS, offsets, strict=True)))))
    files.append(_write(out / "data" / "synth-indicators.ttl", PREFIXES + "\n".join(
        ['kgr:synth-indicators a skos:ConceptScheme ;\n    rdfs:label "Synthetic indicators"@en .\n']
        + [f"kgr:synth-ind-{k:02d} a kg:Indicator ;\n    rdfs:label \"Ukrainian children {name}\"@en ;\n"
           f'    kg:unit "child" ;\n    skos:inScheme kgr:synth-indicators ;\n'
           f'    skos:prefLabel "Ukrainian children {name}"@en .\n' for k, name in enumerate(INDICATORS)])))
    claim_blocks: list[str] = []
    doc_blocks: list[str] = []
    for d, first in enumerate(range(0, n_claims, CLAIMS_PER_DOCUMENT)):
        doc, seed_name = f"synth-doc-{d:05d}", f"synth-{d:05d}.txt"
        text, blocks = _figures(rng, "s", first, min(CLAIMS_PER_DOCUMENT, n_claims - first), doc, agencies)
        _write(out / "seeds" / seed_name, text)
        doc_blocks.append(_document(rng, doc, seed_name, text, outlets))
        claim_blocks.extend(blocks)
    for k in range(0, len(claim_blocks), CLAIMS_PER_FILE):
        files.append(_write(out / "data" / f"synth-claims-{k // CLAIMS_PER_FILE:04d}.ttl",
                            PREFIXES + "\n".join(claim_blocks[k:k + CLAIMS_PER_FILE])))
    per_file = CLAIMS_PER_FILE // CLAIMS_PER_DOCUMENT
    for k in range(0, len(doc_blocks), per_file):
        files.append(_write(out / "data" / f"synth-documents-{k // per_file:04d}.ttl",
                            PREFIXES + "\n".join(doc_blocks[k:k + per_file])))
    return SynthGraph(out, tuple(files), n_claims, agencies)


def addition(out_dir: Path | str, *, n_claims: int = 6, seed: int = 1, agencies: int = 5) -> Path:
    """Write ``additions/addition.ttl`` (one new document and ``n_claims`` figures, about 200 triples with the
    default) and its seed file; it refers to agencies ``0..agencies-1`` and the indicators of :func:`generate`."""
    out = Path(out_dir)
    rng = random.Random(seed)
    doc, seed_name = "synth-doc-new", "synth-new.txt"
    text, blocks = _figures(rng, "new", 9_000_000, n_claims, doc, agencies)
    _write(out / "seeds" / seed_name, text)
    return _write(out / "additions" / "addition.ttl",
                  PREFIXES + "\n".join([_document(rng, doc, seed_name, text, 2), *blocks]))
