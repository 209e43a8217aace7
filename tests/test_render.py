"""Result renderings follow the W3C SPARQL 1.1 result formats."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import pyoxigraph as ox

from kg.query import SelectResult
from kg.render import result_text

XSD = "http://www.w3.org/2001/XMLSchema#"
RESULT = SelectResult(
    variables=["s", "n", "l", "b"],
    rows=[
        (ox.NamedNode("http://e/a"), ox.Literal("12", datatype=ox.NamedNode(XSD + "integer")),
         ox.Literal('say "hi",\nthen', language="en"), ox.BlankNode("b0")),
        (ox.NamedNode("http://e/b"), None, ox.Literal("plain"), None),
    ],
)


def test_json():
    data = json.loads(result_text(RESULT, "json"))
    assert data["head"]["vars"] == ["s", "n", "l", "b"]
    first, second = data["results"]["bindings"]
    assert first["n"] == {"type": "literal", "value": "12", "datatype": XSD + "integer"}
    assert first["l"] == {"type": "literal", "value": 'say "hi",\nthen', "xml:lang": "en"}
    assert first["b"] == {"type": "bnode", "value": "b0"}
    assert "n" not in second and second["l"] == {"type": "literal", "value": "plain"}


def test_xml():
    root = ET.fromstring(result_text(RESULT, "xml"))
    ns = {"r": "http://www.w3.org/2005/sparql-results#"}
    assert [v.get("name") for v in root.findall("r:head/r:variable", ns)] == ["s", "n", "l", "b"]
    assert len(root.findall("r:results/r:result", ns)) == 2


def test_csv_quotes_and_crlf():
    text = result_text(RESULT, "csv")
    assert text.startswith("s,n,l,b\r\n")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[1] == ["http://e/a", "12", 'say "hi",\nthen', "_:b0"]
    assert rows[2] == ["http://e/b", "", "plain", ""]


def test_tsv_terms_in_turtle_syntax():
    lines = result_text(RESULT, "tsv").split("\n")
    assert lines[0] == "?s\t?n\t?l\t?b"
    assert lines[1] == '<http://e/a>\t12\t"say \\"hi\\",\\nthen"@en\t_:b0'
