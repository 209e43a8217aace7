"""Dates as people read them, and the interval a date in its precision stands for.

The graph writes a date in the precision known (``xsd:date``, ``xsd:gYearMonth``, ``xsd:gYear``): "2023-11-20",
"2023-07", "2023". A reader should see "20 November 2023", "July 2023", "2023", and a chart should draw
"2023-07" as the whole of July, never as its first day (that would claim a precision the source does not give).
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

_ENGLISH_MONTHS = ("", "January", "February", "March", "April", "May", "June", "July", "August", "September",
                   "October", "November", "December")
_DATE = re.compile(r"^(-?\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")

#: The precisions a date string can have, from its form.
PRECISIONS = ("year", "month", "day")


def parse(value: str) -> tuple[int, int | None, int | None]:
    """``(year, month, day)`` of ``"YYYY"``, ``"YYYY-MM"`` or ``"YYYY-MM-DD"`` (the missing parts None).

    Raises :class:`ValueError` for any other text or an impossible date (month 13, 30 February)."""
    match = _DATE.match(value.strip())
    if not match:
        raise ValueError(f"not a date in YYYY, YYYY-MM or YYYY-MM-DD form: {value!r}")
    year = int(match[1])
    month = int(match[2]) if match[2] else None
    day = int(match[3]) if match[3] else None
    date(year, month or 1, day or 1)  # raises ValueError for an impossible month or day
    return year, month, day


def precision(value: str) -> str:
    """``"year"``, ``"month"`` or ``"day"``: how much of the date ``value`` gives (see :func:`parse`)."""
    _year, month, day = parse(value)
    return "day" if day is not None else "month" if month is not None else "year"


def span(value: str) -> tuple[date, date]:
    """The first and the last day (both inclusive) a date in its precision covers: "2023-07" is
    1 to 31 July 2023, "2024" is 1 January to 31 December 2024, a day is itself."""
    year, month, day = parse(value)
    if day is not None:
        one = date(year, month or 1, day)
        return one, one
    if month is not None:
        return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    return date(year, 1, 1), date(year, 12, 31)


def end_exclusive(value: str) -> date:
    """The day after the last day of :func:`span` (the right edge of the span on a time axis)."""
    return span(value)[1] + timedelta(days=1)


def year_of(value: str) -> str:
    """The year of a date string as text ("2023-07" -> "2023"); ``""`` for an empty or malformed value."""
    try:
        return str(parse(value)[0]) if value else ""
    except ValueError:
        return ""


def human(value: str, basis: str = "") -> str:
    """A date as people read it, in English: "20 November 2023", "July 2023", "2023"; followed by
    " (inferred)" when ``basis`` is ``"inferred"`` (the date was worked out by the curators, not stated).

    An empty value gives ``""``; a value that is not a date is returned unchanged (shown, not hidden)."""
    if not value:
        return ""
    try:
        year, month, day = parse(value)
    except ValueError:
        return value
    if day is not None and month is not None:
        text = f"{day} {_ENGLISH_MONTHS[month]} {year}"
    elif month is not None:
        text = f"{_ENGLISH_MONTHS[month]} {year}"
    else:
        text = str(year)
    return f"{text} (inferred)" if basis == "inferred" else text
