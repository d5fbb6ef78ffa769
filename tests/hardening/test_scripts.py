"""The arithmetic of the load and fault scripts (their runs are too long for the suite; their
figures are in README "Hardening"): what decides a pass must itself be right."""

import pytest

from scripts import faults, load


def test_slope_is_mib_per_minute_by_least_squares():
    assert load.slope_per_minute([(0, 100.0), (60, 102.0), (120, 104.0)]) == pytest.approx(2.0)
    assert load.slope_per_minute([(0, 100.0), (30, 110.0), (60, 100.0)]) == pytest.approx(0.0)
    assert load.slope_per_minute([(0, 100.0)]) == 0.0
    assert load.slope_per_minute([(5, 100.0), (5, 120.0)]) == 0.0  # no time spread


def test_memory_trend_ignores_the_warm_up_and_keeps_each_process_apart():
    samples = [
        (0.0, {11: 90.0, 12: 80.0}),
        (30.0, {11: 140.0, 12: 81.0}),  # warm-up: caches and pools fill
        (60.0, {11: 150.0, 12: 82.0}),
        (120.0, {11: 150.0, 12: 84.0}),
        (180.0, {11: 150.0, 12: 86.0}),
    ]
    trend = load.memory_trend(samples, warmup_s=60)
    assert trend[11] == {
        "start_mib": 90.0,
        "after_warmup_mib": 150.0,
        "peak_mib": 150.0,
        "end_mib": 150.0,
        "slope_after_warmup_mib_per_min": 0.0,
    }
    assert trend[12]["slope_after_warmup_mib_per_min"] == 2.0
    assert trend[12]["after_warmup_mib"] == 82.0


def _report(**changes):
    outage = {"during": [[503, "unhealthy", "unhealthy"]], "after": [200, "healthy", "healthy"]}
    back = {"live_again_after_s": 2.0, "polling_when_posted": False, "new_call_shown_after_s": 0.4}
    report = {
        "events": {"acknowledged": 10, "stored_rows": 10, "stored_distinct": 10,
                   "acknowledged_missing": 0},
        "redis_outage": outage,
        "postgres_restart": {**outage, "export": {"final_status": "succeeded"}},
        "worker_sigkill_mid_export": {"final_status": "failed"},
        "exports_left_pending_or_running": 0,
        "live_page": {"redis": back, "web": back},
    }  # fmt: skip
    report.update(changes)
    return report


def test_fault_verdict_passes_only_when_every_expectation_holds():
    assert all(faults.verdict(_report()).values())
    lost = _report(events={"acknowledged": 10, "stored_rows": 9, "stored_distinct": 9,
                           "acknowledged_missing": 1})  # fmt: skip
    assert faults.verdict(lost)["every_202_stored_once"] is False
    silent = _report(redis_outage={"during": [[200, "healthy", "healthy"]],
                                   "after": [200, "healthy", "healthy"]})  # fmt: skip
    assert faults.verdict(silent)["redis_outage_reported_then_recovered"] is False
    assert faults.verdict(_report(exports_left_pending_or_running=1))["exports_ended"] is False
    back_ok = {"live_again_after_s": 1.0, "polling_when_posted": False,
               "new_call_shown_after_s": 0.2}  # fmt: skip
    for broken in (
        {"live_again_after_s": None},  # never live again
        {"polling_when_posted": True},  # shown by polling, not pushed
        {"new_call_shown_after_s": None},  # never shown
    ):
        verdict = faults.verdict(_report(live_page={"web": back_ok | broken}))
        assert verdict["live_page_back_after_every_fault"] is False, broken
    assert faults.verdict(_report(live_page={"web": back_ok}))["live_page_back_after_every_fault"]
