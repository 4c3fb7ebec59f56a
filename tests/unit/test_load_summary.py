"""The load benchmark's figures: throughput while every user is active, apart from the whole run's."""
from __future__ import annotations

from benchmarks.load_soak import LoadPlan, LoadResult, Outcome, Recorder


def result_of(ends: list[float], steady: tuple[float, float] | None) -> LoadResult:
    recorder = Recorder()
    for end in ends:
        recorder.add(Outcome("api", True, 200, 0.1, end - 0.1))
    return LoadResult(LoadPlan(users=1, turns=len(ends), channels=("api",)), recorder, wall_s=max(ends), stopped_early=False,
                      steady=steady)


def test_steady_throughput_counts_the_turns_that_end_inside_the_window():
    # 10 turns/s between 10 s and 20 s, a slow tail of 5 turns after it
    ends = [10 + i / 10 for i in range(101)] + [25, 30, 35, 40, 45]
    figures = result_of(ends, steady=(10.0, 20.0)).summary()
    assert figures["steady_window_s"] == 10.0
    assert figures["steady_turns_per_s"] == 10.1  # 101 turns end within [10, 20]
    assert figures["turns_per_s"] < 4  # the whole span, tail included


def test_no_steady_window_no_steady_figure():
    figures = result_of([1.0, 2.0], steady=None).summary()
    assert "steady_turns_per_s" not in figures and figures["turns"] == 2
