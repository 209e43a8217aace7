"""The command line's grammar: every command of ``kg``, its arguments and their help (``build_parser``).

:mod:`kg.cli` holds what each command does and maps errors to exit codes; this module only says what may be
typed, so the two are read (and grow) apart.
"""

from __future__ import annotations

import argparse

from kg.settings import REASONING_MODES


def _reasoning(p: argparse.ArgumentParser) -> None:
    p.add_argument("--reasoning", choices=REASONING_MODES,
                   help="serve the triples the ontology entails in the graph <graph/inferred>, computed once per "
                        "data version (KG_REASONING, default owlrl); none: the graph exactly as written")


def _common(p: argparse.ArgumentParser, *, data: bool = True) -> None:
    p.add_argument("--root", help="repository root holding ontology/, shapes/, data/, seeds/ (KG_ROOT)")
    if data:
        p.add_argument("--data", action="append", metavar="PATH",
                       help="RDF file or folder to load instead of ontology/ and data/ (repeatable)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the result to FILE instead of stdout")


class _Version(argparse.Action):
    """``--version``, reading the package metadata only when asked (see ``kg.__getattr__``)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: object,
                 option_string: str | None = None) -> None:
        from kg import __version__

        print(f"kg {__version__}")  # on stdout, as argparse's own version action does
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kg", description="Knowledge graph of attributed claims about the deportation of Ukrainian children.",
        epilog="Exit codes: 0 ok, 1 data does not conform, 2 usage or input error.",
    )
    parser.add_argument("--version", action=_Version, nargs=0, help="show the version and exit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("figures", help="every figure: who attributed which number, when (the headline query)")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.add_argument("--offset", type=int, default=0, metavar="N", help="skip the first N rows")
    p.add_argument("--limit", type=int, metavar="N", help="at most N rows")
    p.add_argument("--store-dir", metavar="DIR",
                   help="answer from the view prepared once per data version next to the persisted store in DIR "
                        "(built on first use; KG_STORE_DIR)")
    _reasoning(p)
    _common(p)

    p = sub.add_parser("compare", help="sources side by side: every claim on an indicator two or more claims count",
                       description="One row per claim on every indicator that two or more claims count: value, "
                                   "qualifier, claimant, source, stated date, rank and the reason for it, as-of "
                                   "date and scope. The table ends with the count of indicators whose "
                                   "non-deprecated claims disagree (on stderr).")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    _common(p)

    p = sub.add_parser("query", help="run a SPARQL query (a .rq file, query text, or - for stdin)")
    p.add_argument("query", metavar="FILE_OR_TEXT")
    p.add_argument("--format", choices=("table", "json", "xml", "csv", "tsv", "turtle", "ntriples", "nquads",
                                        "trig", "jsonld", "rdfxml"), default="table")
    p.add_argument("--timeout", type=float, metavar="SECONDS", help="query time limit (KG_QUERY_TIMEOUT_S)")
    p.add_argument("--max-rows", type=int, metavar="N", help="row cap (KG_MAX_ROWS)")
    _reasoning(p)
    _common(p)

    p = sub.add_parser("dump", help="write the whole graph as Turtle, N-Triples, N-Quads, TriG or JSON-LD")
    p.add_argument("--format", choices=("turtle", "ntriples", "nquads", "trig", "jsonld", "rdfxml", "ttl", "nt",
                                        "nq"), help="default: from -o's extension, else turtle")
    _common(p)

    p = sub.add_parser("span", help="print the Turtle of a text span (selectors) for a quote of a seed file")
    p.add_argument("seed", metavar="SEED_FILE")
    p.add_argument("quote")
    p.add_argument("--name", default="span-NEW", help="local name of the span IRI (kgr:<name>)")
    p.add_argument("--document", default="kgr:doc-NEW", help="the document IRI or prefixed name")
    p.add_argument("--mention-of", metavar="ENTITY", help="write a kg:Mention denoting ENTITY")
    p.add_argument("--occurrence", type=int, default=1, help="which occurrence of the quote (default 1)")
    p.add_argument("-o", "--output", metavar="FILE")

    p = sub.add_parser("add", help="write the kg:Document block of a new seed file (file, hash, publisher, date)")
    p.add_argument("seed", metavar="SEED_FILE", help="the report's text, saved in seeds/")
    p.add_argument("--url", required=True)
    p.add_argument("--publisher", required=True, help="publisher name (matched to a known agent by label or alias)")
    p.add_argument("--published", required=True, metavar="DATE", help="2023-11-20 (day), 2023-11 (month), 2023")
    p.add_argument("--name", help="local name of the document IRI (default doc-<publisher>-<date>)")
    p.add_argument("--label", help="rdfs:label of the document")
    p.add_argument("--language", default="en", help="language tag of the text (default en)")
    p.add_argument("--type", default="NewsArticle", help="document class (default NewsArticle)")
    p.add_argument("--embed-text", action="store_true", help="also write kg:text (only if the shapes require it)")
    p.add_argument("--root", help="repository root holding ontology/, shapes/, data/, seeds/ (KG_ROOT)")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE (e.g. data/NEW.ttl) instead of stdout")

    p = sub.add_parser("draft", help="propose claims for a seed text: a draft a curator reviews and completes")
    p.add_argument("seed", metavar="SEED_FILE", help="a seed file whose document `kg add` wrote")
    p.add_argument("--root", help="repository root holding ontology/, shapes/, data/, seeds/ (KG_ROOT)")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="write to FILE; an existing FILE (the one `kg add` wrote) keeps its blocks")

    p = sub.add_parser("serve", help="serve the graph: SPARQL endpoint, query page, dumps, entity pages")
    p.add_argument("--host", help="bind address (KG_HOST, default 127.0.0.1)")
    p.add_argument("--port", type=int, help="TCP port (KG_PORT, default 8000)")
    p.add_argument("--timeout", type=float, metavar="SECONDS", help="query time limit (KG_QUERY_TIMEOUT_S)")
    p.add_argument("--max-rows", type=int, metavar="N", help="row cap (KG_MAX_ROWS)")
    p.add_argument("--workers", type=int, metavar="N", help="query worker processes (KG_WORKERS)")
    p.add_argument("--store-dir", metavar="DIR", help="persist the store in DIR (KG_STORE_DIR)")
    p.add_argument("--store", metavar="URL", help="answer from this external SPARQL endpoint (KG_STORE_URL)")
    p.add_argument("--public-url", metavar="URL",
                   help="public root URL written into the service description and VoID instead of the request's "
                        "Host (KG_PUBLIC_URL)")
    p.add_argument("--get", metavar="PATH", help="send one GET request in-process, print the body, exit 0 on 200")
    p.add_argument("--accept", help="Accept header for --get")
    _reasoning(p)
    _common(p)

    p = sub.add_parser("check", help="validate Turtle files within the whole graph; findings as file:line:col",
                       description="Check PATHs (default: all of data/, a full run) against the ontology, the "
                                   "shapes, the seed texts and the rest of the graph. Exit 0 when the data "
                                   "conforms (warnings allowed), 1 when it does not, 2 on a usage or input error.")
    p.add_argument("paths", nargs="*", metavar="PATH", help="Turtle files or folders to check incrementally")
    p.add_argument("--format", choices=("text", "json", "sarif"), default="text")
    p.add_argument("--list-rules", action="store_true", help="print the rule ids and what each checks")
    p.add_argument("--store-dir", metavar="DIR",
                   help="read the unchanged files from the persisted store in DIR instead of parsing them "
                        "(built on first use; KG_STORE_DIR)")
    _common(p, data=False)

    p = sub.add_parser("publish", help="check, then write each file into an external store as a named graph")
    p.add_argument("--to", metavar="URL", help="the store's Graph Store HTTP Protocol endpoint (KG_GRAPH_STORE_URL)")
    p.add_argument("--update", metavar="URL", help="the store's SPARQL Update endpoint (KG_STORE_UPDATE_URL)")
    _reasoning(p)
    _common(p, data=False)

    p = sub.add_parser("fmt", help="rewrite Turtle files in the canonical layout (--check: only report)",
                       description="Rewrite PATHs (default: the .ttl files of ontology/, shapes/, data/) in the "
                                   "canonical layout, atomically; a file that does not parse is reported, never "
                                   "touched. Exit 1 with --check when a file is not canonical, or when a file "
                                   "does not parse.")
    p.add_argument("paths", nargs="*", metavar="PATH")
    p.add_argument("--check", action="store_true", help="write nothing; list the files that are not canonical")
    p.add_argument("--root", help="repository root holding ontology/, shapes/, data/, seeds/ (KG_ROOT)")

    p = sub.add_parser("synth", help="write a deterministic synthetic graph that conforms to the shapes")
    p.add_argument("--claims", type=int, required=True, metavar="N", help="number of figures")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="new directory (data/ and seeds/ inside)")
    p.add_argument("--seed", type=int, default=0, help="random seed (the same seed writes the same bytes)")

    return parser
