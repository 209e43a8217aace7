"""An external SPARQL store: talking to it over the standard protocols (:mod:`kg.remote.http`), answering the
library's queries from it (:mod:`kg.remote.store`), and publishing the checked data into it
(:mod:`kg.remote.manifest`, :mod:`kg.remote.publish`).

The store is any server speaking the SPARQL 1.1 Protocol (queries), the SPARQL 1.1 Update language (the swap of
a staged graph) and the Graph Store HTTP Protocol (writing a graph); tested with Oxigraph server and Virtuoso.
"""
