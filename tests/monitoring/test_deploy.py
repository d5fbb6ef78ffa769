"""Ops material in deploy/: Prometheus config, alert rules (checked and unit-tested by promtool)
and the Grafana dashboard built on the spec's PromQL queries."""

import json
import subprocess

import pytest
import yaml

from tests.monitoring.helpers import ROOT

DEPLOY = ROOT / "deploy"
# The spec's panels; their queries are the spec's, aggregated across instances (see
# test_dashboard_aggregation.py for what each gives on two instances' series).
SPEC_PANELS = (
    "Active Calls",
    "Call Success Rate",
    "Average Call Duration",
    "LLM Response Time (P95)",
    "Error Rate",
)


def promtool(*args):
    result = subprocess.run(["promtool", *args], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def dashboard_queries():
    dashboard = json.loads((DEPLOY / "grafana-dashboard.json").read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def test_alert_rules_pass_promtool_check_rules():
    assert "SUCCESS: 8 rules found" in promtool("check", "rules", str(DEPLOY / "alerts.yml"))


def test_each_alert_fires_on_its_situation_in_promtool_unit_tests():
    assert "SUCCESS" in promtool("test", "rules", str(ROOT / "tests/monitoring/alerts_test.yml"))


def test_alerts_cover_the_required_situations():
    rules = yaml.safe_load((DEPLOY / "alerts.yml").read_text())
    names = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    assert names == {
        "CallFailureRatioHigh",
        "NoCallsCompletedWhileCampaignRunning",
        "LLMLatencyP95High",
        "CeleryWorkerDown",
        "SchedulerDown",
        "ExportFailures",
        "ErrorRateHigh",
        "RollupDrift",
    }


def test_prometheus_config_is_valid_and_scrapes_web_and_worker_at_health_metrics():
    promtool("check", "config", str(DEPLOY / "prometheus.yml"))
    config = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == {"voiceagent-web", "voiceagent-worker"}
    assert {job["metrics_path"] for job in jobs.values()} == {"/health/metrics"}
    assert config["rule_files"] == ["alerts.yml"]


@pytest.mark.parametrize("title", SPEC_PANELS)
def test_the_dashboard_has_a_panel_for_each_spec_query(title):
    dashboard = json.loads((DEPLOY / "grafana-dashboard.json").read_text())
    assert title in {panel["title"] for panel in dashboard["panels"]}


def test_every_dashboard_query_is_valid_promql(tmp_path):
    # promtool parses PromQL in rule files: each panel query becomes a recording rule.
    rules = {
        "groups": [
            {
                "name": "dashboard",
                "rules": [
                    {"record": f"dashboard:query_{index}", "expr": expr}
                    for index, expr in enumerate(dashboard_queries())
                ],
            }
        ]
    }
    path = tmp_path / "dashboard_rules.yml"
    path.write_text(yaml.safe_dump(rules))
    promtool("check", "rules", str(path))


def test_the_dashboard_imports_with_a_prometheus_datasource_input():
    dashboard = json.loads((DEPLOY / "grafana-dashboard.json").read_text())
    assert dashboard["__inputs"][0]["pluginId"] == "prometheus"
    uids = {panel["datasource"]["uid"] for panel in dashboard["panels"]}
    assert uids == {"${DS_PROMETHEUS}"}
