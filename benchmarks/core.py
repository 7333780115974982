"""Figures, budgets and verdicts: the shape every benchmark reports in.

A figure is a list of measured values (one per repeat) summarised by its
median and spread, so one slow run on a shared machine doesn't decide the
verdict. A budget only gets a pass or a fail when it really applies: the
issue's budgets for start-up, recognition speed and memory are set for the
small English Vosk model, which this machine cannot have, so the Korean
figures are shown against them as "n/a" with how far over or under they are.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Budget:
    """An upper limit on a figure's median."""

    limit: float
    #: Set when the budget was written for another setup (e.g. "the small English
    #: model"); the figure is then compared for information only.
    applies_to: str | None = None

    def describe(self, unit: str) -> str:
        return f"< {format_value(self.limit, unit)}"


@dataclass
class Figure:
    """One measured quantity: its values, unit, budget and what it was measured with."""

    key: str
    stage: str
    title: str
    unit: str
    values: list[float] = field(default_factory=list)
    budget: Budget | None = None
    #: What the figure was measured with, when that matters (model, engine, double).
    label: str = ""
    #: Why nothing was measured (e.g. no English model here); the verdict is n/a.
    skipped: str | None = None
    #: The benchmark failed; kept so the table and JSON still list the figure.
    error: str | None = None
    #: Set when ``budget.applies_to`` differs from what was measured: why.
    budget_not_applicable: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def median(self) -> float | None:
        return statistics.median(self.values) if self.values else None

    def spread(self) -> dict[str, float] | None:
        if not self.values:
            return None
        ordered = sorted(self.values)
        if len(ordered) >= 2:
            q1, _, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
        else:
            q1 = q3 = ordered[0]
        return {"min": ordered[0], "p25": q1, "p75": q3, "max": ordered[-1]}

    def verdict(self) -> tuple[str, str]:
        """("pass" | "FAIL" | "n/a", the reason)."""
        if self.error:
            return "n/a", f"error: {self.error}"
        if self.skipped:
            return "n/a", self.skipped
        median = self.median
        if median is None:
            return "n/a", "nothing was measured"
        if self.budget is None:
            return "n/a", "the issue sets no budget for this figure"
        within = median < self.budget.limit
        if self.budget_not_applicable:
            side = "within" if within else "over"
            return "n/a", f"{self.budget_not_applicable} (would be {side} it)"
        return ("pass" if within else "FAIL"), ""

    def as_json(self) -> dict[str, Any]:
        verdict, reason = self.verdict()
        return {
            "stage": self.stage,
            "title": self.title,
            "unit": self.unit,
            "label": self.label,
            "repeats": len(self.values),
            "values": [round(v, 6) for v in self.values],
            "median": None if self.median is None else round(self.median, 6),
            "spread": (
                None
                if self.spread() is None
                else {k: round(v, 6) for k, v in (self.spread() or {}).items()}
            ),
            "budget": (
                None
                if self.budget is None
                else {
                    "limit": self.budget.limit,
                    "unit": self.unit,
                    "applies_to": self.budget.applies_to,
                }
            ),
            "verdict": verdict,
            "reason": reason,
            "skipped": self.skipped,
            "error": self.error,
            "details": self.details,
        }


def format_value(value: float | None, unit: str) -> str:
    """A value in its unit, with sensible precision for a table."""
    if value is None:
        return "-"
    if unit == "s":
        return f"{value * 1000:.3g} ms" if value < 1 else f"{value:.2f} s"
    if unit == "MB":
        return f"{value:.1f} MB"
    if unit == "x":  # real-time factors
        return f"{value:.4f}" if value < 0.01 else f"{value:.3f}"
    return f"{value:g} {unit}"


# -- measuring -----------------------------------------------------------------


@contextmanager
def stopwatch() -> Iterator[Callable[[], float]]:
    """``with stopwatch() as elapsed: ...; elapsed()`` gives wall seconds so far."""
    began = time.perf_counter()
    yield lambda: time.perf_counter() - began


def rss_mb(pid: int | str = "self") -> float:
    """Resident memory now (VmRSS) in MB."""
    return _status_kb(pid, "VmRSS") / 1024


def peak_rss_mb(pid: int | str = "self") -> float:
    """Peak resident memory so far (VmHWM) in MB."""
    return _status_kb(pid, "VmHWM") / 1024


def _status_kb(pid: int | str, field_name: str) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field_name + ":"):
                return float(line.split()[1])
    raise RuntimeError(f"/proc/{pid}/status has no {field_name}")
