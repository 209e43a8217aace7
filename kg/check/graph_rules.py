"""The rules of ``kg check`` that read the graph directly: ``vocabulary``, ``references``, ``duplicates`` and
``source-text``. Each takes the :class:`kg.check.workspace.Workspace` and records findings on it.

They look only at what the checked files write (their triples, and the nodes those triples describe) and answer
from the pyoxigraph store of the whole graph with index lookups, so an addition of a few hundred triples is checked
in milliseconds whatever the size of the rest of the graph.
"""

from __future__ import annotations

import difflib
import hashlib
from decimal import Decimal, InvalidOperation
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

import pyoxigraph as ox

from kg.check.vocabularies import vocabulary_of
from kg.errors import InputError
from kg.files import decode, read_bytes
from kg.graph import closure
from kg.namespaces import OA, OWL, RDF, RDFS, TIME
from kg.settings import ENTITY_NS, ONTOLOGY_NS
from kg.turtle.parser import RDF_TYPE, Term

if TYPE_CHECKING:
    from kg.check.workspace import Workspace

KG = ONTOLOGY_NS
_CLASS_TYPES = {OWL + "Class", RDFS + "Class", RDFS + "Datatype"}
_PROPERTY_TYPES = {OWL + "ObjectProperty", OWL + "DatatypeProperty", OWL + "AnnotationProperty", RDF + "Property",
                   OWL + "TransitiveProperty", OWL + "SymmetricProperty", OWL + "FunctionalProperty",
                   OWL + "InverseFunctionalProperty", OWL + "OntologyProperty"}


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _objects(ws: Workspace, s: Term, p: str) -> list[Term]:
    return [q.object for q in ws.quads(s, _n(p))]


def _one(ws: Workspace, s: Term, p: str) -> Term | None:
    values = _objects(ws, s, p)
    return min(values, key=str) if values else None


# --- vocabulary -----------------------------------------------------------------------------------------------

def _declarations(ws: Workspace) -> tuple[dict[str, str], set[str]]:
    """``{IRI: "class" | "property" | "individual"}`` of the ontology's own subjects, and every IRI the ontology
    names as a super-class or super-property (those count as known terms of their vocabularies)."""
    kinds: dict[str, str] = {}
    supers: set[str] = set()
    for g in ws.ontology_graphs:
        for q in ws.quads(None, None, None, g):
            s = q.subject
            if isinstance(s, ox.NamedNode):
                kind = kinds.setdefault(s.value, "individual")
                if q.predicate == RDF_TYPE and isinstance(q.object, ox.NamedNode):
                    if q.object.value in _CLASS_TYPES:
                        kinds[s.value] = "class"
                    elif q.object.value in _PROPERTY_TYPES and kind != "class":
                        kinds[s.value] = "property"
            if q.predicate.value in {RDFS + "subClassOf", RDFS + "subPropertyOf"} and isinstance(
                    q.object, ox.NamedNode):
                supers.add(q.object.value)
    return kinds, supers


def _external_kind(local: str) -> str:
    # Every reused vocabulary names classes in UpperCamelCase and properties in lowerCamelCase.
    return "class" if local[:1].isupper() else "property"


def _suggest(local: str, candidates: set[str]) -> str | None:
    match = difflib.get_close_matches(local, sorted(candidates), n=1, cutoff=0.75)
    return match[0] if match else None


def vocabulary(ws: Workspace) -> None:
    """Undeclared ``kg:`` terms, misspelled terms of known vocabularies, properties used as classes and back."""
    kinds, supers = _declarations(ws)
    own = {iri[len(KG):]: kind for iri, kind in kinds.items() if iri.startswith(KG)}
    for f in ws.checked:
        for occ in f.doc.triples:
            t = occ.triple
            uses: list[tuple[ox.NamedNode, str, object]] = [(t.predicate, "property", occ.predicate)]
            if isinstance(t.subject, ox.NamedNode):
                uses.append((t.subject, "any", occ.subject))
            if isinstance(t.object, ox.NamedNode):
                uses.append((t.object, "class" if t.predicate == RDF_TYPE else "any", occ.object))
            elif isinstance(t.object, ox.Literal):
                uses.append((t.object.datatype, "datatype", occ.object))
            for term, role, pos in uses:
                message = _vocabulary_problem(ws, term.value, role, own, kinds, supers)
                if message:
                    ws.add("vocabulary", "error", message, (f.display, pos), value=term.value)  # type: ignore[arg-type]


