"""W3C SPARQL 1.1 conformance harness: the W3C test suites run over HTTP against a real `kg serve` process."""
