"""Dates as people read them, and the span a date in its precision covers (kg/datetext.py)."""

from __future__ import annotations

from datetime import date

import pytest

from kg import datetext


@pytest.mark.parametrize(("value", "basis", "text"), [
    ("2023-11-20", "stated", "20 November 2023"),
    ("2023-07", "external", "July 2023"),
    ("2023", "", "2023"),
    ("2023-07", "inferred", "July 2023 (inferred)"),
    ("2023-02-01", "inferred", "1 February 2023 (inferred)"),
    ("", "inferred", ""),
    ("soon", "", "soon"),
])
def test_human(value, basis, text):
    assert datetext.human(value, basis) == text


@pytest.mark.parametrize(("value", "first", "last"), [
    ("2023-07", date(2023, 7, 1), date(2023, 7, 31)),
    ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
    ("2023", date(2023, 1, 1), date(2023, 12, 31)),
    ("2023-11-20", date(2023, 11, 20), date(2023, 11, 20)),
])
def test_span_covers_the_precision(value, first, last):
    assert datetext.span(value) == (first, last)


@pytest.mark.parametrize("bad", ["2023-13", "2023-02-30", "July 2023", "", "23"])
def test_malformed_dates_raise(bad):
    with pytest.raises(ValueError):
        datetext.span(bad)


def test_precision_and_year():
    assert [datetext.precision(v) for v in ("2023", "2023-07", "2023-07-01")] == ["year", "month", "day"]
    assert datetext.year_of("2023-07") == "2023" and datetext.year_of("") == "" and datetext.year_of("x") == ""
