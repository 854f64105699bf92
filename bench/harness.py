"""A/B measurement: Keyhold and its baseline interleaved round by round, reported as a median ratio."""

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

    @property
    def passed(self) -> bool:
        return self.ratio >= self.bar if self.higher_is_better else self.ratio <= self.bar

    def as_dict(self) -> dict:
        return {**asdict(self), "passed": self.passed}


def rate(operation: Callable[[], None], count: int) -> float:
    """Run `operation` `count` times and return operations per second."""
    started = time.perf_counter()
    for _ in range(count):
        operation()
    return count / (time.perf_counter() - started)


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
    return Result(
        name=name,
        unit=unit,
        keyhold=statistics.median(ours),
        baseline=statistics.median(theirs),
        ratio=statistics.median(ratios),
        spread=(min(ratios), max(ratios)),
        bar=bar,
        higher_is_better=higher_is_better,
        rounds=rounds,
    )
