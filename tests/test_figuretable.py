"""Filtering and sorting the figures records by the /figures parameters (kg/figuretable.py)."""

from __future__ import annotations

import pytest

from kg import figuretable
from kg.errors import UsageError

RECORDS = [
    {"claim": "c1", "value": "700000", "indicator": "received", "claimant": "Maria Lvova-Belova",
     "stated": "2023-07", "as_of": ""},
    {"claim": "c2", "value": "19546", "indicator": "deported", "claimant": "Ukraine; Dmytro Lubinets",
     "stated": "2023-08", "as_of": "2023-07-31"},
    {"claim": "c3", "value": "2400", "indicator": "deported", "claimant": "", "stated": "2024-11-20", "as_of": ""},
]
PLACES = {"c1": ["Russia"], "c2": ["Russia"], "c3": ["Belarus"]}


def test_parse_refuses_unknown_and_repeated_parameters():
    with pytest.raises(UsageError, match="unknown parameter 'sortt'"):
        figuretable.parse([("sortt", "value")])
    with pytest.raises(UsageError, match="more than once"):
        figuretable.parse([("year", "2023"), ("year", "2024")])
    with pytest.raises(UsageError, match="unknown sort"):
        figuretable.parse([("sort", "colour")])
    with pytest.raises(UsageError, match="four digits"):
        figuretable.parse([("year", "23")])
    assert figuretable.parse([("offset", "0"), ("limit", "5")]).is_default


@pytest.mark.parametrize(("params", "claims"), [
    ([], ["c1", "c2", "c3"]),
    ([("indicator", "deported")], ["c2", "c3"]),
    ([("claimant", "Dmytro Lubinets")], ["c2"]),
    ([("claimant", "(unattributed)")], ["c3"]),
    ([("place", "Russia")], ["c1", "c2"]),
    ([("year", "2024")], ["c3"]),
    ([("sort", "value")], ["c3", "c2", "c1"]),
    ([("sort", "-value")], ["c1", "c2", "c3"]),
    ([("sort", "-stated")], ["c3", "c2", "c1"]),
    ([("sort", "as_of")], ["c2", "c1", "c3"]),
    ([("sort", "claimant")], ["c1", "c2", "c3"]),
    ([("place", "Russia"), ("sort", "-value")], ["c1", "c2"]),
])
def test_select(params, claims):
    selected = figuretable.select(RECORDS, figuretable.parse(params), PLACES)
    assert [r["claim"] for r in selected] == claims


def test_facets_and_links():
    facets = figuretable.facets(RECORDS, PLACES)
    assert facets.claimants == ("(unattributed)", "Dmytro Lubinets", "Maria Lvova-Belova", "Ukraine")
    assert facets.places == ("Belarus", "Russia") and facets.years == ("2023", "2024")
    selection = figuretable.parse([("place", "Russia")])
    assert selection.query(sort="-value") == {"place": "Russia", "sort": "-value"}
    assert selection.query(place="") == {}


def test_places_of_sparql_json():
    body = (b'{"head": {"vars": ["claim", "place"]}, "results": {"bindings": ['
            b'{"claim": {"type": "uri", "value": "c1"}, "place": {"type": "literal", "value": "Russia"}},'
            b'{"claim": {"type": "uri", "value": "c1"}, "place": {"type": "literal", "value": "Belarus"}}]}}')
    assert figuretable.places_of(body) == {"c1": ["Belarus", "Russia"]}
