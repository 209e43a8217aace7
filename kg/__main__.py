"""``python -m kg``: the same entry point as the ``kg`` console script."""

from kg.cli import main

raise SystemExit(main())
