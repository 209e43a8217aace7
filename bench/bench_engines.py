"""Embedded SPARQL engines side by side: pyoxigraph (kg's engine) against maplib and rdflib, in-process.

Run (from the repository root, after the README's install):

    .venv/bin/python bench/bench_engines.py                          # W3C tests, repository data, 20k, 100k
    .venv/bin/python bench/bench_engines.py --sizes 2000 --repeat 3  # a quick run (with rdflib at 2,000)
    .venv/bin/python bench/bench_engines.py --engines pyoxigraph --sizes 30 --w3c-folders aggregates

Two measures, each engine in its own subprocess (a worker of this same file) so that a panic, an abort or a hang
of one engine costs only the task it was on: the orchestrator reads the worker's answers one line per task, kills
it when a task outlasts ``--timeout-s`` and starts a fresh worker at the next task.

* **W3C**: every query-evaluation test of the folders the conformance harness runs (``tests/w3c``), over exactly
  its dataset (``qt:data`` as the default graph, ``qt:graphData`` as named graphs, blank nodes renamed apart per
  file), compared with the harness's own rules (``tests/w3c/results.py``: RDF term equality, ORDER BY blocks,
  blank-node bijection; CSV answers compared as the strings CSV keeps). Each test ends as ``pass``, ``fail``
  (a wrong answer; ``fail`` tests that would pass with numbers compared by value are counted apart), ``error``
  (the engine refused the query or the data), ``crash`` (a Rust panic, or the process died) or ``timeout``.
* **Example queries**: every ``kg/queries/*.rq`` over the repository's own data, then over the synthetic graph
  (``kg synth``) at each size, with the ontology and the inferred triples kg serves by default, all in the
  default graph (kg's union of per-file graphs, without
  inference): load time, peak RSS, p50 of the query *to its SPARQL JSON answer* (what kg
  sends a client; N-Triples for CONSTRUCT), and the answer compared with pyoxigraph's by the same rules. For
  maplib also the p50 of the query to its native answer, a Polars DataFrame (what a prepared columnar view could
  use without converting anything).

pyoxigraph and rdflib run in the project's own environment (the versions kg uses); the peers are installed into
``bench/.peers-engines``, a separate virtualenv, so their pins never touch ours. Raw numbers go to
``bench/results/engines.json``, the tables to ``bench/results/engines.md``. Machines are shared and noisy: compare
the ratios within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PEERS = ROOT / "bench" / ".peers-engines"
RESULTS = ROOT / "bench" / "results"

#: Engines in the order they are run and reported; None: the project's own environment, else the pins installed
#: into :data:`PEERS`.
ENGINES: dict[str, tuple[str, ...] | None] = {
    "pyoxigraph": None,
    "maplib": ("maplib==0.20.26",),
    "rdflib": None,
}
#: The engine every other engine's answers to the example queries are compared with.
REFERENCE = "pyoxigraph"
STATUSES = ("pass", "fail", "error", "crash", "timeout")


# --- worker: runs inside the engine's environment, imports nothing from the project --------------------------

class _Pyoxigraph:
    def __init__(self) -> None:
        import pyoxigraph as ox

        self.ox = ox
        self.store = ox.Store()

    def load(self, path: str, graph: str | None) -> None:
        ox = self.ox
        fmt = ox.RdfFormat.TURTLE if path.endswith(".ttl") else ox.RdfFormat.N_TRIPLES
        self.store.bulk_load(path=path, format=fmt, to_graph=ox.NamedNode(graph) if graph else ox.DefaultGraph())

    def answer(self, query: str) -> tuple[str, bytes]:
        ox = self.ox
        result = self.store.query(query)
        if isinstance(result, ox.QueryTriples):
            return "nt", result.serialize(format=ox.RdfFormat.N_TRIPLES) or b""
        return "json", result.serialize(format=ox.QueryResultsFormat.JSON) or b""


class _Maplib:
    def __init__(self) -> None:
        from maplib import Model

        self.model = Model()

    def load(self, path: str, graph: str | None) -> None:
        self.model.read(path, format="turtle" if path.endswith(".ttl") else "ntriples", graph=graph)

    def answer(self, query: str) -> tuple[str, bytes]:
        text = self.model.query(query, return_json=True)
        # SELECT answers come as SPARQL JSON, CONSTRUCT answers as N-Triples (empty for no triples)
        return ("json" if text.lstrip().startswith("{") else "nt"), text.encode("utf-8")

    def native(self, query: str) -> object:
        return self.model.query(query)


class _Rdflib:
    def __init__(self) -> None:
        import rdflib
        import rdflib.plugins.sparql

        # rdflib would otherwise fetch a FROM graph from the network (../shared/design/measurements.md, traps)
        rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = False
        self.rdflib = rdflib
        self.dataset = rdflib.Dataset()

    def load(self, path: str, graph: str | None) -> None:
        target = self.dataset.graph(self.rdflib.URIRef(graph)) if graph else self.dataset.default_context
        target.parse(path, format="turtle" if path.endswith(".ttl") else "nt")

    def answer(self, query: str) -> tuple[str, bytes]:
        result = self.dataset.query(query)
        if result.type in ("CONSTRUCT", "DESCRIBE"):
            return "nt", result.graph.serialize(format="nt", encoding="utf-8")
        return "json", result.serialize(format="json") or b""


ADAPTERS = {"pyoxigraph": _Pyoxigraph, "maplib": _Maplib, "rdflib": _Rdflib}


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _failure(err: BaseException) -> dict[str, str]:
    """A task that raised: ``crash`` for a Rust panic (PyO3 raises it as a BaseException), else ``error``."""
    kind = "crash" if type(err).__name__ == "PanicException" else "error"
    return {"status": kind, "detail": f"{type(err).__name__}: {str(err).strip()[:300]}"}


def _samples(fn: Any, repeat: int, budget_s: float) -> list[float]:
    """``repeat`` timings (ms) of ``fn``, fewer when they outlast ``budget_s`` (at least one)."""
    out: list[float] = []
    started = time.monotonic()
    while len(out) < repeat and (not out or time.monotonic() - started < budget_s):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def _run_task(engine: str, task: dict[str, Any], adapter: Any, answers: Path, index: int) -> dict[str, Any]:
    if task["op"] == "w3c":
        adapter = ADAPTERS[engine]()  # a fresh store per test: exactly its dataset
        for path, graph in task["files"]:
            adapter.load(path, graph)
    kind, body = adapter.answer(task["query"])  # the first run: a warm-up, and the answer compared
    out: dict[str, Any] = {"status": "ok"}
    if task["op"] == "query":
        out["ms"] = _samples(lambda: adapter.answer(task["query"]), task["repeat"], task["budget_s"])
        if hasattr(adapter, "native"):
            out["native_ms"] = _samples(lambda: adapter.native(task["query"]), task["repeat"], task["budget_s"])
    answer = answers / f"{engine}-{index}.{kind}"
    answer.write_bytes(body)
    out["answer"] = str(answer)
    return out


def worker(engine: str, tasks_file: Path, start: int, answers: Path) -> int:
    """Run the tasks of ``tasks_file`` from ``start`` on, one JSON line per task on the original stdout (the
    engine's own prints go to stderr). A ``setup`` (the data of the example queries) is loaded first, also after
    a restart, and reported once."""
    protocol = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    plan = json.loads(tasks_file.read_text())
    adapter = ADAPTERS[engine]()
    if plan.get("setup"):
        t0 = time.perf_counter()
        for path in plan["setup"]:
            adapter.load(path, None)
        line = {"setup": {"load_s": time.perf_counter() - t0, "rss_mib": _peak_rss_mib()}}
        protocol.write(json.dumps(line) + "\n")
        protocol.flush()
    for index in range(start, len(plan["tasks"])):
        try:
            out = _run_task(engine, plan["tasks"][index], adapter, answers, index)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as err:  # a panic is a BaseException; any failure is one task's outcome
            out = _failure(err)
        out.update(index=index, rss_mib=_peak_rss_mib())
        protocol.write(json.dumps(out) + "\n")
        protocol.flush()
    return 0


# --- orchestrator --------------------------------------------------------------------------------------------

def engine_python(engine: str) -> str:
    """The interpreter to run ``engine`` with; the peers' virtualenv is created (once) with its pins."""
    pins = ENGINES[engine]
    if pins is None:
        return sys.executable
    python = PEERS / "bin" / "python"
    marker = PEERS / f".installed-{engine}"
    if not marker.exists() or marker.read_text() != " ".join(pins):
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(PEERS)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *pins], check=True)
        marker.write_text(" ".join(pins))
    return str(python)


