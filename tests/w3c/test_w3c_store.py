"""The W3C SPARQL 1.1 query-evaluation tests run through ``kg serve --store`` over a real Oxigraph server (the
store-backed mode of :mod:`tests.w3c.test_w3c_query`): every approved evaluation test, judged with the same
:data:`KNOWN_FAILURES`, so an answer that kg's layer over an external store (the protocol request, the parsing
of the store's answer, the re-rendering) changes fails here.

Left out, with the reason: the syntax tests (kg parses and refuses a query before any store is asked, so they
test the same code as the embedded run), the non-approved tests (they never fail the build, here neither) and
the result-format agreement check (kg's own serialisers, the same code whichever store answered).
"""

from __future__ import annotations

import httpx2 as httpx
import pytest

from .harness import STORE, run_query_test
from .manifest import QueryTest
from .test_w3c_query import EVALUATION, _judge


@pytest.mark.parametrize("test", EVALUATION, ids=lambda t: t.id)
def test_evaluation_through_an_external_store(test: QueryTest, w3c_store_client: httpx.Client) -> None:
    _judge(STORE, test, run_query_test(w3c_store_client, test))