def _vocabulary_problem(ws: Workspace, iri: str, role: str, own: dict[str, str], kinds: dict[str, str],
                        supers: set[str]) -> str | None:
    name = ws.curie(_n(iri))
    used_as = {"property": "a property (predicate)", "class": "a class (after 'a')"}.get(role, "")
    if iri.startswith(KG):
        local = iri[len(KG):]
        kind = own.get(local)
        if kind is None:
            pool = {n for n, k in own.items() if role not in {"property", "class"} or k == role}
            hint = _suggest(local, pool)
            return (f"{name} is not declared in the ontology (ontology/)"
                    + (f"; did you mean kg:{hint}?" if hint else "; declare it there first"))
        if role in {"property", "class"} and kind != role:
            return f"{name} is {'an' if kind == 'individual' else 'a'} {kind} in the ontology, used here as {used_as}"
        return None
    vocab = vocabulary_of(iri)
    if vocab is None or (role == "datatype" and vocab.prefix != "xsd"):
        return None
    local = iri[len(vocab.namespace):]
    declared = {i[len(vocab.namespace):] for i in (set(kinds) | supers) if i.startswith(vocab.namespace)}
    known = vocab.terms | declared
    if local in known:
        kind = kinds.get(iri) or (None if vocab.prefix == "xsd" else _external_kind(local))
        if role in {"property", "class"} and kind in {"property", "class"} and kind != role:
            return f"{name} is a {kind} of {vocab.prefix}:, used here as {used_as}"
        return None
    wanted = {k for k in known if role not in {"property", "class"} or _external_kind(k) == role} or known
    hint = _suggest(local, wanted)
    if hint is None and not vocab.closed:
        return None  # an open vocabulary may well have this term; say nothing rather than guess
    return (f"{name} is not a term of {vocab.prefix}: ({vocab.namespace})"
            + (f"; did you mean {vocab.prefix}:{hint}?" if hint else ""))


# --- references -----------------------------------------------------------------------------------------------

def references(ws: Workspace) -> None:
    """Entity IRIs (``kgr:``) used as objects that no file describes."""
    described: dict[ox.NamedNode, bool] = {}
    for f in ws.checked:
        for occ in f.doc.triples:
            o = occ.triple.object
            if not (isinstance(o, ox.NamedNode) and o.value.startswith(ENTITY_NS)):
                continue
            if o not in described:
                described[o] = ws.has(o)
            if described[o]:
                continue
            local = o.value[len(ENTITY_NS):]
            family = local.split("-", 1)[0] + "-"
            pool = {q.subject.value[len(ENTITY_NS):] for q in ws.quads(None, RDF_TYPE)
                    if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(ENTITY_NS + family)}
            hint = _suggest(local, pool)
            ws.add("references", "error",
                   f"{ws.curie(o)} is used here but described nowhere: no file of ontology/ or data/ has a triple "
                   f"about it" + (f"; did you mean kgr:{hint}?" if hint else ""),
                   (f.display, occ.object), focus=occ.triple.subject, path=occ.triple.predicate.value,
                   value=o.value)


# --- duplicates -----------------------------------------------------------------------------------------------

def _number(term: Term | None) -> Decimal | None:
    try:
        return Decimal(term.value) if isinstance(term, ox.Literal) else None
    except InvalidOperation:
        return None


def _claim_key(ws: Workspace, claim: Term) -> tuple[object, ...] | None:
    """(claimants, indicator, value, stated dates) of a figure, or None when any of them is missing."""
    who = tuple(sorted(str(o) for o in _objects(ws, claim, KG + "attributedTo")))
    indicator = _one(ws, claim, KG + "indicator")
    value = _number(_one(ws, claim, KG + "value"))
    stated = set()
    for act in _objects(ws, claim, KG + "generatedBy"):
        for date in _objects(ws, act, KG + "date"):
            for p in ("inXSDDate", "inXSDgYearMonth", "inXSDgYear"):
                stated.update(o.value for o in _objects(ws, date, TIME + p) if isinstance(o, ox.Literal))
    if not who or indicator is None or value is None or not stated:
        return None
    return (who, str(indicator), value, tuple(sorted(stated)))


