"""The two lanes of query workers, and how the heavy lane shares the processor with the light lane and the server
(``KG_HEAVY_PRIORITY``)."""

from __future__ import annotations

import contextlib
import os
from enum import StrEnum

from kg.errors import QueryTimeout
from kg.settings import Settings

#: The niceness of heavy-lane workers at ``KG_HEAVY_PRIORITY=low`` (0 is the server's own; 19 the lowest).
LOW_NICENESS = 10


class Lane(StrEnum):
    """Which workers run a task: ``light`` ones are kept for cheap requests, so heavy queries filling the
    ``heavy`` lane never make an entity page wait (see :mod:`kg.service` for what goes where)."""

    LIGHT = "light"
    HEAVY = "heavy"


class BudgetExceeded(Exception):
    """A task did not answer within the budget its caller gave (the light lane's). Never reaches a client:
    :mod:`kg.service` runs the task again in the heavy lane (a worker process has been replaced; a thread goes
    on computing, and the heavy run takes it over)."""


def timeout_error(settings: Settings) -> QueryTimeout:
    """The error of a task past its deadline (``KG_QUERY_TIMEOUT_S``), whichever pool ran it."""
    return QueryTimeout(f"query exceeded KG_QUERY_TIMEOUT_S={settings.query_timeout_s:g} seconds",
                        setting="KG_QUERY_TIMEOUT_S")


def lower_priority(pid: int, priority: str) -> None:
    """Schedule the heavy worker ``pid`` as ``KG_HEAVY_PRIORITY`` says. ``low`` (the default): niceness 10, so
    a light worker sharing a core with it gets about nine tenths. ``idle``: Linux's ``SCHED_IDLE`` (an
    unprivileged process may give it to its own kind; weight 3 against a normal process's 1,024), with the lowest
    niceness where that is refused or missing. Why not idle by default: side by side on two cores
    (``bench/results/load-ab-priority.md``) it did not lower the light p99 beyond the machine's noise, and it
    makes heavy queries wait for every other program on the machine too."""
    if priority == "normal":
        return
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, pid, LOW_NICENESS if priority == "low" else 19)
    if priority == "idle" and hasattr(os, "sched_setscheduler") and hasattr(os, "SCHED_IDLE"):
        with contextlib.suppress(OSError):
            os.sched_setscheduler(pid, os.SCHED_IDLE, os.sched_param(0))
