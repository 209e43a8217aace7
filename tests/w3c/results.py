"""SPARQL results as plain values, their parsers, and the W3C comparison rules.

A term is a tuple: ``("uri", iri)``, ``("bnode", label)``, ``("literal", lexical form, datatype, language)``, or
``("string", text)`` for a CSV cell (CSV loses term types). Literals compare by RDF term equality (lexical form,
datatype, language tag; tags lower-cased as RDF 1.1 allows); a literal without datatype is an ``xsd:string`` and
one with a language tag an ``rdf:langString``, so ``"a"`` and ``"a"^^xsd:string`` are the same term. Blank nodes
match through a bijection between the two results. Solutions compare as multisets, and in order only when the
query has a top-level ORDER BY (then only the order that ORDER BY determines: rows that tie on its keys may come in
any order).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from xml.etree import ElementTree

import pyoxigraph as ox
import rdflib
from rdflib.compare import graph_diff, isomorphic

XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_STRING = XSD + "string"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RS = "http://www.w3.org/2001/sw/DataAccess/tests/result-set#"
SRX = "{http://www.w3.org/2005/sparql-results#}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

Term = tuple[str, ...]
Row = tuple[Term | None, ...]

#: Numeric datatypes whose values are exact (compared as decimals) and approximate (compared as floats).
EXACT_NUMBERS = {XSD + t for t in ("integer", "decimal", "long", "int", "short", "byte", "nonNegativeInteger",
                                   "positiveInteger", "nonPositiveInteger", "negativeInteger", "unsignedLong",
                                   "unsignedInt", "unsignedShort", "unsignedByte")}
FLOATS = {XSD + "double", XSD + "float"}

#: Upper bound on backtracking steps of the blank-node matcher: results are small, so hitting it means a bug.
MATCH_BUDGET = 200_000


@dataclass
class Solutions:
    """A SELECT result: the variables of its header and one dict per solution (unbound variables absent)."""

    variables: tuple[str, ...]
    rows: list[dict[str, Term]]


Result = Solutions | bool


# --- terms --------------------------------------------------------------------------------------------------

def uri(value: str) -> Term:
    return ("uri", value)


def bnode(label: str) -> Term:
    return ("bnode", label)


def literal(lexical: str, datatype: str | None = None, language: str | None = None) -> Term:
    """A literal term; RDF 1.1 defaults for a missing datatype (xsd:string, or rdf:langString when tagged)."""
    if language:
        return ("literal", lexical, RDF_LANGSTRING, language.lower())
    return ("literal", lexical, datatype or XSD_STRING, "")


def from_ox(term: object) -> Term:
    """A pyoxigraph term as a :data:`Term`."""
    if isinstance(term, ox.NamedNode):
        return uri(term.value)
    if isinstance(term, ox.BlankNode):
        return bnode(term.value)
    if isinstance(term, ox.Literal):
        return literal(term.value, term.datatype.value, term.language)
    raise TypeError(f"unsupported term {term!r}")


def show(term: Term | None) -> str:
    """A term in N-Triples-like syntax, for failure messages."""
    if term is None:
        return "UNBOUND"
    kind = term[0]
    if kind == "uri":
        return f"<{term[1]}>"
    if kind == "bnode":
        return f"_:{term[1]}"
    if kind == "string":
        return json.dumps(term[1], ensure_ascii=False)
    text = json.dumps(term[1], ensure_ascii=False)
    if term[3]:
        return f"{text}@{term[3]}"
    return text if term[2] == XSD_STRING else f"{text}^^<{term[2]}>"


# --- parsers ------------------------------------------------------------------------------------------------

def _json_term(obj: dict[str, str]) -> Term:
    kind = obj["type"]
    if kind == "uri":
        return uri(obj["value"])
    if kind == "bnode":
        return bnode(obj["value"])
    if kind in ("literal", "typed-literal"):  # "typed-literal" is the pre-1.1 spelling still found in old files
        return literal(obj["value"], obj.get("datatype"), obj.get("xml:lang"))
    raise ValueError(f"unknown JSON result term type {kind!r}")


def parse_srj(data: bytes | str) -> Result:
    """SPARQL 1.1 Query Results JSON (``.srj`` and our server's answers)."""
    doc = json.loads(data)
    if "boolean" in doc:
        return bool(doc["boolean"])
    variables = tuple(doc["head"].get("vars", ()))
    rows = [{k: _json_term(v) for k, v in b.items()} for b in doc["results"]["bindings"]]
    return Solutions(variables, rows)


def _xml_term(elem: ElementTree.Element) -> Term:
    tag = elem.tag.removeprefix(SRX)
    text = elem.text or ""
    if tag == "uri":
        return uri(text)
    if tag == "bnode":
        return bnode(text)
    if tag == "literal":
        return literal(text, elem.get("datatype"), elem.get(XML_LANG))
    raise ValueError(f"unknown XML result term <{tag}>")


def parse_srx(data: bytes) -> Result:
    """SPARQL Query Results XML (``.srx``)."""
    root = ElementTree.fromstring(data)
    boolean = root.find(f"{SRX}boolean")
    if boolean is not None:
        return (boolean.text or "").strip() == "true"
    variables = tuple(v.get("name", "") for v in root.iterfind(f"{SRX}head/{SRX}variable"))
    rows = []
    for result in root.iterfind(f"{SRX}results/{SRX}result"):
        rows.append({b.get("name", ""): _xml_term(b[0]) for b in result.iterfind(f"{SRX}binding")})
    return Solutions(variables, rows)


def parse_result_set_graph(triples: Iterable[ox.Triple]) -> Result | None:
    """An ``rs:ResultSet`` written in RDF (some ``.ttl`` results); None when the graph is not a result set."""
    triples = list(triples)
    by_sp: dict[tuple[object, str], list[object]] = {}
    for t in triples:
        by_sp.setdefault((t.subject, t.predicate.value), []).append(t.object)
    sets = [t.subject for t in triples if t.predicate.value == RDF_TYPE and t.object == ox.NamedNode(RS + "ResultSet")]
    if not sets:
        return None
    if len(sets) > 1:
        raise ValueError("more than one rs:ResultSet in an expected result")
    rs = sets[0]
    if (rs, RS + "boolean") in by_sp:
        return by_sp[(rs, RS + "boolean")][0].value == "true"  # type: ignore[attr-defined]
    variables = tuple(sorted(v.value for v in by_sp.get((rs, RS + "resultVariable"), [])))  # type: ignore[attr-defined]
    rows = []
    for solution in by_sp.get((rs, RS + "solution"), []):
        row = {}
        for binding in by_sp.get((solution, RS + "binding"), []):
            name = by_sp[(binding, RS + "variable")][0].value  # type: ignore[attr-defined]
            row[name] = from_ox(by_sp[(binding, RS + "value")][0])
        rows.append(row)
    return Solutions(variables, rows)


def parse_csv(text: str) -> Solutions:
    """SPARQL 1.1 CSV: header of variable names, then plain strings; ``_:x`` cells are blank nodes and empty
    cells unbound (CSV cannot tell an empty string from an unbound variable, nor an IRI from a string)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    rows = []
    for record in reader:
        if record == []:
            # An empty line is a solution: with no variables, or with one variable unbound.
            record = [""] * len(header)
        if len(record) != len(header):
            raise ValueError(f"CSV row has {len(record)} cells for {len(header)} variables: {record}")
        rows.append({v: (bnode(c[2:]) if c.startswith("_:") else ("string", c))
                     for v, c in zip(header, record, strict=True) if c != ""})
    return Solutions(tuple(header), rows)


def _tsv_term(cell: str) -> Term:
    """One TSV cell: a term in Turtle syntax (so numbers and booleans may be bare)."""
    if cell.startswith("_:"):
        # Read blank node labels ourselves: a Turtle parser would rename them per document.
        return bnode(cell[2:])
    triples = list(ox.parse(input=f"<urn:tsv:s> <urn:tsv:p> {cell} .".encode(), format=ox.RdfFormat.TURTLE))
    if len(triples) != 1:
        raise ValueError(f"TSV cell {cell!r} is not one RDF term")
    return from_ox(triples[0].object)


def parse_tsv(text: str) -> Solutions:
    """SPARQL 1.1 TSV: ``?var`` header, then terms in Turtle syntax separated by tabs."""
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    # An empty header line means no variables; each solution is then an empty line.
    header = [h.removeprefix("?").removeprefix("$") for h in lines[0].split("\t")] if lines[0] else []
    rows = []
    for line in lines[1:]:
        cells = line.split("\t") if header else [] if line == "" else [line]
        if len(cells) != len(header):
            raise ValueError(f"TSV row has {len(cells)} cells for {len(header)} variables: {line!r}")
        rows.append({v: _tsv_term(c) for v, c in zip(header, cells, strict=True) if c != ""})
    return Solutions(tuple(header), rows)


# --- ORDER BY -----------------------------------------------------------------------------------------------

# Strings, IRIs and comments can hold braces and keywords; blank them before looking at the query's structure.
_OPAQUE = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""' r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"' r"|'(?:[^'\\\n]|\\.)*'"
    r"|<[^<>\"{}|^`\\\s]*>"
    r"|#[^\n]*",
)
_ORDER_BY = re.compile(r"(?<![\w?$:])ORDER\s+BY(?![\w:])", re.IGNORECASE)
_MODIFIER_END = re.compile(r"(?<![\w?$:])(LIMIT|OFFSET|VALUES)(?![\w:])", re.IGNORECASE)
_SIMPLE_KEY = re.compile(r"(?:(?:ASC|DESC)\s*\(\s*[?$](\w+)\s*\)|[?$](\w+))", re.IGNORECASE)

# Not ?from, $from or ex:from: only the keyword.
_FROM = re.compile(r"(?<![\w?$:])FROM(?![\w:])", re.IGNORECASE)


def skeleton(query: str) -> str:
    """The query with strings, IRIs and comments blanked (same length, so positions still match)."""
    return _OPAQUE.sub(lambda m: " " * len(m.group(0)), query)


def has_dataset_clause(query: str) -> bool:
    """True when the query names its own dataset (``FROM`` / ``FROM NAMED``; no other keyword is spelled FROM)."""
    return _FROM.search(skeleton(query)) is not None


@dataclass(frozen=True)
class OrderBy:
    """The top-level ORDER BY of a query. ``keys`` are its variables when every key is a plain variable (then
    rows tying on them may come in any order); None when a key is an expression (then the order is compared
    row by row)."""

    keys: tuple[str, ...] | None


def order_by(query: str) -> OrderBy | None:
    """The query's top-level ORDER BY (a subquery's ORDER BY orders nothing in the result), or None."""
    text = skeleton(query)
    depth = 0
    depths = []
    for char in text:
        depth += char == "{"
        depth -= char == "}"
        depths.append(depth)
    for match in _ORDER_BY.finditer(text):
        if depths[match.start()] != 0:
            continue
        rest = text[match.end():]
        end = _MODIFIER_END.search(rest)
        clause = (rest[: end.start()] if end else rest).strip()
        keys: list[str] = []
        position = 0
        while position < len(clause):
            if clause[position].isspace():
                position += 1
                continue
            key = _SIMPLE_KEY.match(clause, position)
            if key is None:
                return OrderBy(None)
            keys.append(key.group(1) or key.group(2))
            position = key.end()
        return OrderBy(tuple(keys) if keys else None)
    return None


# --- comparison ---------------------------------------------------------------------------------------------

def number_value(term: Term | None) -> Term | None:
    """A numeric literal with its lexical form replaced by a canonical spelling of its value (``2.0`` and ``2``
    as xsd:decimal agree, ``3.21E4`` and ``32100`` as xsd:double agree); any other term unchanged. The datatype
    still has to match. Used only to check *why* a known failure fails, never to pass a test."""
    if term is None or term[0] != "literal" or term[2] not in EXACT_NUMBERS | FLOATS:
        return term
    try:
        if term[2] in FLOATS:
            return ("literal", repr(float(term[1].strip())), term[2], "")
        value = Decimal(term[1].strip())
    except (ValueError, InvalidOperation):
        return term
    return ("literal", "0" if value.is_zero() else format(value.normalize(), "f"), term[2], "")


def _is_bnode(term: Term | None) -> bool:
    return term is not None and term[0] == "bnode"


def _shape(row: Row) -> Row:
    """The row with every blank node made anonymous: rows that can match have equal shapes."""
    return tuple(("bnode",) if _is_bnode(t) else t for t in row)


class _Matcher:
    """Backtracking search for a blank-node bijection under which blocks of rows are equal multisets."""

    def __init__(self) -> None:
        self.forward: dict[str, str] = {}
        self.backward: dict[str, str] = {}
        self.steps = 0

    def _bind(self, expected: Row, actual: Row) -> list[str] | None:
        added: list[str] = []
        for e, a in zip(expected, actual, strict=True):
            if not _is_bnode(e):
                continue
            assert e is not None and a is not None
            mapped = self.forward.get(e[1])
            if mapped is None and a[1] not in self.backward:
                self.forward[e[1]] = a[1]
                self.backward[a[1]] = e[1]
                added.append(e[1])
            elif mapped != a[1]:
                self._undo(added)
                return None
        return added

    def _undo(self, added: list[str]) -> None:
        for label in added:
            del self.backward[self.forward.pop(label)]

    def search(self, items: list[tuple[Row, list[Row]]], index: int, used: set[tuple[int, int]]) -> bool:
        if index == len(items):
            return True
        self.steps += 1
        if self.steps > MATCH_BUDGET:
            raise RuntimeError("blank node matching exceeded its budget")
        row, candidates = items[index]
        block = id(candidates)
        for j, candidate in enumerate(candidates):
            if (block, j) in used or _shape(candidate) != _shape(row):
                continue
            added = self._bind(row, candidate)
            if added is None:
                continue
            used.add((block, j))
            if self.search(items, index + 1, used):
                return True
            used.discard((block, j))
            self._undo(added)
        return False


def _blocks_match(expected: Sequence[list[Row]], actual: Sequence[list[Row]]) -> bool:
    """True when a blank-node bijection makes each expected block equal, as a multiset, to its actual block."""
    items: list[tuple[Row, list[Row]]] = []
    for exp, act in zip(expected, actual, strict=True):
        if Counter(map(_shape, exp)) != Counter(map(_shape, act)):
            return False
        # Rows without blank nodes are settled by the shape comparison; only the others need a search.
        with_bnodes = [r for r in act if any(map(_is_bnode, r))]
        items.extend((r, with_bnodes) for r in exp if any(map(_is_bnode, r)))
    return _Matcher().search(items, 0, set())


def _table(variables: Sequence[str], rows: Sequence[Row], limit: int = 25) -> str:
    lines = ["  " + " | ".join(f"?{v}" for v in variables)]
    lines += ["  " + " | ".join(show(t) for t in row) for row in rows[:limit]]
    if len(rows) > limit:
        lines.append(f"  ... {len(rows) - limit} more")
    return "\n".join(lines)


def compare_results(expected: Result, actual: Result, order: OrderBy | None = None, *,
                    numbers_by_value: bool = False) -> str | None:
    """None when ``actual`` equals ``expected`` by the W3C rules (RDF term equality for literals); otherwise a
    message saying how they differ. ``numbers_by_value`` relaxes numeric literals to value equality
    (:func:`number_value`), for diagnosis only."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        if expected is actual:
            return None
        return f"expected {expected!r}, got {actual!r}"
    if set(expected.variables) != set(actual.variables):
        return f"variables differ: expected {sorted(expected.variables)}, got {sorted(actual.variables)}"
    variables = sorted(expected.variables)
    norm = number_value if numbers_by_value else (lambda t: t)
    exp_rows: list[Row] = [tuple(norm(r.get(v)) for v in variables) for r in expected.rows]
    act_rows: list[Row] = [tuple(norm(r.get(v)) for v in variables) for r in actual.rows]
    if len(exp_rows) != len(act_rows):
        equal = False
    elif order is None:
        equal = _blocks_match([exp_rows], [act_rows])
    else:
        # Split the expected sequence into runs of rows tying on the ORDER BY keys; the actual rows must come in
        # runs of the same sizes, each equal to its expected run as a multiset.
        if order.keys is None or not set(order.keys) <= set(variables):
            sizes = [1] * len(exp_rows)
        else:
            positions = [variables.index(k) for k in order.keys]
            sizes = []
            previous: object = object()
            for row in exp_rows:
                key = tuple(row[p] for p in positions)
                if key == previous:
                    sizes[-1] += 1
                else:
                    sizes.append(1)
                previous = key
        exp_blocks, act_blocks, start = [], [], 0
        for size in sizes:
            exp_blocks.append(exp_rows[start:start + size])
            act_blocks.append(act_rows[start:start + size])
            start += size
        equal = _blocks_match(exp_blocks, act_blocks)
    if equal:
        return None
    how = "in ORDER BY order" if order else "as multisets"
    return (f"solutions differ ({how}): expected {len(exp_rows)}, got {len(act_rows)}\nexpected:\n"
            f"{_table(variables, exp_rows)}\nactual:\n{_table(variables, act_rows)}")


def _to_rdflib(term: object) -> rdflib.term.Identifier:
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if isinstance(term, ox.Literal):
        # normalize=False keeps the lexical form: graphs compare by term equality, not by value.
        if term.language:
            return rdflib.Literal(term.value, lang=term.language.lower(), normalize=False)
        return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value), normalize=False)
    raise TypeError(f"unsupported term {term!r}")


def rdflib_graph(triples: Iterable[ox.Triple]) -> rdflib.Graph:
    graph = rdflib.Graph()
    for t in triples:
        graph.add((_to_rdflib(t.subject), _to_rdflib(t.predicate), _to_rdflib(t.object)))
    return graph


def compare_graphs(expected: Iterable[ox.Triple], actual: Iterable[ox.Triple]) -> str | None:
    """None when the two graphs are isomorphic; otherwise the triples only one of them has."""
    exp, act = rdflib_graph(expected), rdflib_graph(actual)
    if isomorphic(exp, act):
        return None
    _both, only_exp, only_act = graph_diff(exp, act)
    return (f"graphs are not isomorphic ({len(exp)} expected triples, {len(act)} actual)\nonly expected:\n"
            f"{only_exp.serialize(format='nt')}\nonly actual:\n{only_act.serialize(format='nt')}")