def duplicates(ws: Workspace) -> None:
    """The same figure recorded twice; the same label and type on two nodes (one entity minted twice)."""
    claim_types = closure(ws.quads, _n(KG + "Claim"), "subClassOf", down=True)
    label = _n(RDFS + "label")
    for f in ws.checked:
        for s in sorted((s for s in f.subjects() if isinstance(s, ox.NamedNode)), key=str):
            types = set(_objects(ws, s, RDF + "type"))
            if types & claim_types:
                _duplicate_claim(ws, f, s)
            for lit in _objects(ws, s, RDFS + "label"):
                for q in ws.quads(None, label, lit):
                    other = q.subject
                    shared = types & set(_objects(ws, other, RDF + "type"))
                    if other == s or not shared or not isinstance(other, ox.NamedNode):
                        continue
                    where = ws.locate(other)
                    ws.add("duplicates", "warning",
                           f"{ws.curie(s)} has the same label {lit} and type {ws.curie(min(shared, key=str))} as "
                           f"{ws.curie(other)}" + (f" ({where[0]}:{where[1].line})" if where else "")
                           + ": is it one entity minted twice? If so, keep one IRI.",
                           ws.locate_triple(s, label, lit), focus=s, path=RDFS + "label", value=lit.value)
                    break


def _duplicate_claim(ws: Workspace, f: object, claim: ox.NamedNode) -> None:
    key = _claim_key(ws, claim)
    value = _one(ws, claim, KG + "value")
    if key is None or value is None:
        return
    doc = _one(ws, claim, KG + "appearsIn")
    for q in ws.quads(None, _n(KG + "value"), value):
        other = q.subject
        if other == claim or _claim_key(ws, other) != key:
            continue
        other_doc = _one(ws, other, KG + "appearsIn")
        same_doc = other_doc == doc
        if not same_doc and set(_objects(ws, claim, KG + "generatedBy")) & set(_objects(ws, other, KG + "generatedBy")):
            continue  # one statement act relayed by two documents: the curator said so, nothing to report
        where = ws.locate(other)
        at = f" ({where[0]}:{where[1].line})" if where else ""
        message = (f"{ws.curie(claim)} records the same figure as {ws.curie(other)}{at}: same claimant, indicator, "
                   f"value {value.value} and stated date {', '.join(key[3])}")  # type: ignore[arg-type]
        if same_doc:
            ws.add("duplicates", "error", message + f", in the same document {ws.curie(doc)}; keep one of them.",
                   ws.locate(claim), focus=claim, value=value.value)
        else:
            ws.add("duplicates", "warning", message + f", relayed by {ws.curie(doc)} and {ws.curie(other_doc)}; "
                   "fine if both documents relay one statement, else keep one.",
                   ws.locate(claim), focus=claim, value=value.value)
        return


# --- source text ----------------------------------------------------------------------------------------------

def _seed(ws: Workspace, doc: Term, cache: dict[Term, tuple[str | None, str]]) -> tuple[str | None, str]:
    """(text or None, problem) of a document's seed file, read from disk."""
    if doc in cache:
        return cache[doc]
    seed = _one(ws, doc, KG + "seedFile")
    result: tuple[str | None, str]
    if not isinstance(seed, ox.Literal):
        result = (None, f"{ws.curie(doc)} has no kg:seedFile, so its quotes cannot be checked")
    else:
        parts = PurePosixPath(seed.value).parts
        path = ws.settings.root.joinpath(*parts)
        if len(parts) < 2 or parts[0] != "seeds" or ".." in parts:
            result = (None, f"kg:seedFile {seed.value!r} is not a file under seeds/")
        elif not path.exists() and not path.is_symlink():
            result = (None, f"the seed file {seed.value} does not exist")
        else:
            try:
                data = read_bytes(path, limit=ws.settings.max_file_bytes)
            except InputError as err:  # a FIFO, a device, a dangling link, too large: named, never waited on
                result = (None, f"the seed file {seed.value} cannot be read: {err.message.partition(': ')[2]}")
            else:
                try:
                    result = (decode(data, path), hashlib.sha256(data).hexdigest())
                except InputError:
                    result = (None, f"the seed file {seed.value} is not UTF-8 text")
    cache[doc] = result
    return result


