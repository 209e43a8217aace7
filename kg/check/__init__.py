"""The checker: ``check(paths)`` validates Turtle files within the whole graph (see :mod:`kg.check.runner`)."""
