"""The geometry of the figures timeline (kg/timeline.py): spans for coarse dates, inferred marks apart."""

from __future__ import annotations

from datetime import date

import pytest

from kg import timeline


def record(claim: str, stated: str, basis: str = "stated", claimant: str = "Ukraine") -> dict[str, str]:
    return {"claim": claim, "value": "19546", "qualifier": "exactly", "indicator": "deported",
            "claimant": claimant, "stated": stated, "stated_basis": basis}


def test_a_month_precision_date_spans_its_month():
    chart = timeline.layout([record("a", "2023-07"), record("b", "2024-01-15")])
    (month, day) = chart.marks
    assert chart.start == date(2023, 1, 1) and chart.end == date(2025, 1, 1)
    x = lambda d: timeline.x_of(d, chart.start, chart.end)  # noqa: E731
    assert month.x0 == pytest.approx(x(date(2023, 7, 1)))
    assert month.x1 == pytest.approx(x(date(2023, 8, 1)))
    assert not month.point and month.precision == "month"
    assert day.point and day.x0 == day.x1
    assert x(date(2024, 1, 15)) < day.cx < x(date(2024, 1, 16))


def test_a_year_spans_the_year_and_ends_the_axis_on_new_year():
    chart = timeline.layout([record("a", "2023")])
    (mark,) = chart.marks
    assert chart.end == date(2024, 1, 1)
    assert mark.x0 == pytest.approx(timeline.LEFT)
    assert mark.x1 == pytest.approx(timeline.WIDTH - timeline.RIGHT)
    assert [t.label for t in chart.ticks] == ["2023", "2024"]


def test_inferred_and_stated_are_told_apart():
    chart = timeline.layout([record("a", "2023-07", "inferred"), record("b", "2023-07-30", "external")])
    assert [m.inferred for m in chart.marks] == [True, False]


def test_lanes_per_claimant_colours_and_overlaps():
    chart = timeline.layout([record("a", "2023-07"), record("b", "2023-07"), record("c", "2023-08", claimant=""),
                             record("d", "2023-12", claimant="Russia")])
    assert [lane.claimant for lane in chart.lanes] == ["Ukraine", timeline.UNATTRIBUTED, "Russia"]
    ukraine = chart.lanes[0]
    assert ukraine.height == 2 * timeline.ROW  # the two July marks overlap: a second row
    a, b = chart.marks[:2]
    assert a.y != b.y and ukraine.y < a.y < b.y < ukraine.y + ukraine.height
    assert chart.colours[timeline.UNATTRIBUTED] == timeline.UNATTRIBUTED_COLOUR
    assert len(set(chart.colours.values())) == 3
    assert chart.axis_y == chart.height - timeline.AXIS


def test_undated_and_capped():
    chart = timeline.layout([record("a", ""), record("b", "n/a")] +
                            [record(str(i), "2023-01-01") for i in range(timeline.MAX_MARKS + 3)])
    assert chart.undated == 2 and chart.dropped == 3 and len(chart.marks) == timeline.MAX_MARKS
    empty = timeline.layout([])
    assert empty.marks == () and empty.lanes == ()
