"""Every Grafana panel query evaluated by `promtool test rules` on the series of two web instances:
counters and histograms summed across instances, database gauges read once (max), so the panels
show the figures of the whole deployment, not of one instance or twice the database."""

import json
import subprocess

import yaml

from tests.monitoring.helpers import ROOT

DASHBOARD = ROOT / "deploy" / "grafana-dashboard.json"
INSTANCES = ("web-1:8000", "web-2:8000")


def series(metric, labels, per_instance):
    """One input series per instance: `per_instance` are promtool value strings (e.g. '0+3x20')."""
    for instance, values in zip(INSTANCES, per_instance, strict=True):
        all_labels = {**labels, "instance": instance, "job": "voiceagent-web"}
        text = ",".join(f'{key}="{value}"' for key, value in all_labels.items())
        yield {"series": f"{metric}{{{text}}}", "values": values}


def both(values):
    return (values, values)


# Per minute: web-1 ended 1 qualified and 4 failed calls of campaign 1, web-2 2 qualified and 13
# without an answer: 3 qualified of 20 finished. Durations: web-1 1 call of 120 s a minute,
# web-2 3 calls of 80 s. LLM turns: web-1 10 a minute under 0.5 s, web-2 10 between 1 and 2 s.
INPUT_SERIES = [
    *series("active_calls", {}, both("7x20")),
    *series("queued_calls", {}, both("3x20")),
    *series("campaign_status", {"campaign": "1"}, both("1x20")),
    *series("campaign_status", {"campaign": "2"}, both("0x20")),
    *series("campaign_status", {"campaign": "3"}, both("1x20")),
    *series("campaign_info", {"campaign": "1", "name": "Powai launch", "status": "running"},
            both("1x20")),
    *series("campaign_info", {"campaign": "2", "name": "Baner plots", "status": "paused"},
            both("1x20")),
    *series("campaign_info", {"campaign": "3", "name": "Whitefield villas", "status": "running"},
            both("1x20")),
    *series("websocket_connections", {}, ("5x20", "4x20")),
    *series("calls_completed_total", {"campaign": "1", "outcome": "qualified"},
            ("0+1x20", "0+2x20")),
    *series("calls_completed_total", {"campaign": "1", "outcome": "failed"}, ("0+4x20", "0x20")),
    *series("calls_completed_total", {"campaign": "1", "outcome": "no_answer"},
            ("0x20", "0+13x20")),
    *series("calls_initiated_total", {"campaign": "1"}, ("0+2x20", "0+3x20")),
    *series("call_duration_seconds_sum", {"campaign": "1"}, ("0+120x20", "0+240x20")),
    *series("call_duration_seconds_count", {"campaign": "1"}, ("0+1x20", "0+3x20")),
    *series("llm_request_duration_seconds_bucket", {"le": "0.5"}, ("0+10x20", "0x20")),
    *series("llm_request_duration_seconds_bucket", {"le": "1.0"}, ("0+10x20", "0x20")),
    *series("llm_request_duration_seconds_bucket", {"le": "2.0"}, both("0+10x20")),
    *series("llm_request_duration_seconds_bucket", {"le": "+Inf"}, both("0+10x20")),
    *series("stt_request_duration_seconds_bucket", {"le": "0.25"}, both("0+10x20")),
    *series("stt_request_duration_seconds_bucket", {"le": "+Inf"}, both("0+10x20")),
    *series("tts_request_duration_seconds_bucket", {"le": "0.5"}, ("0+10x20", "0x20")),
    *series("tts_request_duration_seconds_bucket", {"le": "1.0"}, both("0+10x20")),
    *series("tts_request_duration_seconds_bucket", {"le": "+Inf"}, both("0+10x20")),
    *series("errors_total", {"type": "rejected_event", "component": "ingestion"},
            both("0+6x20")),
    *series("component_healthy", {"component": "worker"}, both("1x20")),
    *series("component_healthy", {"component": "openai"}, ("1x20", "0x20")),
]  # fmt: skip

