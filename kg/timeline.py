"""The geometry of the figures timeline: one mark per claim on a time axis, one lane per claimant.

Pure arithmetic over figures records (:data:`kg.figures.COLUMNS`); the page's template only writes the SVG
elements this module places. Uncertainty is drawn, not hidden: a date known to the month or the year is a bar
covering that whole month or year (:func:`kg.datetext.span`), a day is a dot; a date the curators inferred
(basis ``inferred``) is hollow and dashed, a stated one filled.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from kg import datetext

#: Colour-blind-safe palette (Okabe and Ito), then a few more distinct hues; claimants beyond it share colours
#: but keep their own lane and label.
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#d55e00", "#56b4e9", "#8c6d00", "#7f3c8d",
           "#11a579", "#3969ac", "#e73f74", "#80ba5a")
UNATTRIBUTED = "(unattributed)"
UNATTRIBUTED_COLOUR = "#6b6b6b"
WIDTH = 1000
LEFT = 230  # room for the lane labels
RIGHT = 20
TOP = 10
AXIS = 28  # the axis and its year labels under the lanes
ROW = 16  # one row of marks
RADIUS = 5  # a day-precision mark
GAP = 3  # pixels kept free between two marks of one row
MAX_MARKS = 2000  # a chart of more marks is unreadable and heavy; the table below still lists every row
LABEL_CHARS = 32


@dataclass(frozen=True)
class Mark:
    """One claim. ``x0``-``x1``: the span its stated date covers (``x0 == x1`` for a day, drawn as a dot at
    ``cx``); ``y``: the centre of its row."""

    claim: str
    title: str
    x0: float
    x1: float
    y: float
    colour: str
    inferred: bool
    precision: str

    @property
    def point(self) -> bool:
        return self.precision == "day"

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2


@dataclass(frozen=True)
class Lane:
    """A claimant's band: its label, colour, top and height (it grows a row for each overlap)."""

    claimant: str
    colour: str
    y: float
    height: float

    @property
    def short(self) -> str:
        c = self.claimant
        return c if len(c) <= LABEL_CHARS else c[: LABEL_CHARS - 1].rstrip() + "…"


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class Timeline:
    """Everything the template draws; ``undated`` claims have no stated date and are not drawn, ``dropped``
    are beyond :data:`MAX_MARKS`."""

    width: float
    height: float
    start: date
    end: date
    lanes: tuple[Lane, ...] = ()
    marks: tuple[Mark, ...] = ()
    ticks: tuple[Tick, ...] = ()
    undated: int = 0
    dropped: int = 0
    colours: Mapping[str, str] = field(default_factory=dict)

    @property
    def axis_y(self) -> float:
        return self.height - AXIS


def x_of(day: date, start: date, end: date, *, left: float = LEFT, right: float = WIDTH - RIGHT) -> float:
    """The x of the start of ``day`` on an axis from ``start`` (at ``left``) to ``end`` (at ``right``)."""
    total = max(1, (end - start).days)
    return left + (day - start).days / total * (right - left)


def _title(record: Mapping[str, str]) -> str:
    value = record.get("value", "")
    value = f"{int(value):,}" if value.isdigit() else value
    who = record.get("claimant") or UNATTRIBUTED
    when = datetext.human(record.get("stated", ""), record.get("stated_basis", ""))
    return f"{record.get('qualifier', '')} {value}: {record.get('indicator', '')}; {who}, {when}".strip()


def layout(records: Iterable[Mapping[str, str]], *, width: float = WIDTH) -> Timeline:
    """Place every dated record (at most :data:`MAX_MARKS`) on a time axis covering whole years.

    Lanes come in the order of each claimant's first record (the records are sorted by date); a mark that would
    overlap the previous one of its lane goes to the next free row of that lane. A record whose ``stated`` is
    empty or malformed counts as ``undated``."""
    dated: list[tuple[Mapping[str, str], date, date, str]] = []
    undated = dropped = 0
    for record in records:
        try:
            first, _last = datetext.span(record.get("stated", ""))
        except ValueError:
            undated += 1
            continue
        if len(dated) >= MAX_MARKS:
            dropped += 1
            continue
        dated.append((record, first, datetext.end_exclusive(record["stated"]), datetext.precision(record["stated"])))
    if not dated:
        today = date.today()
        return Timeline(width, TOP + AXIS, date(today.year, 1, 1), date(today.year + 1, 1, 1),
                        undated=undated, dropped=dropped)
    start = date(min(d[1] for d in dated).year, 1, 1)
    last = max(d[2] for d in dated)  # exclusive: a span ending on 31 December ends the axis on 1 January
    end = date(last.year + (0 if (last.month, last.day) == (1, 1) else 1), 1, 1)
    right = width - RIGHT
    colours: dict[str, str] = {}
    rows: dict[str, list[list[float]]] = {}  # claimant -> per row, the right edge of its last mark
    placed: list[tuple[Mapping[str, str], str, float, float, int, str]] = []
    for record, first, after, prec in dated:
        who = record.get("claimant") or UNATTRIBUTED
        if who not in colours:
            colours[who] = UNATTRIBUTED_COLOUR if who == UNATTRIBUTED else PALETTE[
                sum(1 for c in colours if c != UNATTRIBUTED) % len(PALETTE)]
            rows[who] = []
        x0, x1 = x_of(first, start, end, right=right), x_of(after, start, end, right=right)
        if prec == "day":  # a dot on the middle of its day
            x0 = x1 = (x0 + x1) / 2
        lo, hi = (x0 - RADIUS, x1 + RADIUS) if prec == "day" else (x0, x1)
        lane_rows = rows[who]
        row = next((i for i, edge in enumerate(lane_rows) if edge + GAP <= lo), len(lane_rows))
        if row == len(lane_rows):
            lane_rows.append(hi)
        lane_rows[row] = hi
        placed.append((record, who, x0, x1, row, prec))
    lanes: list[Lane] = []
    top: dict[str, float] = {}
    y = float(TOP)
    for who, lane_rows in rows.items():
        top[who] = y
        lanes.append(Lane(who, colours[who], y, len(lane_rows) * ROW))
        y += len(lane_rows) * ROW
    marks = tuple(Mark(record.get("claim", ""), _title(record), x0, x1, top[who] + row * ROW + ROW / 2,
                       colours[who], record.get("stated_basis") == "inferred", prec)
                  for record, who, x0, x1, row, prec in placed)
    ticks = tuple(Tick(x_of(date(year, 1, 1), start, end, right=right), str(year))
                  for year in range(start.year, end.year + 1))
    return Timeline(width, y + AXIS, start, end, tuple(lanes), marks, ticks, undated, dropped, colours)
