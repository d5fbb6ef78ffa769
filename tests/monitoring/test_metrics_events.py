"""Counters and histograms fed by the call domain's events, read back from /health/metrics.

Events are published as the ingestion service does (voiceagent.events.publish_call_change inside
its transaction, with the `changes` its docstring defines). This process's metrics are global
and cumulative, so each test compares the exposition after its events with the one before.
"""

import pytest
from django.db import transaction
from django.utils import timezone

from monitoring import metrics
from tests import factories
from tests.monitoring.helpers import sample
from voiceagent.events import publish_call_change, publish_export_progress
from voiceagent.models import CallOutcome, CallStatus

pytestmark = pytest.mark.django_db


def start_call(campaign):
    """call.queued creating the session, then call.initiated: what ingestion publishes."""
    lead = factories.make_lead(campaign)
    call = factories.make_call(lead, status=CallStatus.QUEUED, initiated_at=timezone.now())
    with transaction.atomic():
        publish_call_change(
            call=call, changes={"type": "call.queued", "created": True, "status": "queued"}
        )
    call.status = CallStatus.INITIATED
    call.save()
    with transaction.atomic():
        publish_call_change(
            call=call,
            changes={"type": "call.initiated", "initiated": True, "status": "initiated"},
        )
    return call


def queue_call(campaign):
    """call.queued creating the session, and nothing more: a call waiting to be dialled."""
    lead = factories.make_lead(campaign)
    call = factories.make_call(lead, status=CallStatus.QUEUED, initiated_at=timezone.now())
    with transaction.atomic():
        publish_call_change(
            call=call, changes={"type": "call.queued", "created": True, "status": "queued"}
        )
    return call


def answer(call):
    call.status = CallStatus.IN_PROGRESS
    call.answered_at = timezone.now()
    call.save()
    with transaction.atomic():
        publish_call_change(call=call, changes={"type": "call.answered", "status": "in_progress"})


def turn(call, sequence, *, stt_ms=None, llm_ms=None, tts_ms=None):
    latencies = {"stt_ms": stt_ms, "llm_ms": llm_ms, "tts_ms": tts_ms}
    factories.make_turn(call, sequence, **latencies)
    changes = {
        "type": "call.turn",
        "turn": {"sequence": sequence, "speaker": "agent", **latencies},
    }
    with transaction.atomic():
        publish_call_change(call=call, changes=changes)


def end(call, *, status, outcome, duration=0):
    call.status = status
    call.outcome = outcome
    call.duration_seconds = duration
    call.ended_at = timezone.now()
    call.save()
    with transaction.atomic():
        publish_call_change(
            call=call,
            changes={"type": "call.completed", "status": status, "ended": True},
            ended=True,
        )


def test_each_created_call_counts_once_in_calls_initiated_total_of_its_campaign(
    scrape, django_capture_on_commit_callbacks
):
    campaign = factories.make_campaign()
    other = factories.make_campaign()
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            start_call(campaign)
        start_call(other)
    samples = scrape()
    assert sample(samples, "calls_initiated_total", campaign=str(campaign.id)) == 3
    assert sample(samples, "calls_initiated_total", campaign=str(other.id)) == 1


def test_calls_only_queued_are_not_counted_in_calls_initiated_total(
    scrape, django_capture_on_commit_callbacks
):
    campaign = factories.make_campaign()
    with django_capture_on_commit_callbacks(execute=True):
        start_call(campaign)
        queue_call(campaign)
        queue_call(campaign)
    assert sample(scrape(), "calls_initiated_total", campaign=str(campaign.id)) == 1


def test_finished_calls_count_by_outcome_and_canceled_calls_do_not(
    scrape, django_capture_on_commit_callbacks
):
    campaign = factories.make_campaign()
    with django_capture_on_commit_callbacks(execute=True):
        for outcome in (CallOutcome.QUALIFIED, CallOutcome.QUALIFIED, CallOutcome.NOT_INTERESTED):
            call = start_call(campaign)
            answer(call)
            end(call, status=CallStatus.COMPLETED, outcome=outcome, duration=90)
        end(start_call(campaign), status=CallStatus.BUSY, outcome=CallOutcome.NO_ANSWER)
        end(start_call(campaign), status=CallStatus.FAILED, outcome=CallOutcome.FAILED)
        end(start_call(campaign), status=CallStatus.CANCELED, outcome="")
    samples = scrape()
    key = {"campaign": str(campaign.id)}
    assert sample(samples, "calls_initiated_total", **key) == 6
    assert sample(samples, "calls_completed_total", **key, outcome="qualified") == 2
    assert sample(samples, "calls_completed_total", **key, outcome="not_interested") == 1
    assert sample(samples, "calls_completed_total", **key, outcome="no_answer") == 1
    assert sample(samples, "calls_completed_total", **key, outcome="failed") == 1
    completed = sum(
        value
        for (name, labels), value in samples.items()
        if name == "calls_completed_total" and ("campaign", str(campaign.id)) in labels
    )
    assert completed == 5


