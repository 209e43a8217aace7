"""Turtle authoring: the located parser, locations of terms and triples, the canonical writer (``kg fmt``)."""
