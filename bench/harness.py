"""A/B measurement: Keyhold and its baseline interleaved round by round, reported as a median ratio."""

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass


@dataclass
class Result:
    name: str
    unit: str
    keyhold: float
    baseline: float
    ratio: float
    spread: tuple[float, float]
    bar: float
    higher_is_better: bool
    rounds: int
    judged: bool = True

    @property
    def passed(self) -> bool:
        if not self.judged:
            return True
        return self.ratio >= self.bar if self.higher_is_better else self.ratio <= self.bar

    def as_dict(self) -> dict:
        return {**asdict(self), "passed": self.passed}


def smoke() -> bool:
    """`make bench BENCH_SMOKE=1`: one round, no warm-up, bars not judged; proves every benchmark still runs."""
    return os.environ.get("BENCH_SMOKE", "") not in ("", "0")


def rate(operation: Callable[[], None], count: int) -> float:
    """Run `operation` `count` times and return operations per second."""
    started = time.perf_counter()
    for _ in range(count):
        operation()
    return count / (time.perf_counter() - started)


def interleaved(
    first: Callable[[], None], second: Callable[[], None], count: int, chunk: int = 10
) -> tuple[float, float]:
    """Run each operation `count` times, alternating every `chunk` runs; return both rates (operations/s).

    For in-process request benchmarks, whose two sides cost milliseconds: alternating this finely puts
    both through the same moments of a shared machine, whose slow spells last about as long as a whole
    side of a round would, and would otherwise land on one side only.
    """
    spent = [0.0, 0.0]
    sides = [(0, first), (1, second)]
    for number, start in enumerate(range(0, count, chunk)):
        runs = min(chunk, count - start)
        # Which side goes first alternates too, so neither always runs right after the other.
        for index, operation in sides if number % 2 == 0 else sides[::-1]:
            began = time.perf_counter()
            for _ in range(runs):
                operation()
            spent[index] += time.perf_counter() - began
    return count / spent[0], count / spent[1]


def compare(
    name: str,
    *,
    keyhold: Callable[[], float],
    baseline: Callable[[], float],
    bar: float,
    unit: str = "ops/s",
    rounds: int = 7,
    warmup: int = 1,
    higher_is_better: bool = True,
) -> Result:
    """Measure both sides `rounds` times after `warmup` rounds, alternating which goes first.

    Each callable runs one round and returns its figure: usually a rate, or a cost (seconds) with
    `higher_is_better=False`, where the ratio is then Keyhold's share of the baseline. Alternating the
    order cancels drift on a shared, noisy machine better than running one side then the other.
    """
    if smoke():
        rounds, warmup = 1, 0
    for _ in range(warmup):
        keyhold()
        baseline()
    ours, theirs, ratios = [], [], []
    for round_number in range(rounds):
        if round_number % 2:
            b, k = baseline(), keyhold()
        else:
            k, b = keyhold(), baseline()
        ours.append(k)
        theirs.append(b)
        ratios.append(k / b)
    return summarized(name, unit, ours, theirs, ratios, bar=bar, higher_is_better=higher_is_better)


def paired(
    name: str,
    *,
    measure: Callable[[], tuple[float, float]],
    bar: float,
    unit: str,
    rounds: int = 7,
    warmup: int = 1,
    higher_is_better: bool = True,
) -> Result:
    """Like `compare`, for figures that come out of one run together (a p99 and its own p50)."""
    if smoke():
        rounds, warmup = 1, 0
    for _ in range(warmup):
        measure()
    pairs = [measure() for _ in range(rounds)]
    ours, theirs = [k for k, _ in pairs], [b for _, b in pairs]
    ratios = [k / b for k, b in pairs]
    return summarized(name, unit, ours, theirs, ratios, bar=bar, higher_is_better=higher_is_better)


def from_rounds(
    name: str, *, unit: str, ours: list[float], theirs: list[float], bar: float, higher_is_better: bool = True
) -> Result:
    """A result from figures measured elsewhere, round by round (several rows that share one run of servers)."""
    ratios = [k / b for k, b in zip(ours, theirs, strict=True)]
    return summarized(name, unit, ours, theirs, ratios, bar=bar, higher_is_better=higher_is_better)


def summarized(name, unit, ours, theirs, ratios, *, bar, higher_is_better) -> Result:
    """One row from per-round figures: medians of both sides, the median ratio and its spread."""
    return Result(
        name=name,
        unit=unit,
        keyhold=statistics.median(ours),
        baseline=statistics.median(theirs),
        ratio=statistics.median(ratios),
        spread=(min(ratios), max(ratios)),
        bar=bar,
        higher_is_better=higher_is_better,
        rounds=len(ratios),
        judged=not smoke(),
    )
