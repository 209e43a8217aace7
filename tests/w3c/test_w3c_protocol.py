"""W3C SPARQL 1.1 Protocol tests (``protocol/manifest.ttl``), query operation, replayed against ``kg serve``.

Each query test starts a server holding exactly the graphs its ``ut:graphData`` names (shared between tests with
the same start state), replays its requests in order and checks status class, result format and boolean. The
update tests are not collected as conformance tests: the endpoint is read-only by design and refuses every
update with 403; :func:`test_update_requests_are_refused` checks exactly that refusal instead.
"""

from __future__ import annotations

import httpx2 as httpx
import pytest

from .harness import ProtocolServer, check_response, record, send
from .manifest import ProtocolTest, protocol_tests

QUERY_TESTS = [t for t in protocol_tests() if not t.is_update]
UPDATE_TESTS = [t for t in protocol_tests() if t.is_update]

#: Every graph any protocol test loads: the start state for the update-refusal check (so there is data to lose).
ALL_GRAPHS = tuple(sorted({g for t in protocol_tests() for g in t.graph_data}))
QUADS = "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g ?s ?p ?o"


def test_manifest_has_the_documented_tests() -> None:
    """The shared README counts 20 query and 14 update tests, all approved; a different count means the
    manifest or its reading changed, and the harness would silently test something else."""
    assert (len(QUERY_TESTS), len(UPDATE_TESTS)) == (20, 14)
    assert sum(t.id.startswith("bad_") for t in QUERY_TESTS) == 7
    assert all(t.approval == "Approved" for t in protocol_tests())
    # No request of a query test carries an update, so skipping the update tests skips no query operation.
    assert not [t.id for t in QUERY_TESTS for r in t.requests
                if r.content_type == "application/sparql-update" or any(k == "update" for k, _ in r.parameters())]


@pytest.mark.parametrize("test", QUERY_TESTS, ids=lambda t: t.id)
def test_protocol_query(test: ProtocolTest, protocol_server: ProtocolServer) -> None:
    base = protocol_server(test.graph_data)
    problems = []
    with httpx.Client(base_url=base, timeout=30) as client:
        for number, request in enumerate(test.requests, 1):
            problem = check_response(request, send(client, request))
            if problem:
                problems.append(f"request {number} ({request.method} {request.path[:80]}): {problem}")
    record("protocol", test.id, "fail" if problems else "pass")
    assert not problems, f"{test.iri}: {test.name}\n" + "\n".join(problems)


def _quads(client: httpx.Client) -> list[dict[str, object]]:
    response = client.get("/sparql", params={"query": QUADS}, headers={"accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.text
    return response.json()["results"]["bindings"]


def test_update_requests_are_refused(protocol_server: ProtocolServer) -> None:
    """Every update request of the manifest gets a 4xx (403 for a well-formed one, which the manifest expects
    to succeed), the queries that follow an update see no effect of it, and the data is unchanged afterwards."""
    base = protocol_server(ALL_GRAPHS)
    problems = []
    refused = 0
    with httpx.Client(base_url=base, timeout=30) as client:
        before = _quads(client)
        assert len(before) == len(ALL_GRAPHS)  # one triple per data file: the state there is to lose
        for test in UPDATE_TESTS:
            for request in test.requests:
                response = send(client, request)
                status = response.status_code
                if request.sends_query:
                    # The manifest's follow-up ASK checks the update's effect (expects true); refused, it is false.
                    answer = response.json().get("boolean") if status == 200 else None
                    if answer is not False:
                        problems.append(f"{test.id}: follow-up query answered {status} {response.text[:200]}")
                    continue
                well_formed = "2xx" in request.expected_status
                if (status != 403) if well_formed else not 400 <= status < 500:
                    problems.append(f"{test.id}: update answered {status}, expected "
                                    f"{'403' if well_formed else '4xx'}: {response.text[:200]}")
                else:
                    refused += 1
                outcome = "pass" if 400 <= status < 500 else "fail"
                record("update refused", f"{test.id}#{test.requests.index(request) + 1}", outcome)
        after = _quads(client)
    assert not problems, "\n".join(problems)
    assert refused == sum(not r.sends_query for t in UPDATE_TESTS for r in t.requests) == 14
    assert after == before