def test_call_duration_histogram_observes_answered_calls_only(
    scrape, django_capture_on_commit_callbacks
):
    campaign = factories.make_campaign()
    with django_capture_on_commit_callbacks(execute=True):
        for duration in (45, 200):
            call = start_call(campaign)
            answer(call)
            end(call, status=CallStatus.COMPLETED, outcome=CallOutcome.QUALIFIED, duration=duration)
        voicemail = start_call(campaign)
        answer(voicemail)
        end(voicemail, status=CallStatus.COMPLETED, outcome=CallOutcome.VOICEMAIL, duration=30)
        end(start_call(campaign), status=CallStatus.NO_ANSWER, outcome=CallOutcome.NO_ANSWER)
    samples = scrape()
    key = {"campaign": str(campaign.id)}
    assert sample(samples, "call_duration_seconds_count", **key) == 2
    assert sample(samples, "call_duration_seconds_sum", **key) == 245
    assert sample(samples, "call_duration_seconds_bucket", **key, le="60.0") == 1
    assert sample(samples, "call_duration_seconds_bucket", **key, le="300.0") == 2
    assert sample(samples, "calls_completed_total", **key, outcome="voicemail") == 1


def test_turn_latencies_feed_the_ai_histograms_in_seconds(
    scrape, django_capture_on_commit_callbacks
):
    campaign = factories.make_campaign()
    before = scrape()
    with django_capture_on_commit_callbacks(execute=True):
        call = start_call(campaign)
        answer(call)
        turn(call, 1, stt_ms=210, llm_ms=640, tts_ms=180)
        turn(call, 2, stt_ms=90, llm_ms=2400, tts_ms=None)
        turn(call, 3)  # a lead's turn without latencies observes nothing
    after = scrape()

    def delta(name, **labels):
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert delta("llm_request_duration_seconds_count") == 2
    assert delta("llm_request_duration_seconds_sum") == pytest.approx(3.04)
    assert delta("llm_request_duration_seconds_bucket", le="0.75") == 1
    assert delta("llm_request_duration_seconds_bucket", le="2.0") == 1
    assert delta("llm_request_duration_seconds_bucket", le="3.0") == 2
    assert delta("stt_request_duration_seconds_count") == 2
    assert delta("stt_request_duration_seconds_sum") == pytest.approx(0.3)
    assert delta("stt_request_duration_seconds_bucket", le="0.1") == 1
    assert delta("tts_request_duration_seconds_count") == 1
    assert delta("tts_request_duration_seconds_sum") == pytest.approx(0.18)


def test_ai_latency_buckets_span_25_ms_to_10_s(scrape):
    buckets = {
        dict(labels)["le"]
        for name, labels in scrape()
        if name == "llm_request_duration_seconds_bucket"
    }
    assert buckets == {
        "0.025", "0.05", "0.1", "0.25", "0.5", "0.75", "1.0", "1.5", "2.0", "3.0", "5.0",
        "10.0", "+Inf",
    }  # fmt: skip


def test_events_of_a_rolled_back_transaction_are_never_counted(
    scrape, django_capture_on_commit_callbacks
):
    campaign = factories.make_campaign()
    lead = factories.make_lead(campaign)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        call = factories.make_call(lead, status=CallStatus.INITIATED)
        publish_call_change(
            call=call,
            changes={"type": "call.initiated", "created": True, "initiated": True},
        )
        raise RuntimeError("the ingestion batch had an invalid event")
    assert callbacks == []
    assert sample(scrape(), "calls_initiated_total", campaign=str(campaign.id)) == 0