CAMPAIGN_1 = '{campaign="1"}'
# (panel title, refId) → the samples its query must give: (labels, value).
EXPECTED = {
    ("Active Calls", "A"): [("{}", 7)],
    ("Queued Calls", "A"): [("{}", 3)],
    ("Running Campaigns", "A"): [("{}", 2)],
    ("WebSocket Connections", "A"): [("{}", 9)],
    ("Call Success Rate", "A"): [("{}", 0.15)],
    ("Call Success Rate", "B"): [(CAMPAIGN_1, 0.15)],
    ("Average Call Duration", "A"): [("{}", 90)],
    ("Average Call Duration", "B"): [(CAMPAIGN_1, 90)],
    # 20 turns a minute: the 19th is 9/10 of the way through the (1 s, 2 s] bucket.
    ("LLM Response Time (P95)", "A"): [("{}", 1.9)],
    ("STT and TTS Response Time (P95)", "A"): [("{}", 0.2375)],
    ("STT and TTS Response Time (P95)", "B"): [("{}", 0.95)],
    ("Error Rate", "A"): [('{type="rejected_event",component="ingestion"}', 0.2)],
    ("Calls Initiated per Minute", "A"): [(CAMPAIGN_1, 5)],
    ("Calls Completed per Minute by Outcome", "A"): [
        ('{outcome="qualified"}', 3),
        ('{outcome="failed"}', 4),
        ('{outcome="no_answer"}', 13),
    ],
    ("Campaigns", "A"): [
        ('{campaign="1",name="Powai launch",status="running"}', 1),
        ('{campaign="2",name="Baner plots",status="paused"}', 0),
        ('{campaign="3",name="Whitefield villas",status="running"}', 1),
    ],
    ("Component Health", "A"): [('{component="worker"}', 1), ('{component="openai"}', 0)],
}


def dashboard_targets():
    dashboard = json.loads(DASHBOARD.read_text())
    return {
        (panel["title"], target["refId"]): target["expr"]
        for panel in dashboard["panels"]
        for target in panel["targets"]
    }


# promtool 2.42 compares sample values exactly, and rates over 5 minutes are not exact binary
# fractions (0.15000000000000002): both sides are compared in millionths, rounded.
SCALE = 1_000_000


def promtool_unit_test(tmp_path, expressions):
    """`promtool test rules` of `expressions` ({(title, refId): PromQL}) against INPUT_SERIES at
    10 minutes; returns (exit code, output)."""
    tests = [
        {
            "interval": "1m",
            "input_series": INPUT_SERIES,
            "promql_expr_test": [
                {
                    "expr": f"round(({expr}) * {SCALE})",
                    "eval_time": "10m",
                    "exp_samples": [
                        {"labels": labels, "value": round(value * SCALE)}
                        for labels, value in EXPECTED[key]
                    ],
                }
                for key, expr in expressions.items()
            ],
        }
    ]
    path = tmp_path / "dashboard_test.yml"
    path.write_text(yaml.safe_dump({"rule_files": [], "evaluation_interval": "1m", "tests": tests}))
    result = subprocess.run(
        ["promtool", "test", "rules", str(path)], capture_output=True, text=True, timeout=60
    )
    return result.returncode, result.stdout + result.stderr


def test_every_dashboard_query_has_its_two_instance_expectation():
    assert set(dashboard_targets()) == set(EXPECTED)


def test_dashboard_queries_give_the_deployment_figures_over_two_instances(tmp_path):
    code, output = promtool_unit_test(tmp_path, dashboard_targets())
    assert (code, "SUCCESS" in output) == (0, True), output


def test_the_spec_success_rate_query_unsummed_is_not_the_rate(tmp_path):
    # The spec's form divides each (campaign, outcome, instance) series by itself: 1 or nothing.
    spec = 'rate(calls_completed_total{outcome="qualified"}[5m]) / rate(calls_completed_total[5m])'
    code, output = promtool_unit_test(tmp_path, {("Call Success Rate", "A"): spec})
    assert code == 1
    got = output[output.index("got:") :]
    assert got.count("} 1E+06") == 2 and "150000" not in got, output
