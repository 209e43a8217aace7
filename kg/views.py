"""Prepared views: the figures table computed once per data version and served by page from disk.

The graph is read-only between data versions, so the headline query (seconds at 100k claims) runs once;
its rows are written as CSV and as JSON records next to a byte-offset index of every row. A page
(``offset``, ``limit``) is then two seeks and one read, whatever the size of the graph, and the server keeps
none of it in memory.
"""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from array import array
from dataclasses import dataclass
from pathlib import Path

from kg.figures import COLUMNS, figures
from kg.files import write_atomic
from kg.graph import KnowledgeGraph

FILES = {"csv": "figures.csv", "json": "figures.jsonl", "index-csv": "figures.csv.idx",
         "index-json": "figures.jsonl.idx"}
HEADER = ",".join(COLUMNS) + "\n"


def write_figures(rows: list[dict[str, str]], directory: Path) -> int:
    """Write the view files for ``rows`` into ``directory``; returns the row count. The ``complete`` marker is
    written last, so a half-written view is never opened."""
    directory.mkdir(parents=True, exist_ok=True)
    csv_buf, json_buf = io.BytesIO(), io.BytesIO()
    csv_buf.write(HEADER.encode())  # the file is a complete CSV on its own, served as it is
    csv_index, json_index = array("Q"), array("Q")
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(COLUMNS), lineterminator="\n")
    for row in rows:
        csv_index.append(csv_buf.tell())
        text.seek(0)
        text.truncate()
        writer.writerow(row)
        csv_buf.write(text.getvalue().encode("utf-8"))
        json_index.append(json_buf.tell())
        json_buf.write(json.dumps({c: row[c] for c in COLUMNS}, ensure_ascii=False).encode("utf-8") + b"\n")
    csv_index.append(csv_buf.tell())
    json_index.append(json_buf.tell())
    write_atomic(directory / FILES["csv"], csv_buf.getvalue())
    write_atomic(directory / FILES["json"], json_buf.getvalue())
    write_atomic(directory / FILES["index-csv"], csv_index.tobytes())
    write_atomic(directory / FILES["index-json"], json_index.tobytes())
    write_atomic(directory / "complete", str(len(rows)).encode())
    return len(rows)


def prepare_figures(kg: KnowledgeGraph, directory: Path) -> int:
    """Run the figures query once and write its view into ``directory``.

    Without the query timeout: ``KG_QUERY_TIMEOUT_S`` bounds what one request may cost, while this runs once
    per data version, in the background of the server or on the first ``kg figures --store-dir`` - and is what
    lets the headline be served when the query itself takes longer than a request may (25 s from the on-disk
    store at 100,000 claims)."""
    return write_figures(figures(kg, max_rows=0, timeout_s=math.inf), directory)


@dataclass
class FiguresView:
    """Pages of a prepared figures view (see :func:`write_figures`)."""

    directory: Path
    count: int

    @classmethod
    def open(cls, directory: Path) -> FiguresView | None:
        """The view in ``directory``, or None when it has not been (completely) written."""
        try:
            return cls(directory, int((directory / "complete").read_text()))
        except (OSError, ValueError):  # absent, unreadable or damaged: prepared again by the caller
            return None

    def _slice(self, kind: str, offset: int, limit: int | None) -> bytes:
        first = max(0, min(offset, self.count))
        last = self.count if limit is None else max(first, min(self.count, first + limit))
        if first == last:
            return b""
        with (self.directory / FILES[f"index-{kind}"]).open("rb") as f:
            f.seek(first * 8)
            start = int.from_bytes(f.read(8), sys.byteorder)
            f.seek(last * 8)
            end = int.from_bytes(f.read(8), sys.byteorder)
        with (self.directory / FILES[kind]).open("rb") as f:
            f.seek(start)
            return f.read(end - start)

    @property
    def csv_path(self) -> Path:
        """The whole view as one CSV file (with its header)."""
        return self.directory / FILES["csv"]

    def csv(self, offset: int = 0, limit: int | None = None) -> bytes:
        """The CSV of rows ``[offset, offset+limit)`` with the header of ``kg figures --format csv``."""
        return HEADER.encode() + self._slice("csv", offset, limit)

    def json(self, offset: int = 0, limit: int | None = None) -> bytes:
        """The JSON array of the records of rows ``[offset, offset+limit)``."""
        lines = self._slice("json", offset, limit).rstrip(b"\n")
        return b"[" + lines.replace(b"\n", b",\n") + b"]" if lines else b"[]"

    def records(self, offset: int = 0, limit: int | None = None) -> list[dict[str, str]]:
        return json.loads(self.json(offset, limit))
