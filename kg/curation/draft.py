"""``kg draft``: proposed claims for a seed text, for a curator to review and complete.

One kg:QuantityClaim per figure (:mod:`kg.curation.numbers`), its sentence as a kg:TextSpan with exact offsets
(:mod:`kg.spans`), the claimant from the attribution cue (:mod:`kg.curation.attribution`), one statement act per
claimant and date, dated by the sentence's date expression or else by the document's date, marked inferred
(:mod:`kg.curation.dates`). What only a person can decide is a placeholder IRI under ``kgr:TODO-``, described
nowhere, so that the draft passes ``kg fmt`` and ``kg check`` fails only on them (rule ``references``), with a
comment above each claim saying what to decide.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from kg.curation.add import HEADER, date_turtle, slug
from kg.curation.attribution import Agent, AgentIndex, find_cue
from kg.curation.dates import DateValue, date_expressions, extent, of_document
from kg.curation.numbers import Figure, ages, figures
from kg.errors import InputError, UsageError
from kg.files import read_text
from kg.graph import KnowledgeGraph
from kg.query import SelectResult, query
from kg.spans import CONTEXT, Span, span_turtle
from kg.turtle.canonical import format_text, quote
from kg.turtle.parser import TurtleError

PLACEHOLDER = "TODO-"
_ABBREVIATIONS = re.compile(r"\b(?:Mr|Mrs|Ms|Dr|Prof|St|No|Art|Gen|Lt|Col|Sen|Rep|Gov|Jan|Feb|Mar|Apr|Jun|Jul|Aug|"
                            r"Sep|Sept|Oct|Nov|Dec|e\.g|i\.e|U\.S|U\.K|vs|etc)\.$")


def sentences(text: str) -> list[tuple[int, int]]:
    """``[start, end)`` of every sentence: ends at ``.``/``!``/``?`` (with closing quotes) before a space and
    a capital, digit or quote, or at a line break; abbreviations such as "Mr." do not end one."""
    out: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text):
        start = line.start()
        for m in re.finditer(r"[.!?][\"'”’)]*(?=\s+[\"'“A-Z0-9])", line.group(0)):
            end = line.start() + m.end()
            if _ABBREVIATIONS.search(text[start:end]):
                continue
            out.append((start, end))
            start = end + len(text[end:]) - len(text[end:].lstrip(" "))
        stripped_end = line.end() - (len(line.group(0)) - len(line.group(0).rstrip()))
        if start < stripped_end:
            out.append((start, stripped_end))
    return out


@dataclass
class Attribution:
    """Who a sentence's figures are attributed to: a known agent, a new one (placeholder), or nobody; and
    whether the text says so in the sentence (``in_text``) or the draft inferred it from the one before."""

    agent: Agent | None
    placeholder: str | None = None
    mention: str = ""
    in_text: bool = True


@dataclass
class DraftClaim:
    local: str
    figure: Figure
    sentence: int
    attribution: Attribution
    when: DateValue
    act: str = ""
    ages: tuple[int | None, int | None] = (None, None)


@dataclass
class Draft:
    """A draft: its claims, the spans (one per sentence with a figure) and the Turtle text."""

    claims: list[DraftClaim] = field(default_factory=list)
    spans: dict[int, Span] = field(default_factory=dict)
    turtle: str = ""


def _attribute(text: str, agents: AgentIndex, previous: Attribution | None) -> Attribution | None:
    cue = find_cue(text)
    if cue is None:
        return None if previous is None else Attribution(previous.agent, previous.placeholder, previous.mention,
                                                          in_text=False)
    if cue.unattributed:
        return Attribution(None)
    if cue.anaphor:
        if previous is None:
            return None
        return Attribution(previous.agent, previous.placeholder, previous.mention, in_text=False)
    known = agents.match(cue.mention)
    if known is not None:
        return Attribution(known, mention=cue.mention)
    return Attribution(None, placeholder=f"{PLACEHOLDER}agent-{slug(cue.mention)}", mention=cue.mention)


def propose(text: str, *, document: str, published: DateValue, agents: AgentIndex) -> Draft:
    """The draft claims of ``text`` (the seed's full text) for the document ``kgr:<document>``."""
    draft = Draft()
    base = published.latest
    stem = document.removeprefix("doc-")
    previous: Attribution | None = None
    seen: dict[str, int] = {}
    for number, (start, end) in enumerate(sentences(text), 1):
        sentence = text[start:end]
        attribution = _attribute(sentence, agents, previous)
        found = figures(sentence)
        if attribution is not None and re.match(r"(?:This|These|That|Such)\b", sentence):
            # "This was reported by X" names the claimant of the figures just before it
            for earlier in draft.claims:
                if earlier.attribution.agent is None and earlier.attribution.placeholder is None and \
                        earlier.attribution.in_text is False:
                    earlier.attribution = Attribution(attribution.agent, attribution.placeholder, attribution.mention)
        previous = attribution if attribution is not None else previous
        if not found:
            continue
        draft.spans[number] = Span(start, end, sentence, text[max(0, start - CONTEXT):start], text[end:end + CONTEXT])
        dates = date_expressions(sentence, base=base)
        when = dates[0] if dates else published
        scopes = ages(sentence)
        for fig in found:
            key = f"claim-{stem}-{fig.value}"
            seen[key] = seen.get(key, 0) + 1
            local = key if seen[key] == 1 else f"{key}-{seen[key]}"
            scope = min(scopes, key=lambda a: abs(a.start - fig.end), default=None)
            draft.claims.append(DraftClaim(local, fig, number, attribution or Attribution(None, in_text=False), when,
                                           ages=(scope.min_age, scope.max_age) if scope else (None, None)))
    draft.turtle = _render(draft, document, stem)
    return draft


def _who(a: Attribution) -> str | None:
    return a.agent.iri.rsplit("/", 1)[-1] if a.agent else a.placeholder


def _name(a: Attribution) -> str:
    return a.agent.label if a.agent else a.mention or "nobody named (unattributed)"


def _date(when: DateValue) -> str:
    note = (f"From {when.phrase!r}; the year is inferred from the document's date." if when.phrase and when.inferred
            and when.phrase != "the document's date" else
            "No date in the sentence: the document's date, to confirm." if when.phrase == "the document's date"
            else None)
    text = date_turtle(when.value, when.precision, basis="Inferred" if when.inferred else "Stated", note=note)
    if (when.earliest, when.latest) != extent(when.value, when.precision):  # a week: narrower than its month
        text = text[:-2] + f' ; kg:earliest "{when.earliest}"^^xsd:date ; kg:latest "{when.latest}"^^xsd:date ]'
    return text


def _render(draft: Draft, document: str, stem: str) -> str:
    blocks = [HEADER, f"# Draft of kgr:{document} by `kg draft`: review every claim. Placeholders (kgr:TODO-...) "
              "are what a curator must decide; `kg check` reports each until it is replaced.\n"]
    acts: dict[tuple[str | None, str], str] = {}
    for claim in draft.claims:
        key = (_who(claim.attribution), claim.when.value)
        if key not in acts:
            acts[key] = f"act-{stem}-{len(acts) + 1}"
            who = _who(claim.attribution)
            lines = [f"kgr:{acts[key]} a kg:Statement",
                     f"rdfs:label {quote(f'Statement by {_name(claim.attribution)} (draft)')}@en",
                     "kg:date " + _date(claim.when), f"kg:publishedAs kgr:{document}"]
            if who:
                lines.append(f"kg:speaker kgr:{who}")
            blocks.append("\n" + " ;\n    ".join(lines) + " .\n")
        claim.act = acts[key]
    evidence: dict[str, set[int]] = {}
    for claim in draft.claims:
        evidence.setdefault(claim.act, set()).add(claim.sentence)
        blocks.append("\n" + _claim(claim, document, stem))
    for number, span in draft.spans.items():
        blocks.append("\n" + span_turtle(span, name=f"span-{stem}-{number}", document=f"kgr:{document}"))
    text = "".join(blocks)
    for act, numbers in evidence.items():  # the acts' evidence: the spans of the sentences they produced
        refs = ", ".join(f"kgr:span-{stem}-{n}" for n in sorted(numbers))
        text = text.replace(f"kgr:{act} a kg:Statement ;", f"kgr:{act} a kg:Statement ;\n    kg:evidence {refs} ;", 1)
    return format_text(text)


def _claim(claim: DraftClaim, document: str, stem: str) -> str:
    fig, a = claim.figure, claim.attribution
    who = _who(a)
    indicator = f"{PLACEHOLDER}indicator-{claim.local.removeprefix('claim-')}"
    todo = [f"# TODO {claim.local}: choose kg:indicator (data/indicators.ttl, or add one) for kgr:{indicator}"]
    if a.placeholder:
        todo.append(f"# TODO {claim.local}: {a.mention!r} is no known agent: describe kgr:{a.placeholder} in "
                    "data/actors.ttl under a real IRI, or point at a known agent")
    written = f"{fig.hedge} {fig.text}" if fig.hedge else fig.text
    lines = [f"kgr:{claim.local} a kg:QuantityClaim",
             f"rdfs:label {quote(f'{written} (draft; {_name(a)})')}@en",
             f"kg:appearsIn kgr:{document}", f"kg:evidence kgr:span-{stem}-{claim.sentence}",
             f"kg:generatedBy kgr:{claim.act}", f"kg:indicator kgr:{indicator}",
             f"kg:qualifier kg:{fig.qualifier}", "kg:rank kg:NormalRank",
             'kg:rankReason "Drafted by kg draft: confirm the rank (preferred for a primary source)."',
             f"kg:value {fig.value}"]
    if who:
        lines.append(f"kg:attributedTo kgr:{who}")
        lines.append("kg:attributionStatus kg:" + ("AttributedInText" if a.in_text else "AttributionInferred"))
    else:
        lines.append("kg:attributionStatus kg:Unattributed")
    if fig.hedge:
        lines.append(f"kg:hedge {quote(fig.hedge)}")
    if fig.implied:
        lines.append(f"kg:curatorNote {quote(f'The value is implied by the word {fig.text!r}, not stated: a floor.')}")
    if claim.ages[0] is not None:
        lines.append(f"kg:minAge {claim.ages[0]}")
    if claim.ages[1] is not None:
        lines.append(f"kg:maxAge {claim.ages[1]}")
    return "\n".join(todo) + "\n" + " ;\n    ".join(lines) + " .\n"


_DOCUMENT = """SELECT ?doc ?v WHERE {
  ?doc kg:seedFile ?seed .
  OPTIONAL { ?doc kg:published/(time:inXSDDate|time:inXSDgYearMonth|time:inXSDgYear) ?v }
}"""


def document_of(graph: KnowledgeGraph, seed: str) -> tuple[str, DateValue]:
    """(local name, publication date) of the document whose ``kg:seedFile`` is ``seed``; :class:`InputError`
    when no document has it (run ``kg add`` first) or it has no ``kg:published``."""
    result = query(graph, _DOCUMENT.replace("?seed", quote(seed)))
    assert isinstance(result, SelectResult)
    rows = list(result.rows)
    if not rows or rows[0][0] is None:
        raise InputError(f"{seed}: no document in data/ has kg:seedFile {seed!r}; run `kg add {seed} ...` first",
                         path=seed)
    local = rows[0][0].value.rsplit("/", 1)[-1]
    value = rows[0][1].value if rows[0][1] is not None else None
    if value is None:
        raise InputError(f"{seed}: kgr:{local} has no kg:published date to infer years from", path=seed)
    precision = {10: "Day", 7: "Month"}.get(len(value), "Year")
    return local, of_document(date.fromisoformat(value) if precision == "Day" else value, precision)


def merge(path: Path, drafted: str) -> str:
    """The Turtle of ``path`` (the file ``kg add`` wrote) with the draft's blocks added, in the canonical layout;
    :class:`UsageError` when the file already holds a subject of the draft (drafted twice)."""
    existing = read_text(path)
    ours = set(re.findall(r"^(kgr:\S+) a ", drafted, re.MULTILINE))
    clash = sorted(ours & set(re.findall(r"^(kgr:\S+) a ", existing, re.MULTILINE)))
    if clash:
        raise UsageError(f"{path}: already holds {clash[0]} of this draft; write the draft to another file")
    body = "\n".join(line for line in drafted.splitlines() if not line.startswith("@prefix"))
    try:  # the draft's prefixes first: the file kept only those it used (redeclaring a prefix is valid Turtle)
        return format_text(HEADER + existing + "\n" + body + "\n")
    except TurtleError as err:
        raise InputError(f"{path}:{err.line}:{err.column}: {err.message}", path=str(path)) from None
