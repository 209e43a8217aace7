"""A source's text with its spans marked (kg/sourcetext.py): paragraphs, overlaps split, anchors once."""

from __future__ import annotations

import json

import pytest

from kg import sourcetext
from kg.errors import NotFound

TEXT = "According to Ukraine, 19,546 children were taken.\nSo far, only 387 have returned."


def h(start, end, kind="claim", target="c1", span="s1"):
    return sourcetext.Highlight(start, end, span, kind, target, target.upper())


def rendered(paragraphs):
    return [[(p.text, tuple(m.target for m in p.marks)) for p in para] for para in paragraphs]


def test_paragraphs_split_at_line_breaks_and_keep_plain_text():
    paras = sourcetext.paragraphs(TEXT, [])
    assert [[p.text for p in para] for para in paras] == [[TEXT.split("\n")[0]], [TEXT.split("\n")[1]]]


def test_overlapping_spans_are_split_innermost_first():
    claim = h(0, 48, target="claim")  # the whole first sentence
    mention = h(13, 20, kind="mention", target="ukraine", span="s2")  # "Ukraine" inside it
    other = h(22, 60, target="other", span="s3")  # crosses the line break and the claim's end
    paras = sourcetext.paragraphs(TEXT, [claim, mention, other])
    first = rendered(paras)[0]
    assert first[0] == ("According to ", ("claim",))
    assert first[1] == ("Ukraine", ("ukraine", "claim"))
    assert first[3][1] == ("other", "claim")  # shortest covering span first: other (38) before the claim (48)
    assert "".join(p.text for para in paras for p in para) == TEXT.replace("\n", "")
    for para in paras:  # no piece crosses a boundary of any span
        for piece in para:
            assert all(piece.text in TEXT[m.start:m.end] for m in piece.marks)
    anchors = [a for para in paras for p in para for a in p.anchors]
    assert anchors == ["s1", "s2", "s3"]
    assert paras[0][1].title == "mention: UKRAINE; claim: CLAIM" and paras[0][1].overlap
    assert not sourcetext.Piece("x", (claim, h(0, 48, kind="evidence", target="event"))).overlap


def test_highlights_of_clips_and_dedupes():
    def binding(start, end, target):
        return {"span": {"value": "s"}, "start": {"value": str(start)}, "end": {"value": str(end)},
                "kind": {"value": "claim"}, "target": {"value": target}}
    body = json.dumps({"results": {"bindings": [binding(0, 5, "a"), binding(0, 5, "a"), binding(3, 999, "b"),
                                                 binding(2, 9, "c")]}}).encode()
    assert [(x.start, x.end, x.target) for x in sourcetext.highlights_of(body, 20)] == [(0, 5, "a"), (2, 9, "c")]


def test_document_iri_refuses_names_that_could_not_be_documents():
    assert sourcetext.document_iri("https://b/", "doc-x_1.2") == "https://b/id/doc-x_1.2"
    for bad in ("a b", "x>", "../x", ""):
        with pytest.raises(NotFound):
            sourcetext.document_iri("https://b/", bad)


def test_source_view_unknown_document_is_none():
    empty = json.dumps({"results": {"bindings": []}}).encode()
    assert sourcetext.source_view("x", empty, empty, empty) is None
