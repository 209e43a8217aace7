"""Renderings shared by the CLI and HTTP: query results, records and graphs as text, table, JSON, XML, CSV, TSV
or RDF.

SPARQL result formats follow their W3C specifications (SPARQL 1.1 Query Results JSON, XML, CSV and TSV);
``table`` is for terminals; ``records`` renderings (figures, check reports) write lists of flat dicts.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence

import pyoxigraph as ox

from kg.errors import UsageError
from kg.graph import OX_FORMATS
from kg.namespaces import BARE_LITERALS, PREFIXES, XSD
from kg.query import AskResult, GraphResult, QueryResult, Term

SELECT_FORMATS = ("table", "json", "xml", "csv", "tsv")
GRAPH_FORMATS = ("turtle", "ntriples", "nquads", "trig", "jsonld", "rdfxml")


# --- terms --------------------------------------------------------------------------------------------------


# xml.sax.saxutils would do, but importing it pulls in urllib.request, http.client, email and ssl: 25 ms on
# every `kg` command. These are its escape() and quoteattr() for the characters SPARQL XML results can hold.
_XML_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_XML_ATTR = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\n": "&#10;", "\r": "&#13;",
                           "\t": "&#9;"})


def escape(text: str) -> str:
    """``text`` as XML character data."""
    return text.translate(_XML_TEXT)


def quoteattr(text: str) -> str:
    """``text`` as a double-quoted XML attribute value."""
    return '"' + text.translate(_XML_ATTR) + '"'

def plain(term: Term | None) -> str:
    """The term as a plain string: IRI, lexical form, or ``_:id``; ``""`` when unbound (SPARQL CSV rules)."""
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Triple):
        return f"<< {ntriples(term.subject)} {ntriples(term.predicate)} {ntriples(term.object)} >>"
    return term.value


def ntriples(term: Term | None) -> str:
    """The term in N-Triples syntax (what TSV results and error messages show)."""
    if term is None:
        return ""
    return str(term)


def _tsv_term(term: Term | None) -> str:
    """Turtle syntax; numbers and booleans bare only when their spelling reads back as the same datatype."""
    if isinstance(term, ox.Literal) and term.language is None:
        pattern = BARE_LITERALS.get(term.datatype.value)
        if pattern is not None and pattern.fullmatch(term.value):
            return term.value
    return ntriples(term)


def json_term(term: Term) -> dict[str, object]:
    """SPARQL 1.1 Query Results JSON §3.2.2 term object."""
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, object] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD + "string":
            out["datatype"] = term.datatype.value
        return out
    return {"type": "triple", "value": {
        "subject": json_term(term.subject), "predicate": json_term(term.predicate),
        "object": json_term(term.object)}}


def _xml_term(term: Term) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value != XSD + "string":
            return f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
        return f"<literal>{escape(term.value)}</literal>"
    return (f"<triple><subject>{_xml_term(term.subject)}</subject><predicate>{_xml_term(term.predicate)}"
            f"</predicate><object>{_xml_term(term.object)}</object></triple>")


# --- SELECT / ASK -------------------------------------------------------------------------------------------

Row = tuple[Term | None, ...]


def iter_select_json(variables: Sequence[str], rows: Iterable[Row]) -> Iterator[str]:
    """SPARQL 1.1 Query Results JSON, one chunk per row (so large results stream)."""
    yield json.dumps({"head": {"vars": list(variables)}})[:-1] + ', "results": {"bindings": ['
    sep = ""
    for row in rows:
        binding = {v: json_term(t) for v, t in zip(variables, row, strict=True) if t is not None}
        yield sep + json.dumps(binding, ensure_ascii=False)
        sep = ", "
    yield "]}}"


def iter_select_xml(variables: Sequence[str], rows: Iterable[Row]) -> Iterator[str]:
    yield '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n<head>\n'
    yield "".join(f"<variable name={quoteattr(v)}/>\n" for v in variables) + "</head>\n<results>\n"
    for row in rows:
        yield "<result>" + "".join(
            f"<binding name={quoteattr(v)}>{_xml_term(t)}</binding>"
            for v, t in zip(variables, row, strict=True) if t is not None) + "</result>\n"
    yield "</results>\n</sparql>\n"


def iter_select_csv(variables: Sequence[str], rows: Iterable[Row]) -> Iterator[str]:
    """SPARQL 1.1 CSV: header of variable names, plain values, CRLF line ends (RFC 4180)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(variables)
    for row in rows:
        writer.writerow([plain(t) for t in row])
        if buf.tell() > 8192:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def iter_select_tsv(variables: Sequence[str], rows: Iterable[Row]) -> Iterator[str]:
    """SPARQL 1.1 TSV: ``?var`` header, terms in Turtle syntax, tab separated."""
    yield "\t".join(f"?{v}" for v in variables) + "\n"
    for row in rows:
        yield "\t".join(_tsv_term(t) for t in row) + "\n"


