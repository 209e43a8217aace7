"""The ``kg`` command line: a thin shell that parses arguments, calls the library and renders the result.

Exit codes: 0 success; 1 the data does not conform (``kg check``, ``kg fmt --check``); 2 usage or input error
(bad flag, missing or unreadable file, malformed query). Results go to stdout, diagnostics to stderr.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from kg.arguments import build_parser
from kg.errors import KgError, UsageError
from kg.files import read_stream, read_text, write_atomic
from kg.settings import Settings

if TYPE_CHECKING:
    from kg.graph import KnowledgeGraph

Handler = Callable[[argparse.Namespace, Settings], int]


def _write(args: argparse.Namespace, text: str | bytes) -> None:
    """Write a result to ``-o FILE`` (atomically: a temporary file, then rename) or to stdout."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    out = getattr(args, "output", None)
    if out is None or out == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    target = Path(out)
    try:
        write_atomic(target, data)
    except OSError as err:
        raise UsageError(f"{target}: cannot write ({err.strerror})") from None


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings.from_env()
    return settings.replace(
        root=Path(args.root) if getattr(args, "root", None) else None,
        query_timeout_s=getattr(args, "timeout", None),
        max_rows=getattr(args, "max_rows", None),
        store_dir=Path(args.store_dir) if getattr(args, "store_dir", None) else None,
        reasoning=getattr(args, "reasoning", None),
        store_url=getattr(args, "store", None), graph_store_url=getattr(args, "to", None),
        store_update_url=getattr(args, "update", None),
    )


def _load(args: argparse.Namespace, settings: Settings, *, reasoning: str = "none") -> KnowledgeGraph:
    from kg.graph import load

    return load(args.data or None, settings=settings, reasoning=reasoning)


# --- commands -----------------------------------------------------------------------------------------------

def cmd_figures(args: argparse.Namespace, settings: Settings) -> int:
    from kg.figures import COLUMNS
    from kg.render import records

    if args.offset < 0 or (args.limit is not None and args.limit < 0):
        raise UsageError("--offset and --limit take a number of rows, 0 or more")
    if settings.store_dir is not None:
        # the view prepared once per data version (shared with `kg serve --store-dir`): a page is two seeks
        from kg.store import figures_view

        view = figures_view(settings, args.data or None)
        if args.format == "csv":
            _write(args, view.csv(args.offset, args.limit))
            return 0
        rows = view.records(args.offset, args.limit)
    else:
        from kg.figures import figures

        rows = figures(_load(args, settings, reasoning=settings.reasoning))
        rows = rows[args.offset:] if args.limit is None else rows[args.offset:args.offset + args.limit]
    _write(args, records(rows, COLUMNS, args.format))
    return 0


def cmd_compare(args: argparse.Namespace, settings: Settings) -> int:
    from kg.compare import COLUMNS, comparison, disagreements
    from kg.render import records

    rows = comparison(_load(args, settings))
    _write(args, records(rows, COLUMNS, args.format))
    if args.format == "table":  # a person reading the table wants the conclusion too; csv/json stay pure data
        found = disagreements(rows)
        indicators = len({r["indicator"] for r in rows})
        print(f"kg compare: {len(rows)} claims on {indicators} indicators counted by two or more claims; "
              f"sources disagree on {len(found)}", file=sys.stderr)
    return 0


def _query_text(source: str, settings: Settings) -> str:
    """The query: stdin for ``-``, the file when ``source`` names one, else ``source`` itself."""
    if source == "-":
        return read_stream(sys.stdin.buffer, "<stdin>", limit=settings.max_file_bytes)
    looks_like_file = source.endswith(".rq") or ("\n" not in source and len(source) < 4096 and Path(source).exists())
    return read_text(Path(source), limit=settings.max_file_bytes) if looks_like_file else source


def cmd_query(args: argparse.Namespace, settings: Settings) -> int:
    from kg.query import query
    from kg.render import result_text

    text = _query_text(args.query, settings)
    result = query(_load(args, settings, reasoning=settings.reasoning), text)
    _write(args, result_text(result, args.format))
    if getattr(result, "truncated", False):
        print(f"kg: result truncated at KG_MAX_ROWS={settings.max_rows} rows", file=sys.stderr)
    return 0


def cmd_dump(args: argparse.Namespace, settings: Settings) -> int:
    from kg.graph import dump

    fmt = args.format
    if fmt is None:
        fmt = Path(args.output).suffix.lstrip(".") if args.output not in (None, "-") else "turtle"
    _write(args, dump(_load(args, settings), format=fmt) or b"")
    return 0


def cmd_span(args: argparse.Namespace, settings: Settings) -> int:
    from kg.spans import locate, span_turtle

    span = locate(read_text(Path(args.seed), limit=settings.max_file_bytes), args.quote, occurrence=args.occurrence)
    _write(args, span_turtle(span, name=args.name, document=args.document, mention_of=args.mention_of))
    return 0


