"""Curation: turning a new report into Turtle a curator reviews (``kg add``, ``kg draft``).

The package holds no imports on purpose: :mod:`kg.turtle.canonical` uses :mod:`kg.curation.dates` to derive
date bounds, and :mod:`kg.curation.draft` uses the canonical writer, so loading this package must not load
either side (that would be an import cycle at run time).
"""
