"""``kg add``: the kg:Document block of a new seed file (file, hash, publisher, publication date).

The text stays in ``seeds/``: the checker reads the file and compares its hash, so nothing asks a curator to
paste it (``embed_text`` writes ``kg:text`` too, for shapes that still require it).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from kg.curation.attribution import AgentIndex
from kg.curation.dates import extent
from kg.errors import InputError, UsageError
from kg.files import decode, read_bytes
from kg.settings import Settings
from kg.turtle.canonical import format_text, quote

HEADER = """@prefix kg: <https://w3id.org/ua-children-kg/ontology#> .
@prefix kgr: <https://w3id.org/ua-children-kg/id/> .
@prefix oa: <http://www.w3.org/ns/oa#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix time: <http://www.w3.org/2006/time#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""
_FORMS = {"Day": (r"\d{4}-\d{2}-\d{2}", "inXSDDate", "date"), "Month": (r"\d{4}-\d{2}", "inXSDgYearMonth",
          "gYearMonth"), "Year": (r"\d{4}", "inXSDgYear", "gYear")}
DOCUMENT_TYPES = ("NewsArticle", "OfficialDocument", "SocialMediaPost", "WebPage")


def slug(text: str) -> str:
    """A lower-case IRI local name part from free text ("Save Ukraine" -> "save-ukraine")."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def precision_of(value: str) -> str:
    """"Day", "Month" or "Year" from a date's form (2023-11-20, 2023-11, 2023); :class:`UsageError` otherwise."""
    for precision, (pattern, _, _) in _FORMS.items():
        if re.fullmatch(pattern, value) and extent(value, precision):
            return precision
    raise UsageError(f"--published {value!r}: write a day (2023-11-20), a month (2023-11) or a year (2023)")


def date_turtle(value: str, precision: str, *, basis: str, note: str | None = None) -> str:
    """A ``kg:DateDescription`` written once in its precision; ``kg fmt`` derives the precision and bounds."""
    _, prop, datatype = _FORMS[precision]
    parts = [f'time:{prop} "{value}"^^xsd:{datatype}', f"kg:basis kg:{basis}"]
    if note:
        parts.append(f"kg:curatorNote {quote(note)}")
    return "[ a kg:DateDescription ; " + " ; ".join(parts) + " ]"


@dataclass(frozen=True)
class Seed:
    """A seed file read from ``seeds/``: its path as written in ``kg:seedFile``, text and SHA-256."""

    relative: str
    text: str
    sha256: str


def read_seed(path: Path, settings: Settings) -> Seed:
    """The seed file at ``path``, which must lie in the root's ``seeds/`` folder; :class:`InputError` (one line
    naming the file) when it is missing, not a regular file, too large, elsewhere or not UTF-8."""
    data = read_bytes(path, limit=settings.max_file_bytes)  # a regular file only, capped (KG_MAX_FILE_BYTES)
    seeds = (settings.root / "seeds").resolve()
    resolved = path.resolve()
    if resolved.parent != seeds:
        raise InputError(f"{path}: a seed file must be directly in {seeds} (kg:seedFile is \"seeds/<name>\")",
                         path=str(path))
    return Seed(f"seeds/{resolved.name}", decode(data, path), hashlib.sha256(data).hexdigest())


def document_turtle(seed: Seed, *, url: str, publisher: str, published: str, agents: AgentIndex,
                    name: str | None = None, label: str | None = None, language: str = "en",
                    doc_type: str = "NewsArticle", embed_text: bool = False) -> tuple[str, str]:
    """(document IRI local name, canonical Turtle) of the document block. A publisher no known agent is
    called by gets a new kg:Organization block, to move into ``data/actors.ttl``."""
    if doc_type not in DOCUMENT_TYPES:
        raise UsageError(f"--type {doc_type!r}: one of {', '.join(DOCUMENT_TYPES)}")
    if not re.fullmatch(r"https?://\S+", url):
        raise UsageError(f"--url {url!r}: an http(s) URL")
    precision = precision_of(published)
    known = agents.match(publisher)
    publisher_iri = known.iri.rsplit("/", 1)[-1] if known else f"org-{slug(publisher)}"
    publisher_label = known.label if known else publisher
    local = name or f"doc-{slug(publisher_label)}-{published}"
    blocks = [HEADER, f"# {seed.relative} (added by `kg add`)\n"]
    lines = [f"kgr:{local} a kg:{doc_type}",
             f"rdfs:label {quote(label or f'{publisher_label}: report of {published}')}@en",
             f'kg:language "{language}"^^xsd:language',
             "kg:published " + date_turtle(published, precision, basis="Stated"),
             f"kg:publisher kgr:{publisher_iri}", f"kg:seedFile {quote(seed.relative)}",
             f'kg:sha256 "{seed.sha256}"', f"kg:url <{url}>"]
    if embed_text:
        lines.append(f"kg:text {quote(seed.text)}")
    blocks.append(" ;\n    ".join(lines) + " .\n")
    if known is None:
        blocks.append(f"\n# New agent: no known agent is called {publisher!r}. Check data/actors.ttl for another "
                      "name, pick its class, and move this block there.\n"
                      f"kgr:{publisher_iri} a kg:Organization ;\n    rdfs:label {quote(publisher)}@en .\n")
    return local, format_text("".join(blocks))