SELECT_RENDERERS = {"json": iter_select_json, "xml": iter_select_xml, "csv": iter_select_csv,
                    "tsv": iter_select_tsv}


def ask_text(result: AskResult, fmt: str) -> str:
    if fmt == "json":
        return json.dumps({"head": {}, "boolean": result.value})
    if fmt == "xml":
        return ('<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n<head/>\n'
                f"<boolean>{'true' if result.value else 'false'}</boolean>\n</sparql>\n")
    if fmt in {"csv", "tsv"}:
        return ("_askResult\r\n" if fmt == "csv" else "?_askResult\n") + ("true" if result.value else "false") + (
            "\r\n" if fmt == "csv" else "\n")
    return "true\n" if result.value else "false\n"


# --- records (figures, reports) and tables ------------------------------------------------------------------

def table(header: Sequence[str], rows: Iterable[Sequence[str]], *, max_width: int = 60) -> str:
    """A fixed-width text table; cells longer than ``max_width`` are cut with an ellipsis."""
    def cut(value: str) -> str:
        value = value.replace("\n", " ")
        return value if len(value) <= max_width else value[: max_width - 1] + "…"

    body = [[cut(c) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in body]) for i, h in enumerate(header)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()  # noqa: E731
    out = [line(list(header)), line(["-" * w for w in widths])]
    out.extend(line(r) for r in body)
    return "\n".join(out) + "\n"


def records(rows: Sequence[dict[str, str]], columns: Sequence[str], fmt: str) -> str:
    """Flat records as ``table``, ``csv`` (header = ``columns``) or ``json`` (a list of objects)."""
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(columns), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return buf.getvalue()
    if fmt == "json":
        return json.dumps([{c: r[c] for c in columns} for r in rows], ensure_ascii=False, indent=2) + "\n"
    if fmt == "table":
        return table(columns, ([r[c] for c in columns] for r in rows))
    raise UsageError(f"unknown format {fmt!r}; choose one of: table, csv, json")


# --- graphs -------------------------------------------------------------------------------------------------

def iter_graph(triples: Iterable[ox.Triple], fmt: str, *, batch: int = 2000) -> Iterator[bytes]:
    """Triples serialised in batches (line-based formats stream; others are written whole)."""
    if fmt not in {"ntriples", "nquads"}:
        yield graph_bytes(triples, fmt)
        return
    chunk: list[ox.Triple] = []
    for triple in triples:
        chunk.append(triple)
        if len(chunk) >= batch:
            yield graph_bytes(chunk, fmt)
            chunk = []
    if chunk:
        yield graph_bytes(chunk, fmt)


def graph_bytes(triples: Iterable[ox.Triple], fmt: str) -> bytes:
    """Triples serialised as one of :data:`GRAPH_FORMATS` (dataset formats put them in the default graph)."""
    if fmt not in OX_FORMATS:
        raise UsageError(f"unknown graph format {fmt!r}; choose one of: {', '.join(GRAPH_FORMATS)}")
    if fmt in {"nquads", "trig"}:
        items: Iterable[ox.Triple | ox.Quad] = (
            ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples)
    else:
        items = triples
    return ox.serialize(items, None, OX_FORMATS[fmt], prefixes=PREFIXES)


def result_text(result: QueryResult, fmt: str) -> str:
    """Any query result as text in ``fmt``; :class:`UsageError` when the format does not fit the query form."""
    if isinstance(result, AskResult):
        if fmt not in SELECT_FORMATS:
            raise UsageError(f"format {fmt!r} does not fit an ASK result; choose one of: {', '.join(SELECT_FORMATS)}")
        return ask_text(result, fmt)
    if isinstance(result, GraphResult):
        if fmt == "table":
            fmt = "turtle"
        if fmt not in GRAPH_FORMATS:
            raise UsageError(f"format {fmt!r} does not fit a graph result; choose one of: {', '.join(GRAPH_FORMATS)}")
        return graph_bytes(result.triples, fmt).decode("utf-8")
    if fmt == "table":
        return table(result.variables, ([plain(t) for t in row] for row in result.rows))
    if fmt not in SELECT_RENDERERS:
        raise UsageError(f"format {fmt!r} does not fit a SELECT result; choose one of: {', '.join(SELECT_FORMATS)}")
    return "".join(SELECT_RENDERERS[fmt](result.variables, result.rows))