def source_text(ws: Workspace) -> None:
    """Quotes equal their seed file at their offsets; seed files exist and match kg:sha256 and kg:text."""
    cache: dict[Term, tuple[str | None, str]] = {}
    has_source, seed_file = _n(OA + "hasSource"), _n(KG + "seedFile")
    docs = {s for f in ws.checked for s in f.subjects() if ws.has(s, seed_file)}
    for doc in sorted(docs, key=str):
        text, digest = _seed(ws, doc, cache)
        seed = _one(ws, doc, KG + "seedFile")
        if text is None:
            ws.add("source-text", "error", digest, ws.locate_triple(doc, seed_file), focus=doc)
            continue
        recorded = _one(ws, doc, KG + "sha256")
        if isinstance(recorded, ox.Literal) and recorded.value != digest:
            ws.add("source-text", "error", f"kg:sha256 {recorded.value} does not match {seed.value} "  # type: ignore[union-attr]
                   f"(its SHA-256 is {digest}); update the hash if the seed changed on purpose",
                   ws.locate_triple(doc, _n(KG + "sha256")), focus=doc, value=recorded.value)
        stored = _one(ws, doc, KG + "text")
        if isinstance(stored, ox.Literal) and stored.value != text:
            at = next((i for i, (a, b) in enumerate(zip(stored.value, text, strict=False)) if a != b),
                      min(len(stored.value), len(text)))
            ws.add("source-text", "error", f"kg:text differs from {seed.value} from character {at} on "  # type: ignore[union-attr]
                   f"(graph: {stored.value[at:at + 20]!r}, file: {text[at:at + 20]!r}); copy the file's text again",
                   ws.locate_triple(doc, _n(KG + "text")), focus=doc)
    spans = {s for f in ws.checked for s in f.subjects() if ws.has(s, has_source)}
    for doc in docs:  # a changed document touches every span that quotes it
        spans.update(q.subject for q in ws.quads(None, has_source, doc))
    for span in sorted(spans, key=str):
        _check_span(ws, span, cache)


def _check_span(ws: Workspace, span: Term, cache: dict[Term, tuple[str | None, str]]) -> None:
    doc = _one(ws, span, OA + "hasSource")
    if doc is None:
        return
    text, problem = _seed(ws, doc, cache)
    if text is None:
        if "no kg:seedFile" in problem:
            ws.add("source-text", "warning", problem, ws.locate_triple(span, _n(OA + "hasSource")), focus=span)
        return
    quote = position = None
    for sel in _objects(ws, span, OA + "hasSelector"):
        types = {t.value for t in _objects(ws, sel, RDF + "type") if isinstance(t, ox.NamedNode)}
        if OA + "TextQuoteSelector" in types:
            quote = sel
        if OA + "TextPositionSelector" in types:
            position = sel
    if quote is None or position is None:
        return  # SHACL reports the missing selector
    start, end = _number(_one(ws, position, OA + "start")), _number(_one(ws, position, OA + "end"))
    if start is None or end is None or start != int(start) or end != int(end):
        return
    a, b = int(start), int(end)
    seed = _one(ws, doc, KG + "seedFile").value  # type: ignore[union-attr]
    exact = _one(ws, quote, OA + "exact")
    if isinstance(exact, ox.Literal) and text[a:b] != exact.value:
        found = text.find(exact.value)
        hint = f"; the quote is at [{found}, {found + len(exact.value)})" if found >= 0 else ""
        ws.add("source-text", "error",
               f"the quote of {ws.curie(span)} differs from {seed} at [{a}, {b}): the file reads "
               f"{text[a:b][:80]!r}, the quote is {exact.value[:80]!r}{hint} (`kg span` computes both)",
               ws.locate_triple(quote, _n(OA + "exact")), focus=span, path=OA + "exact", value=exact.value)
    prefix = _one(ws, quote, OA + "prefix")
    if isinstance(prefix, ox.Literal) and (len(prefix.value) > a or text[a - len(prefix.value):a] != prefix.value):
        ws.add("source-text", "error", f"oa:prefix {prefix.value!r} of {ws.curie(span)} is not the text of {seed} "
               f"just before offset {a}", ws.locate_triple(quote, _n(OA + "prefix")), focus=span,
               path=OA + "prefix", value=prefix.value)
    suffix = _one(ws, quote, OA + "suffix")
    if isinstance(suffix, ox.Literal) and text[b:b + len(suffix.value)] != suffix.value:
        ws.add("source-text", "error", f"oa:suffix {suffix.value!r} of {ws.curie(span)} is not the text of {seed} "
               f"just after offset {b}", ws.locate_triple(quote, _n(OA + "suffix")), focus=span,
               path=OA + "suffix", value=suffix.value)


__all__ = ["duplicates", "references", "source_text", "vocabulary"]