def test_metric_labels_never_name_a_call_or_a_lead(scrape, django_capture_on_commit_callbacks):
    campaign = factories.make_campaign()
    with django_capture_on_commit_callbacks(execute=True):
        call = start_call(campaign)
        answer(call)
        turn(call, 1, llm_ms=500)
        end(call, status=CallStatus.COMPLETED, outcome=CallOutcome.QUALIFIED, duration=60)
    label_names = {key for _, labels in scrape() for key, _ in labels}
    assert not label_names & {"call", "call_sid", "lead", "lead_id", "phone"}
    values = {value for _, labels in scrape() for _, value in labels}
    assert call.call_sid not in values


def test_a_failed_export_job_counts_once_as_an_export_failure(
    scrape, django_capture_on_commit_callbacks
):
    class Job:  # what exports publishes: an ExportJob with an id and a status
        pk = 987654
        status = "failed"

    before = sample(scrape(), "errors_total", type="export_failed", component="exports")
    with django_capture_on_commit_callbacks(execute=True):
        publish_export_progress(job=Job())
        publish_export_progress(job=Job())  # the same failure announced twice
        running = Job()
        running.pk, running.status = 987655, "running"
        publish_export_progress(job=running)
    after = sample(scrape(), "errors_total", type="export_failed", component="exports")
    assert after - before == 1


def test_record_error_counts_by_type_and_component(scrape):
    before = sample(scrape(), "errors_total", type="rejected_event", component="ingestion")
    metrics.record_error("rejected_event", "ingestion")
    metrics.record_error(type="rejected_event", component="ingestion")
    after = sample(scrape(), "errors_total", type="rejected_event", component="ingestion")
    assert after - before == 2


def test_known_error_series_exist_at_zero_before_any_error(scrape):
    samples = scrape()
    for error_type, component in metrics.KNOWN_ERRORS:
        assert (
            "errors_total",
            frozenset({"type": error_type, "component": component}.items()),
        ) in samples


def test_a_rejected_ingestion_batch_counts_once_in_errors_total(scrape, team, api_client):
    from tests.factories import make_ingest_user

    before = sample(scrape(), "errors_total", type="rejected_event", component="ingestion")
    response = api_client(make_ingest_user()).post(
        "/api/call-events", [{"event_id": "x", "type": "call.exploded"}], format="json"
    )
    assert response.status_code == 400
    after = sample(scrape(), "errors_total", type="rejected_event", component="ingestion")
    assert after - before == 1


def test_a_call_the_metrics_cannot_count_costs_the_batch_no_other_count(
    scrape, django_capture_on_commit_callbacks, monkeypatch
):
    from monitoring import receivers
    from voiceagent.events import publish_call_changes

    campaign = factories.make_campaign()
    calls = [
        factories.make_call(factories.make_lead(campaign), status=CallStatus.INITIATED)
        for _ in range(3)
    ]
    counted = receivers.count_call_change

    def failing_on_the_first(sender, *, call, changes, **kwargs):
        if call.pk == calls[0].pk:
            raise ValueError("a call the metrics cannot count")
        counted(sender, call=call, changes=changes, **kwargs)

    monkeypatch.setattr(receivers, "count_call_change", failing_on_the_first)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        publish_call_changes(
            [(call, {"type": "call.initiated", "initiated": True}, False) for call in calls]
        )
    assert sample(scrape(), "calls_initiated_total", campaign=str(campaign.id)) == 2


@pytest.mark.parametrize("labelled", [False, True])
def test_observe_all_counts_as_observing_each_value(labelled):
    """Each bucket and the sum incremented once give the series observe() gives value by value,
    bounds included (a value equal to a bound falls in that bucket), +Inf too."""
    from prometheus_client import CollectorRegistry, Histogram

    def histogram():
        registry = CollectorRegistry()
        made = Histogram(
            "h",
            "test",
            ["campaign"] if labelled else [],
            buckets=(0.25, 0.5, 1.0),
            registry=registry,
        )
        return registry, made.labels(campaign="7") if labelled else made

    values = [0.125, 0.25, 0.25, 0.5, 0.75, 1.0, 2.0, 0.0]
    each_registry, each = histogram()
    for value in values:
        each.observe(value)
    all_registry, at_once = histogram()

    metrics.observe_all(at_once, values)
    metrics.observe_all(at_once, [])

    def series(registry):
        return sorted(
            (s.name, tuple(sorted(s.labels.items())), s.value)
            for family in registry.collect()
            for s in family.samples
            if not s.name.endswith("_created")
        )

    assert series(all_registry) == series(each_registry)
    assert ("h_bucket", (*((("campaign", "7"),) if labelled else ()), ("le", "0.25")), 4.0) in (
        series(all_registry)
    )