def _reader(stream: Any, lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def run_tasks(engine: str, plan: dict[str, Any], work: Path, timeout_s: float,
              setup_timeout_s: float) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """Run ``plan`` in workers of ``engine``: (the setup's report or None, one outcome per task). A task that
    outlasts ``timeout_s`` is ``timeout``, one during which the worker died is ``crash``; either way a fresh
    worker goes on with the next task."""
    tasks_file = work / f"{engine}-tasks.json"
    tasks_file.write_text(json.dumps(plan))
    answers = work / "answers"
    answers.mkdir(exist_ok=True)
    outcomes: list[dict[str, Any]] = []
    setup: dict[str, Any] | None = None
    while len(outcomes) < len(plan["tasks"]):
        start = len(outcomes)
        proc = subprocess.Popen(
            [engine_python(engine), str(Path(__file__).resolve()), "--worker", engine, "--tasks", str(tasks_file),
             "--start", str(start), "--answers", str(answers)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=_reader, args=(proc.stdout, lines), daemon=True).start()
        stderr: list[str] = []
        threading.Thread(target=stderr.extend, args=(proc.stderr,), daemon=True).start()
        waiting_setup = bool(plan.get("setup"))
        while len(outcomes) < len(plan["tasks"]):
            try:
                line = lines.get(timeout=setup_timeout_s if waiting_setup else timeout_s)
            except queue.Empty:
                proc.kill()
                if waiting_setup:
                    raise RuntimeError(f"{engine}: loading the data took over {setup_timeout_s} s") from None
                outcomes.append({"status": "timeout", "detail": f"no answer within {timeout_s:.0f} s"})
                break
            if line is None:  # the worker died during the task
                proc.wait()
                if waiting_setup:
                    raise RuntimeError(f"{engine} died loading the data: {''.join(stderr)[-2000:]}")
                tail = "".join(stderr).strip().splitlines()[-3:]
                outcomes.append({"status": "crash", "detail": f"exit {proc.returncode}: {' / '.join(tail)}"})
                break
            message = json.loads(line)
            if "setup" in message:
                setup = setup or message["setup"]
                waiting_setup = False
                continue
            outcomes.append(message)
        proc.kill()
        proc.wait()
    return setup, outcomes


def _read_answer(path: str) -> Any:
    """An engine's answer as the harness's values: Solutions or bool (JSON), a list of triples (N-Triples)."""
    import pyoxigraph as ox

    from tests.w3c.results import parse_srj

    data = Path(path).read_bytes()
    if path.endswith(".nt"):
        return [q.triple for q in ox.parse(input=data, format=ox.RdfFormat.N_TRIPLES)]
    return parse_srj(data)


def _by_value(result: Any) -> Any:
    """Solutions with every numeric literal reduced to its value, whatever its numeric datatype: ``"8"^^xsd:integer``
    and ``"8"^^xsd:unsignedInt`` (maplib's COUNT), ``2.5`` and ``2.500000000000`` agree. For diagnosis only."""
    from decimal import Decimal, InvalidOperation

    from tests.w3c.results import EXACT_NUMBERS, FLOATS, Solutions

    if not isinstance(result, Solutions):
        return result

    def loose(term: Any) -> Any:
        if term is None or term[0] != "literal" or term[2] not in EXACT_NUMBERS | FLOATS:
            return term
        try:
            value = Decimal(term[1].strip())
        except InvalidOperation:
            return term
        return ("literal", "0" if value.is_zero() else format(value.normalize(), "f"), "urn:number", "")

    return Solutions(result.variables, [{v: loose(t) for v, t in row.items()} for row in result.rows])


def _first_difference(expected: Any, actual: Any) -> str:
    """One row only the expected answer has and one only the actual has (or: same rows, other order)."""
    from collections import Counter

    from tests.w3c.results import Solutions, show

    if not (isinstance(expected, Solutions) and isinstance(actual, Solutions)):
        return f"expected {expected!r:.100}, got {actual!r:.100}"
    names = sorted(expected.variables)

    def rows(result: Solutions) -> Counter[tuple[Any, ...]]:
        return Counter(tuple(r.get(v) for v in names) for r in result.rows)

    only_expected, only_actual = rows(expected) - rows(actual), rows(actual) - rows(expected)
    if not only_expected and not only_actual:
        return f"the same {len(expected.rows)} rows in another order"
    head = f"{len(expected.rows)} rows expected, {len(actual.rows)} got"
    if not only_expected or not only_actual:
        extra = next(iter(only_expected or only_actual))
        side = "only expected" if only_expected else "only got"
        return f"{head}; {side}: " + ", ".join(f"?{v}={show(t)[:60]}" for v, t in zip(names, extra, strict=True))
    # the closest pair: the row only the actual answer has that shares most terms with one only expected
    wanted = next(iter(only_expected))
    got = max(only_actual, key=lambda row: sum(a == b for a, b in zip(row, wanted, strict=True)))
    return f"{head}; e.g. " + ", ".join(f"?{v} expected {show(a)[:60]}, got {show(b)[:60]}"
                                        for v, a, b in zip(names, wanted, got, strict=True) if a != b)


def compare(expected: Any, actual: Any, query: str, *, as_csv: bool = False) -> tuple[str, str]:
    """("pass", "") when ``actual`` is ``expected`` by the harness's rules; else ("fail" or "fail-number-form",
    how they differ): ``fail-number-form`` passes once numeric literals compare by value alone (any numeric
    datatype, any spelling)."""
    from tests.w3c.harness import as_csv as csv_solutions
    from tests.w3c.results import Solutions, compare_graphs, compare_results, order_by

    if isinstance(expected, list) or isinstance(actual, list):
        if not (isinstance(expected, list) and isinstance(actual, list)):
            return "fail", "a graph where a table (or a boolean) was expected, or the other way round"
        problem = compare_graphs(expected, actual)
        return ("pass", "") if problem is None else ("fail", problem.splitlines()[0])
    if as_csv and isinstance(actual, Solutions):
        actual = csv_solutions(actual)
    order = order_by(query)
    try:
        if compare_results(expected, actual, order) is None:
            return "pass", ""
        if not as_csv and compare_results(_by_value(expected), _by_value(actual), order) is None:
            return "fail-number-form", _first_difference(expected, actual)
    except RuntimeError as err:  # the blank-node matcher gave up
        return "fail", str(err)
    # shown with numbers by value (as <urn:number>), so the example is a difference beyond number spelling
    return "fail", _first_difference(_by_value(expected), _by_value(actual))


def _renamed(triples: list[Any]) -> list[Any]:
    """The triples of one file with fresh blank nodes: two files' ``_:a`` are two nodes (SPARQL 1.1 §13.1)."""
    import pyoxigraph as ox

    fresh: dict[str, Any] = {}

    def rename(term: Any) -> Any:
        return fresh.setdefault(term.value, ox.BlankNode()) if isinstance(term, ox.BlankNode) else term

    return [ox.Triple(rename(t.subject), t.predicate, rename(t.object)) for t in triples]


def w3c_plan(folders: list[str] | None, work: Path) -> tuple[list[Any], dict[str, Any]]:
    """The evaluation tests to run, and the tasks that run them (data files written once, shared by engines)."""
    import pyoxigraph as ox

    from tests.w3c.harness import with_base
    from tests.w3c.manifest import parse_rdf, path_of, query_tests

    tests = [t for t in query_tests() if not t.is_syntax and (folders is None or t.folder in folders)]
    data = work / "w3c-data"
    data.mkdir(parents=True, exist_ok=True)
    tasks = []
    for number, test in enumerate(tests):
        # the default graph is the merge of the qt:data files; each qt:graphData file is a named graph
        graphs: list[tuple[str | None, list[Any]]] = [
            (None, [t for iri in test.data for t in _renamed(parse_rdf(path_of(iri)))])] if test.data else []
        graphs += [(iri, _renamed(parse_rdf(path_of(iri)))) for iri in test.graph_data]
        files = []
        for k, (graph, triples) in enumerate(graphs):
            files.append((str(data / f"{number}-{k}.nt"), graph))
            ox.serialize(triples, files[-1][0], ox.RdfFormat.N_TRIPLES)
        query = with_base(path_of(test.query).read_text(encoding="utf-8"), test.query)
        tasks.append({"op": "w3c", "id": test.id, "query": query, "files": files})
    return tests, {"setup": None, "tasks": tasks}


def run_w3c(engines: list[str], folders: list[str] | None, work: Path, timeout_s: float) -> dict[str, Any]:
    from tests.w3c.harness import expected_result

    tests, plan = w3c_plan(folders, work)
    report: dict[str, Any] = {"tests": len(tests), "approved": sum(t.approved for t in tests), "engines": {}}
    for engine in engines:
        started = time.monotonic()
        _setup, outcomes = run_tasks(engine, plan, work, timeout_s, timeout_s)
        per_test: dict[str, dict[str, str]] = {}
        for test, task, outcome in zip(tests, plan["tasks"], outcomes, strict=True):
            if outcome["status"] == "ok":
                kind, expected = expected_result(test)
                try:
                    answer = _read_answer(outcome["answer"])
                except (SyntaxError, ValueError, KeyError) as err:  # the engine wrote what no reader accepts
                    status, detail = "fail", f"the engine's answer does not parse: {err}"
                else:
                    status, detail = compare(expected, answer, task["query"], as_csv=kind == "csv")
            else:
                status, detail = outcome["status"], outcome.get("detail", "")
            per_test[test.id] = {"status": status, "approved": test.approved,
                                 "detail": detail[:600]}
        report["engines"][engine] = {"seconds": time.monotonic() - started, "counts": _counts(per_test),
                                     "tests": per_test}
        print(f"W3C {engine}: {_counts(per_test)['approved']}", flush=True)
    return report


def _counts(per_test: dict[str, dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Counts by status, for the approved tests and for all; ``fail-number-form`` is also a ``fail``."""
    out = {}
    for group, rows in (("approved", [r for r in per_test.values() if r["approved"]]), ("all", per_test.values())):
        statuses = [r["status"] for r in rows]
        counts = {s: statuses.count(s) for s in STATUSES}
        counts["fail"] += statuses.count("fail-number-form")
        counts["fail, numbers by value would pass"] = statuses.count("fail-number-form")
        out[group] = counts
    return out


def example_queries() -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted((ROOT / "kg" / "queries").glob("*.rq"))}


def graphs(sizes: list[int], work: Path) -> Iterator[tuple[str, int | None, list[str]]]:
    """The graphs the example queries run over, each with the ontology: the repository's own data (the real
    sources' figures, where the queries about named people and acts have rows), then the synthetic graph at each
    size, generated when its turn comes and removed after; (name, claims or None, Turtle files)."""
    sys.path.insert(0, str(ROOT))
    from kg.synth import generate

    ontology = str(ROOT / "ontology" / "kg.ttl")
    yield "repository", None, with_inferred([ontology, *map(str, sorted((ROOT / "data").glob("*.ttl")))],
                                            work / "inferred-repository.nt")
    for n in sizes:
        synth = generate(n, work / f"synth-{n}", seed=0)
        yield str(n), n, with_inferred([ontology, *map(str, sorted(synth.files))], synth.root / "inferred.nt")
        shutil.rmtree(synth.root, ignore_errors=True)


def with_inferred(files: list[str], out: Path) -> list[str]:
    """``files`` and an N-Triples file at ``out`` of what kg serves beside them by default: the inferred triples
    (KG_REASONING=owlrl, native engine). The example queries lean on them (``?c a kg:Claim``), so every engine
    answers over the graph the server answers over."""
    import pyoxigraph as ox

    from kg.reasoning import closure

    triples = {q.triple for f in files for q in ox.parse(path=f, format=ox.RdfFormat.TURTLE)}
    ox.serialize(closure(triples, "owlrl", "native"), str(out), ox.RdfFormat.N_TRIPLES)
    return [*files, str(out)]


def run_graph(name: str, claims: int | None, files: list[str], engines: list[str], args: argparse.Namespace,
              work: Path) -> dict[str, Any]:
    """Every example query on every engine over ``files``; answers compared with the reference's."""
    queries = example_queries()
    out: dict[str, Any] = {"graph": name, "claims": claims, "engines": {}}
    reference: dict[str, Any] = {}
    for engine in engines:
        if engine == "rdflib" and (claims or 0) > args.rdflib_max:
            continue  # minutes per query at this size; its answers are compared on the smaller graphs
        plan = {"setup": files, "tasks": [
            {"op": "query", "name": name, "query": text, "repeat": args.repeat, "budget_s": args.budget_s}
            for name, text in queries.items()]}
        setup, outcomes = run_tasks(engine, plan, work, args.timeout_s, args.setup_timeout_s)
        assert setup is not None
        result: dict[str, Any] = {"load_s": setup["load_s"], "rss_after_load_mib": setup["rss_mib"],
                                  "peak_rss_mib": max([setup["rss_mib"], *(o.get("rss_mib", 0) for o in outcomes)]),
                                  "queries": {}}
        for (query_name, text), outcome in zip(queries.items(), outcomes, strict=True):
            row: dict[str, Any] = {"status": outcome["status"]}
            if outcome["status"] == "ok":
                answer = _read_answer(outcome["answer"])
                row["rows"] = len(answer.rows) if hasattr(answer, "rows") else len(answer)
                row["p50_ms"] = statistics.median(outcome["ms"])
                row["n"] = len(outcome["ms"])
                if "native_ms" in outcome:
                    row["native_p50_ms"] = statistics.median(outcome["native_ms"])
                if engine == REFERENCE:
                    reference[query_name] = answer
                    row["status"] = "pass"
                elif query_name in reference:
                    row["status"], detail = compare(reference[query_name], answer, text)
                    if detail:
                        row["detail"] = detail[:600]
                else:
                    row["status"] = "unchecked"  # the reference gave no answer to compare with
                Path(outcome["answer"]).unlink()
            else:
                row["detail"] = outcome.get("detail", "")
            result["queries"][query_name] = row
        out["engines"][engine] = result
        print(f"{name}, {engine}: loaded in {result['load_s']:.1f} s", flush=True)
    out["triples"] = _triples(files)
    return out


def _triples(files: list[str]) -> int:
    import pyoxigraph as ox

    return sum(1 for f in files for _ in ox.parse(path=f, format=ox.RdfFormat.TURTLE))


# --- report --------------------------------------------------------------------------------------------------

def w3c_table(report: dict[str, Any]) -> str:
    lines = [f"W3C SPARQL 1.1 query-evaluation tests ({report['tests']} tests of the harness's folders, "
             f"{report['approved']} approved), each engine in-process over exactly its test's dataset:", "",
             "| engine | approved: pass | fail | of which numbers by value would pass | error | crash | timeout "
             "| all tests: pass |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for engine, r in report["engines"].items():
        a, everything = r["counts"]["approved"], r["counts"]["all"]
        lines.append(f"| {engine} | {a['pass']} | {a['fail']} | {a['fail, numbers by value would pass']} | "
                     f"{a['error']} | {a['crash']} | {a['timeout']} | {everything['pass']}/{report['tests']} |")
    return "\n".join(lines)


def size_table(size: dict[str, Any]) -> str:
    engines = list(size["engines"])
    others = [e for e in engines if e != REFERENCE]
    header = ["query", *(f"{e} p50" for e in engines)]
    header += [f"{e} / {REFERENCE}" for e in others] + [f"{e} answer" for e in others]
    if "maplib" in engines:
        header.insert(1 + engines.index("maplib") + 1, "maplib DataFrame p50")
    title = "the repository's data" if size["claims"] is None else f"{size['claims']:,} synthetic claims"
    lines = [f"### {title} ({size['triples']:,} triples)", "",
             "| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]

    def ms(v: float | None) -> str:
        return "–" if v is None else f"{v:,.1f} ms"

    for name in example_queries():
        cells = [name]
        for e in engines:
            q = size["engines"][e]["queries"][name]
            cells.append(ms(q.get("p50_ms")) if q["status"] not in ("error", "crash", "timeout") else q["status"])
            if e == "maplib":
                cells.append(ms(q.get("native_p50_ms")))
        ref = size["engines"][REFERENCE]["queries"][name].get("p50_ms")
        for e in others:
            own = size["engines"][e]["queries"][name].get("p50_ms")
            cells.append(f"{own / ref:.2f}x" if own and ref else "–")
        for e in others:
            q = size["engines"][e]["queries"][name]
            labels = {"pass": f"same ({q.get('rows', 0):,} rows)",
                      "fail-number-form": "same values, numbers typed differently"}
            cells.append(labels.get(q["status"], q["status"]))
        lines.append("| " + " | ".join(cells) + " |")
    for label, key, unit in (("load the Turtle", "load_s", "s"), ("peak RSS", "peak_rss_mib", "MiB")):
        values = [size["engines"][e][key] for e in engines]
        cells = [label, *(f"{v:,.1f} {unit}" for v in values)]
        if "maplib" in engines:
            cells.insert(1 + engines.index("maplib") + 1, "")
        cells += [f"{size['engines'][e][key] / size['engines'][REFERENCE][key]:.2f}x" for e in others]
        cells += [""] * len(others)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def markdown(results: dict[str, Any]) -> str:
    parts = [f"# Embedded SPARQL engines ({results['machine']['date']}, {results['machine']['cpus']} CPUs, "
             f"Python {results['machine']['python']}; {', '.join(results['versions'])})", "",
             f"Command: `{results['command']}`", ""]
    if results.get("w3c"):
        parts += [w3c_table(results["w3c"]), ""]
        failing = {e: sorted(t for t, r in v["tests"].items() if r["approved"] and r["status"] != "pass")
                   for e, v in results["w3c"]["engines"].items()}
        for engine, ids in failing.items():
            if ids:
                parts += [f"{engine}, approved tests not passed: " + ", ".join(
                    f"{t} ({results['w3c']['engines'][engine]['tests'][t]['status']})" for t in ids), ""]
    parts += ["Example queries (`kg/queries/*.rq`), in-process, p50 of the query to its SPARQL JSON answer "
              "(N-Triples for CONSTRUCT); answers compared with pyoxigraph's by the W3C harness's rules:", ""]
    for size in results["sizes"].values():
        parts += [size_table(size), ""]
        differ = [f"* {e}, {q}: {r['status']}: {r.get('detail', '')}" for e, v in size["engines"].items()
                  for q, r in v["queries"].items() if r["status"] != "pass"]
        if differ:
            parts += ["Where the answers are not pyoxigraph's:", "", *differ, ""]
    return "\n".join(parts)


def versions(engines: list[str]) -> list[str]:
    out = []
    for engine in engines:
        code = f"import importlib.metadata as m; print(m.version({engine!r}))"
        found = subprocess.run([engine_python(engine), "-c", code], capture_output=True, text=True, check=True)
        out.append(f"{engine} {found.stdout.strip()}")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", nargs="+", default=list(ENGINES), choices=list(ENGINES))
    parser.add_argument("--sizes", type=int, nargs="*", default=[20_000, 100_000], help="claims of the graphs")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per query, after one warm-up")
    parser.add_argument("--budget-s", type=float, default=60, help="stop timing a query after this (≥1 sample)")
    parser.add_argument("--timeout-s", type=float, default=600, help="a task longer than this is a timeout")
    parser.add_argument("--setup-timeout-s", type=float, default=1800, help="longest load of a graph")
    parser.add_argument("--rdflib-max", type=int, default=2_000,
                        help="largest synthetic graph rdflib is run on (its compare query takes minutes at 2,000 "
                             "claims and grows faster than linearly)")
    parser.add_argument("--w3c-folders", nargs="*", default=None,
                        help="only these folders of the W3C tests (default: all the harness runs; none: skip)")
    parser.add_argument("--out", type=Path, default=RESULTS / "engines.json")
    parser.add_argument("--worker", choices=list(ENGINES), help=argparse.SUPPRESS)
    parser.add_argument("--tasks", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--start", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--answers", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker, args.tasks, args.start, args.answers)

    sys.path.insert(0, str(ROOT))
    engines = [e for e in ENGINES if e in args.engines]
    if REFERENCE not in engines:
        parser.error(f"--engines must include {REFERENCE}, the reference the others are compared with")
    results: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0], "date": time.strftime("%Y-%m-%d")},
        "command": " ".join(["bench/bench_engines.py", *sys.argv[1:]]), "versions": versions(engines),
        "w3c": None, "sizes": {}}
    work = Path(tempfile.mkdtemp(prefix="kg-bench-engines-"))
    try:
        if args.w3c_folders is None or args.w3c_folders:
            results["w3c"] = run_w3c(engines, args.w3c_folders, work, min(args.timeout_s, 60))
        for name, claims, files in graphs(args.sizes, work):
            results["sizes"][name] = run_graph(name, claims, files, engines, args, work)
            print(size_table(results["sizes"][name]), flush=True)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(results, indent=1))  # after every size: a long run stopped keeps the rest
    finally:
        shutil.rmtree(work, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1))
    report = markdown(results)
    args.out.with_suffix(".md").write_text(report + "\n")
    if results["w3c"]:
        print(w3c_table(results["w3c"]))
    print(f"\nraw numbers: {args.out}; tables: {args.out.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
