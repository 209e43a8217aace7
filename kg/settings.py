"""One settings object with safe defaults, read from ``KG_*`` environment variables; CLI flags override.

Defaults are chosen so that a server started without configuration is safe to leave running: it listens on
loopback only, is read-only, stops any query after a timeout and caps the rows it returns.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from kg.errors import UsageError
from kg.files import MAX_FILE_BYTES

#: The project's own base IRI (a w3id.org redirect would point here); entity IRIs live under ``id/``.
BASE_IRI = "https://w3id.org/ua-children-kg/"
ONTOLOGY_IRI = BASE_IRI + "ontology"
ONTOLOGY_NS = ONTOLOGY_IRI + "#"
ENTITY_NS = BASE_IRI + "id/"
SHAPES_NS = BASE_IRI + "shapes#"
GRAPH_NS = BASE_IRI + "graph/"
#: The named graph holding the triples a reasoner inferred (never a file's graph: nothing inferred is written).
INFERRED_GRAPH = GRAPH_NS + "inferred"
#: ``KG_REASONING`` values: no inference, the RDFS closure, the OWL 2 RL closure (owlrl).
REASONING_MODES = ("none", "rdfs", "owlrl")
#: ``KG_REASONER`` values: the engine that computes a mode's closure (see :mod:`kg.reasoning`).
REASONERS = ("native", "owlrl")
#: ``KG_HEAVY_PRIORITY`` values: how the heavy lane's workers are scheduled (see :mod:`kg.workers.scheduling`).
HEAVY_PRIORITIES = ("idle", "low", "normal")
#: ``KG_WORKER_MODE`` values: queries in worker processes (stopped at the deadline) or in threads over one store.
WORKER_MODES = ("processes", "threads")
#: ``KG_STORE_AUTH`` values: how credentials for an external store are sent (RFC 7617, RFC 7616).
STORE_AUTH = ("digest", "basic")
#: ``KG_STORE_DATASET`` values: how a query over the union of the published graphs names its dataset.
STORE_DATASETS = ("named", "union")


def _default_root() -> Path:
    """The repository root: the nearest folder from the working folder upwards that holds ``ontology/`` and
    ``data/`` (as git finds ``.git``, so a copied checkout uses its own files); else the folder holding
    ``ontology/`` next to the package (an editable install run outside any repository); else the working folder.
    ``KG_ROOT`` and ``--root`` override all of this."""
    cwd = Path.cwd().resolve()
    for folder in (cwd, *cwd.parents):
        if (folder / "ontology").is_dir() and (folder / "data").is_dir():
            return folder
    here = Path(__file__).resolve().parent.parent
    return here if (here / "ontology").is_dir() else cwd


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Every tunable of the library and its shells. Immutable; derive variants with :meth:`replace`."""

    root: Path = field(default_factory=_default_root, metadata={"help": "repository root (ontology/, data/ ...)"})
    host: str = field(
        default="127.0.0.1", metadata={"help": "bind address; loopback so nothing is exposed by accident"}
    )
    port: int = field(default=8000, metadata={"help": "TCP port of `kg serve`"})
    base_iri: str = field(default=BASE_IRI, metadata={"help": "IRI prefix that entity IRIs are minted under"})
    query_timeout_s: float = field(
        default=10.0, metadata={"help": "seconds a query may run before it is stopped; bounds the cost of one request"}
    )
    max_rows: int = field(
        default=10_000, metadata={"help": "row cap of one SELECT result; larger results are marked truncated"}
    )
    max_body_bytes: int = field(
        default=1_000_000, metadata={"help": "largest request body accepted (413 above); a query is never that big"}
    )
    header_timeout_s: float = field(default=10.0, metadata={
        "help": "seconds a client has to send a request line and headers (from its first byte, or from connecting "
                "for its first request): a client trickling its headers cannot hold a connection; a real one "
                "sends them in one packet"})
    body_timeout_s: float = field(default=30.0, metadata={
        "help": "seconds a client has to send a request body once its headers are in: a body it declares and "
                "never finishes cannot hold a connection and a handler; KG_MAX_BODY_BYTES in 30 s is 33 kB/s"})
    write_timeout_s: float = field(default=60.0, metadata={
        "help": "seconds an answer may wait on a client that reads none of it (the server's send buffer full the "
                "whole time): past it the connection is cut, so a client that never reads a dump holds neither "
                "the connection nor its buffers; a slow reader that makes any progress is never cut"})
    service_allowlist: tuple[str, ...] = field(
        default=(), metadata={"help": "SERVICE endpoints a query may call; empty, so queries never reach out"}
    )
    store_dir: Path | None = field(default=None, metadata={"help": "on-disk store directory; None keeps it in memory"})
    worker_mode: str = field(default="processes", metadata={
        "help": "where queries run: processes (forked from the loaded graph; a query is stopped at "
                "KG_QUERY_TIMEOUT_S and bounded by KG_WORKER_MEMORY_MB) or threads of the server over its one "
                "store (in memory about one store at any size, but a query past the timeout cannot be stopped: "
                "its client gets the 503 and it goes on at the lowest priority, holding a heavy place, until it "
                "ends, and a query past KG_WORKER_MEMORY_MB times the threads aborts the server; for a trusted or "
                "small machine, not a public endpoint)"})
    workers: int = field(default=2, metadata={
        "help": "query worker processes of `kg serve` for heavy queries (how many run at once); in memory, a "
                "query that reads most of the store makes most of it private to its worker for a while (the "
                "store's reads write to its pages)"})
    light_workers: int = field(default=2, metadata={
        "help": "query workers kept for light requests (entity pages, ASK, selective lookups) beside KG_WORKERS, "
                "so heavy queries cannot make them wait; forked from the same graph, which they share until they "
                "read it"})
    light_budget_s: float = field(default=0.3, metadata={
        "help": "seconds a request may compute in a light worker; past it the request moves to the other "
                "workers (within KG_QUERY_TIMEOUT_S) and its query's shape is remembered as heavy; so is a "
                "shape whose runs took on average over 15% of it (an entity page: half)"})
    heavy_priority: str = field(default="low", metadata={
        "help": "how KG_WORKERS' heavy workers share the processor with the light ones and the server: low "
                "(niceness 10: about a tenth of a core shared with a light worker), idle (Linux SCHED_IDLE: only "
                "what every normal process, other programs' too, leaves free), normal (as the server)"})
    worker_memory_mb: int = field(default=2048, metadata={
        "help": "address space a query worker may add beyond the loaded graph (RLIMIT_AS); a query needing more "
                "fails alone with 503 and its worker is replaced; 0 lifts the bound. The example queries at 100,000 "
                "claims add at most about 650 MB, so the default leaves three times that"})
    worker_recycle_mb: int = field(default=256, metadata={
        "help": "private memory a query worker may keep after a query before it is replaced by a fresh fork "
                "(memory freed by a heavy query is not always returned to the system); 0 never recycles"})
    public_url: str | None = field(default=None, metadata={
        "help": "the server's public root URL (e.g. https://kg.example.org) written into the service description "
                "and VoID; None reflects the request's Host header, so answers carry Vary: Host"})

    max_file_bytes: int = field(default=MAX_FILE_BYTES, metadata={
        "help": "largest file any command reads, and the most it reads of standard input (`kg query -`) "
                "(256 MiB; a synthetic graph of 100,000 claims is about 200 MB): "
                "a larger input is refused with a message naming this setting, before it is read, so a link to a "
                "disk image or a device cannot exhaust memory"})
    check_max_bytes: int = field(default=16 * 1024 * 1024, metadata={
        "help": "largest file `kg check` validates with positions (16 MiB, about 300,000 triples: under a minute "
                "and about 1.5 GB of memory, where 10 MB took 29 s and 0.9 GB; the repository's files are "
                "kilobytes); a larger file is a finding naming this setting and is neither read nor loaded (the "
                "other files are checked without it), instead of a run that exhausts memory"})

    reasoning: str = field(default="owlrl", metadata={
        "help": "inferred triples served in the graph <graph/inferred>: none, rdfs or owlrl (OWL 2 RL); computed "
                "once per data version and cached, so only the first load of a version pays for it"})
    reasoner: str = field(default="native", metadata={
        "help": "the engine computing KG_REASONING's closure: native (kg.closure, in-process, seconds at 100k claims; "
                "the suite proves it adds exactly owlrl's triples) or owlrl (the Python reference, minutes at 10k)"})
    cache_dir: Path | None = field(default=None, metadata={
        "help": "where inferred triples are cached per data version when KG_STORE_DIR is unset; None is "
                ".kg-cache/ under the root (gitignored)"})

    store_url: str | None = field(default=None, metadata={
        "help": "SPARQL query endpoint of an external store that `kg serve --store` answers from (e.g. "
                "http://127.0.0.1:7878/query); None serves the embedded store, so nothing leaves the machine"})
    graph_store_url: str | None = field(default=None, metadata={
        "help": "Graph Store HTTP Protocol endpoint `kg publish --to` writes the named graphs to (e.g. "
                "http://127.0.0.1:7878/store); None, so nothing is written anywhere unless asked"})
    store_update_url: str | None = field(default=None, metadata={
        "help": "SPARQL Update endpoint `kg publish` swaps each staged graph in with (MOVE), so a graph is "
                "never seen half-written; None refuses to publish rather than write in place"})
    store_dataset: str = field(default="named", metadata={
        "help": "named: every query names the published graphs as its dataset, so nothing else in the store (its "
                "other data, a publish's staging graph) is ever seen; union: the store's default graph is the "
                "union of its graphs (Virtuoso; oxigraph serve --union-default-graph), faster on Oxigraph, but "
                "a graph being published is visible while it is staged"})
    store_user: str | None = field(default=None, metadata={
        "help": "user name for the external store's endpoints (HTTP basic or digest); None sends no credentials"})
    store_password: str | None = field(default=None, repr=False, metadata={
        "secret": True,
        "help": "password of KG_STORE_USER, read from the environment only (no flag: it would show in ps); "
                "never logged, never shown in /-/settings.json"})
    store_auth: str = field(default="digest", metadata={
        "help": "how the credentials are sent: digest (the password never crosses the network) or basic "
                "(only over https or loopback)"})

    def __post_init__(self) -> None:
        """Reject values that would make the service useless or unsafe, naming the setting."""
        checks = [
            (self.query_timeout_s > 0, "KG_QUERY_TIMEOUT_S", "a positive number of seconds"),
            (self.max_rows >= 0, "KG_MAX_ROWS", "0 (no cap) or a positive number of rows"),
            (self.max_body_bytes > 0, "KG_MAX_BODY_BYTES", "a positive number of bytes"),
            (self.max_file_bytes > 0, "KG_MAX_FILE_BYTES", "a positive number of bytes"),
            (self.check_max_bytes > 0, "KG_CHECK_MAX_BYTES", "a positive number of bytes"),
            (self.header_timeout_s > 0, "KG_HEADER_TIMEOUT_S", "a positive number of seconds"),
            (self.body_timeout_s > 0, "KG_BODY_TIMEOUT_S", "a positive number of seconds"),
            (self.write_timeout_s > 0, "KG_WRITE_TIMEOUT_S", "a positive number of seconds"),
            (self.workers >= 0, "KG_WORKERS", "0 (queries in threads) or a positive number of processes"),
            (self.light_workers >= 0, "KG_LIGHT_WORKERS", "0 (no light lane) or a positive number of processes"),
            (self.light_budget_s > 0, "KG_LIGHT_BUDGET_S", "a positive number of seconds"),
            (self.worker_memory_mb >= 0, "KG_WORKER_MEMORY_MB", "0 (unbounded) or a positive number of MiB"),
            (self.worker_recycle_mb >= 0, "KG_WORKER_RECYCLE_MB", "0 (never) or a positive number of MiB"),
            (0 <= self.port <= 65535, "KG_PORT", "a TCP port (0-65535)"),
            (self.reasoning in REASONING_MODES, "KG_REASONING", "one of " + ", ".join(REASONING_MODES)),
            (self.reasoner in REASONERS, "KG_REASONER", "one of " + ", ".join(REASONERS)),
            (self.heavy_priority in HEAVY_PRIORITIES, "KG_HEAVY_PRIORITY", "one of " + ", ".join(HEAVY_PRIORITIES)),
            (self.worker_mode in WORKER_MODES, "KG_WORKER_MODE", "one of " + ", ".join(WORKER_MODES)),
            (self.store_auth in STORE_AUTH, "KG_STORE_AUTH", "one of " + ", ".join(STORE_AUTH)),
            (self.store_dataset in STORE_DATASETS, "KG_STORE_DATASET", "one of " + ", ".join(STORE_DATASETS)),
        ]
        for name in ("store_url", "graph_store_url", "store_update_url"):
            url = getattr(self, name)
            if url is not None:
                scheme, _, rest = url.partition("://")
                checks.append((scheme in ("http", "https") and bool(rest), f"KG_{name.upper()}", "an http(s) URL"))
        if self.public_url is not None:
            scheme, _, rest = self.public_url.partition("://")
            checks.append((scheme in ("http", "https") and bool(rest) and not set("?#") & set(rest),
                           "KG_PUBLIC_URL", "an http(s) URL without query or fragment"))
        for ok, name, expected in checks:
            if not ok:
                raise UsageError(f"{name} must be {expected}")

    def replace(self, **changes: Any) -> Settings:
        """A copy with ``changes`` applied; ``None`` values are ignored so unset CLI flags keep the default."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    @property
    def entity_space(self) -> str:
        """The IRI prefix of the dataset's own entities (VoID's ``void:uriSpace``)."""
        return self.base_iri + "id/"

    @property
    def ontology_dir(self) -> Path:
        return self.root / "ontology"

    @property
    def shapes_dir(self) -> Path:
        return self.root / "shapes"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, prefix: str = "KG_") -> Settings:
        """Settings from ``KG_<FIELD>`` variables (e.g. ``KG_QUERY_TIMEOUT_S=5``); unknown values raise."""
        env = os.environ if environ is None else environ
        changes: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(prefix + f.name.upper())
            if raw is None or raw == "":
                continue
            changes[f.name] = _coerce(f.name, raw)
        return cls().replace(**changes)

    def documented(self) -> list[dict[str, Any]]:
        """Name, value and help of every setting (for ``/-/settings.json`` and the README); a secret's value is
        only said to be set or not (``"(set)"`` or None), never shown."""
        return [
            {"name": f.name, "env": "KG_" + f.name.upper(),
             "value": (("(set)" if getattr(self, f.name) else None) if f.metadata.get("secret")
                       else _jsonable(getattr(self, f.name))),
             "help": f.metadata.get("help", "")}
            for f in fields(self)
        ]


def _coerce(name: str, raw: str) -> Any:
    try:
        if name in {"port", "max_rows", "max_body_bytes", "max_file_bytes", "check_max_bytes", "workers",
                    "light_workers", "worker_memory_mb", "worker_recycle_mb"}:
            value: Any = int(raw)
            if value < 0:
                raise ValueError
            return value
        if name in {"query_timeout_s", "header_timeout_s", "body_timeout_s", "write_timeout_s", "light_budget_s"}:
            value = float(raw)
            if value <= 0:
                raise ValueError
            return value
    except ValueError:
        raise UsageError(f"KG_{name.upper()}={raw!r} is not a valid value") from None
    if name in {"root", "store_dir", "cache_dir"}:
        return Path(raw)
    if name == "service_allowlist":
        return tuple(s for s in raw.split(",") if s)
    return raw


def _jsonable(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple):
        return list(value)
    return value