def cmd_add(args: argparse.Namespace, settings: Settings) -> int:
    from kg.curation.add import document_turtle, read_seed
    from kg.curation.attribution import AgentIndex
    from kg.graph import load

    seed = read_seed(Path(args.seed), settings)
    local, text = document_turtle(seed, url=args.url, publisher=args.publisher, published=args.published,
                                  agents=AgentIndex.from_graph(load(settings=settings)), name=args.name,
                                  label=args.label, language=args.language, doc_type=args.type,
                                  embed_text=args.embed_text)
    _write(args, text)
    print(f"kg add: kgr:{local} for {seed.relative} (sha256 {seed.sha256[:12]}...)", file=sys.stderr)
    return 0


def cmd_draft(args: argparse.Namespace, settings: Settings) -> int:
    from kg.curation.add import read_seed
    from kg.curation.attribution import AgentIndex
    from kg.curation.draft import PLACEHOLDER, document_of, merge, propose
    from kg.graph import load

    seed = read_seed(Path(args.seed), settings)
    graph = load(settings=settings)
    local, published = document_of(graph, seed.relative)
    draft = propose(seed.text, document=local, published=published, agents=AgentIndex.from_graph(graph))
    text = draft.turtle
    if args.output not in (None, "-") and Path(args.output).exists():
        text = merge(Path(args.output), text)
    _write(args, text)
    todo = text.count(f"kgr:{PLACEHOLDER}")
    print(f"kg draft: {len(draft.claims)} figure(s) in {len(draft.spans)} sentence(s) of {seed.relative}; "
          f"{todo} placeholder use(s) (kgr:{PLACEHOLDER}...) to decide", file=sys.stderr)
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from kg.web.server import serve, serve_get

    settings = settings.replace(host=args.host, port=args.port, workers=args.workers, public_url=args.public_url)
    if args.get is not None:
        status, body = serve_get(settings, args.get, data=args.data or None, accept=args.accept)
        print(f"kg serve: root {settings.root}", file=sys.stderr)  # which checkout answered, as kg check says
        sys.stdout.buffer.write(body)
        sys.stdout.flush()
        if status != 200:
            print(f"kg serve --get {args.get}: HTTP {status}", file=sys.stderr)
        return 0 if status == 200 else 1
    return serve(settings, data=args.data or None)


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    from kg.check.report import render
    from kg.check.runner import RULES, check

    if args.list_rules:
        _write(args, "".join(f"{r.id:<12} {r.summary}\n" for r in RULES))
        return 0
    print(f"kg check: root {settings.root}", file=sys.stderr)
    report = check(args.paths or None, settings=settings)
    _write(args, render(report, args.format, root=settings.root))
    print(f"kg check: {report.summary()}", file=sys.stderr)
    return 0 if report.conforms else 1


def cmd_publish(args: argparse.Namespace, settings: Settings) -> int:
    from kg.check.report import render
    from kg.remote.publish import checked_publish

    checked, report = checked_publish(settings, progress=lambda line: print(f"kg publish: {line}", file=sys.stderr))
    if report is None:  # only checked data leaves the machine
        sys.stderr.write(render(checked, "text", root=settings.root))
        print(f"kg publish: {checked.summary()}; nothing published", file=sys.stderr)
        return 1
    _write(args, "".join(line + "\n" for line in report.lines()))
    print(f"kg publish: {report.summary()}", file=sys.stderr)
    return 0


def cmd_fmt(args: argparse.Namespace, settings: Settings) -> int:
    from kg.turtle.canonical import fmt_paths

    result = fmt_paths(args.paths or None, check=args.check, settings=settings)
    for finding in result.findings:
        print(finding, file=sys.stderr)
    verb = "would reformat" if args.check else "reformatted"
    sys.stdout.write("".join(f"{verb} {name}\n" for name in result.changed))
    print(f"kg fmt: {len(result.changed)} file(s) {verb}, {len(result.unchanged)} already canonical, "
          f"{len(result.findings)} left untouched", file=sys.stderr)
    return 1 if result.findings or (args.check and result.changed) else 0


def cmd_synth(args: argparse.Namespace, settings: Settings) -> int:
    from kg.synth import generate

    if args.claims < 1:
        raise UsageError("--claims must be at least 1")
    out = Path(args.output)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UsageError(f"{out}: exists and is not an empty directory; choose a new directory")
    graph = generate(args.claims, out, seed=args.seed)
    print(f"kg synth: {graph.claims:,} figures, {graph.actors:,} agencies, {len(graph.files)} data files in {out} "
          f"(serve with: kg serve --data ontology --data {out / 'data'})", file=sys.stderr)
    return 0


#: Each command's handler, by the name ``build_parser`` gives it.
COMMANDS: dict[str, Handler] = {
    "figures": cmd_figures,
    "compare": cmd_compare,
    "query": cmd_query,
    "dump": cmd_dump,
    "span": cmd_span,
    "add": cmd_add,
    "draft": cmd_draft,
    "serve": cmd_serve,
    "check": cmd_check,
    "publish": cmd_publish,
    "fmt": cmd_fmt,
    "synth": cmd_synth,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code. Every :class:`KgError` is reported in one line on stderr."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = _settings(args)
        return COMMANDS[args.command](args, settings)
    except KgError as err:
        print(f"kg {args.command}: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
