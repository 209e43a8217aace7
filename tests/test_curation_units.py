"""Unit tests of kg.curation: numbers, hedges, dates, attribution, derived date bounds."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from kg.curation.attribution import AgentIndex, find_cue
from kg.curation.dates import date_expressions, extent
from kg.curation.numbers import ages, figures
from kg.turtle.canonical import format_text


@pytest.mark.parametrize(("sentence", "expected"), [
    ("At least 11,000 children", [(11000, "AtLeast", "At least")]),
    ("up to 19 546 people", [(19546, "AtMost", "up to")]),
    ("More than 2000 of them", [(2000, "MoreThan", "More than")]),
    ("over seven hundred families", [(700, "MoreThan", "over")]),
    ("some 700 thousand", [(700000, "About", "some")]),
    ("nearly a dozen camps", [(12, "About", "nearly")]),
    ("Only 387 children", [(387, "Exactly", "Only")]),
    ("almost 1.2 million", [(1200000, "About", "almost")]),
    ("dozens of buses and hundreds of families", [(24, "AtLeast", None), (200, "AtLeast", None)]),
])
def test_figures_and_hedges(sentence, expected):
    assert [(f.value, f.qualifier, f.hedge) for f in figures(sentence)] == [(Decimal(v), q, h) for v, q, h in expected]


def test_implied_values_are_marked():
    assert [f.implied for f in figures("dozens of children and 40 adults")] == [True, False]


@pytest.mark.parametrize("sentence", [
    "On November 20, 2023 the office met", "In 2022 the count began", "Call +380 44 123 4567 now",
    "at 10:30 on the 3rd floor", "under Article 49 of resolution 2712", "report A/HRC/52/62",
])
def test_non_figures_are_left_out(sentence):
    assert figures(sentence) == []


def test_ages_are_scope_not_figures():
    sentence = "about 2,400 children aged six to 17 were taken"
    assert [f.value for f in figures(sentence)] == [Decimal(2400)]
    assert [(a.min_age, a.max_age) for a in ages(sentence)] == [(6, 17)]
    assert [(a.min_age, a.max_age) for a in ages("children under the age of 18")] == [(None, 17)]


@pytest.mark.parametrize(("sentence", "value", "precision", "inferred"), [
    ("On November 20, they met", "2023-11-20", "Day", True),
    ("In July, she said", "2023-07", "Month", True),
    ("in March 2023, the court", "2023-03", "Month", False),
    ("In December the office", "2022-12", "Month", True),  # the past of a November 2023 report
    ("last week the ministry", "2023-11", "Month", True),
])
def test_date_expressions(sentence, value, precision, inferred):
    found = date_expressions(sentence, base=date(2023, 11, 20))
    assert [(d.value, d.precision, d.inferred) for d in found] == [(value, precision, inferred)]


def test_last_week_keeps_the_week_as_bounds():
    (week,) = date_expressions("last week", base=date(2023, 11, 20))
    assert (week.earliest, week.latest) == (date(2023, 11, 13), date(2023, 11, 19))


def test_extent():
    assert extent("2024-02", "Month") == (date(2024, 2, 1), date(2024, 2, 29))
    assert extent("2023", "Year") == (date(2023, 1, 1), date(2023, 12, 31))
    assert extent("2023-02-30", "Day") is None


PREFIXES = """@prefix kg: <https://w3id.org/ua-children-kg/ontology#> .
@prefix time: <http://www.w3.org/2006/time#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""


def test_fmt_derives_missing_bounds_and_keeps_written_ones():
    text = PREFIXES + """<http://x/a> kg:date [ a kg:DateDescription ; kg:basis kg:Inferred ;
        time:inXSDgYearMonth "2023-07"^^xsd:gYearMonth ] ;
    kg:asOf [ a kg:DateDescription ; kg:basis kg:Inferred ; kg:earliest "2023-05-01"^^xsd:date ;
        time:inXSDgYear "2023"^^xsd:gYear ] .
"""
    out = format_text(text)
    for line in ('kg:earliest "2023-07-01"^^xsd:date', 'kg:latest "2023-07-31"^^xsd:date', "kg:MonthPrecision",
                 'kg:earliest "2023-05-01"^^xsd:date', 'kg:latest "2023-12-31"^^xsd:date', "kg:YearPrecision"):
        assert line in out
    assert '"2023-01-01"' not in out  # the written bound is never replaced
    assert format_text(out) == out


@pytest.fixture(scope="module")
def agents():
    import kg

    return AgentIndex.from_graph(kg.load())


@pytest.mark.parametrize(("sentence", "iri"), [
    ("According to Ukraine, 19,546 children", "state-ua"),
    ("This was reported by the British Ministry of Defense intelligence.", "org-uk-defence-intelligence"),
    ("In July, Russian Children's Rights Commissioner Maria Lvova-Belova said that", "person-maria-lvova-belova"),
    ("Save Ukraine told reporters that 300 children", None),  # not Ukraine
])
def test_attribution(agents, sentence, iri):
    cue = find_cue(sentence)
    assert cue is not None
    found = agents.match(cue.mention)
    assert (found.iri.rsplit("/", 1)[-1] if found else None) == iri


def test_cues_that_point_elsewhere():
    assert find_cue("It was also reported that 2,400 children").unattributed
    assert find_cue("According to its data, there are 43").anaphor
    assert find_cue("So far, only 387 children have been returned.") is None
