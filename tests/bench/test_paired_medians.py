"""bench.measure.paired_medians_ms: ours and the baseline are timed in turn, as many times each."""

from bench import measure


def test_ours_and_the_baseline_run_in_turn_after_their_warm_up(monkeypatch):
    monkeypatch.setattr(measure, "SAMPLE_SECONDS", 0)
    calls = []
    ours, baseline, samples = measure.paired_medians_ms(
        lambda: calls.append("ours"), lambda: calls.append("baseline"), 3
    )
    assert calls == ["ours", "baseline"] * (measure.WARM_UP_RUNS + 3)
    assert samples == 3
    assert ours >= 0 and baseline >= 0


def test_a_fast_pair_takes_more_samples_within_its_time_up_to_the_cap(monkeypatch):
    monkeypatch.setattr(measure, "SAMPLE_SECONDS", 60)
    monkeypatch.setattr(measure, "MAX_RUNS", 40)
    calls = []
    *_, samples = measure.paired_medians_ms(
        lambda: calls.append("ours"), lambda: calls.append("baseline"), 3
    )
    assert samples == 40
    assert calls.count("ours") == calls.count("baseline") == measure.WARM_UP_RUNS + 40
