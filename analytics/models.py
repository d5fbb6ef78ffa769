"""Rollup tables: counters per campaign and 15-minute UTC bucket of the calls' initiated_at (the
latency histograms per local calendar day instead), kept exact by ingestion (analytics.rollups)
and read by the selectors instead of raw calls.

A 15-minute UTC bucket lies inside one local day and one local hour in any zone whose offset is a
multiple of 15 minutes (+05:30 Kolkata, +05:45 Kathmandu, every zone in use today), so calendar
days and best hours in settings.TIME_ZONE come from the buckets exactly, with no rebuild of
CallRollup or ObjectionRollup when the zone changes. LatencyRollup is keyed by the calendar day
in settings.TIME_ZONE (periods are whole local days, so its period reads stay exact with about 25
times fewer rows than per bucket at 1M calls): a change of TIME_ZONE leaves its rows on the old
zone's days, `manage.py verify_rollups` names them as drift, and `manage.py rebuild_rollups` must
be run. Only finished calls are counted (docs/metrics.md). Every counter is a sum of the calls'
contributions (analytics/rollups/contribution.py), so a changed call moves its own share.
"""

from django.db import models

from voiceagent.models import Campaign, Lead


class CallCounters(models.Model):
    """Call counts and sums of a campaign's finished calls (CallRollup, CallDayRollup)."""

    # No index of its own: the primary key leads with the campaign.
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    calls_made = models.BigIntegerField(default=0)
    calls_answered = models.BigIntegerField(default=0)
    calls_voicemail = models.BigIntegerField(default=0)
    calls_qualified = models.BigIntegerField(default=0)
    calls_not_interested = models.BigIntegerField(default=0)
    calls_callback = models.BigIntegerField(default=0)
    calls_no_answer = models.BigIntegerField(default=0)
    calls_failed = models.BigIntegerField(default=0)
    # avg_call_duration = answered_duration / answered_durations (answered calls with a duration)
    answered_duration = models.BigIntegerField(default=0)
    answered_durations = models.BigIntegerField(default=0)
    total_call_time = models.BigIntegerField(default=0)
    billed_minutes = models.BigIntegerField(default=0)
    llm_input_tokens = models.BigIntegerField(default=0)
    llm_output_tokens = models.BigIntegerField(default=0)
    tts_characters = models.BigIntegerField(default=0)
    # Latency sums and the number of turns that reported each (averages; percentiles come from
    # LatencyRollup).
    stt_ms_total = models.BigIntegerField(default=0)
    stt_ms_turns = models.BigIntegerField(default=0)
    llm_ms_total = models.BigIntegerField(default=0)
    llm_ms_turns = models.BigIntegerField(default=0)
    tts_ms_total = models.BigIntegerField(default=0)
    tts_ms_turns = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


class CallRollup(CallCounters):
    """Call counts and sums of the finished calls initiated in one bucket."""

    pk = models.CompositePrimaryKey("campaign", "bucket")
    # Start of the 15-minute UTC bucket; calls without initiated_at sit in the epoch's bucket
    # (counted in "All time", never in a period).
    bucket = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["bucket"], name="call_rollup_bucket_idx")]

    def __str__(self):
        return f"campaign {self.campaign_id} at {self.bucket:%Y-%m-%d %H:%M}"


class CallDayRollup(CallCounters):
    """CallRollup's counters per calendar day in settings.TIME_ZONE of the calls' initiated_at
    (the epoch's local day for calls without it), like LatencyRollup: periods are whole local
    days, so their reads (and "All time") sum a row a day instead of up to 96 buckets. A change
    of TIME_ZONE needs `manage.py rebuild_rollups`, as for LatencyRollup."""

    pk = models.CompositePrimaryKey("campaign", "day")
    day = models.DateField()

    class Meta:
        indexes = [models.Index(fields=["day"], name="call_day_rollup_day_idx")]

    def __str__(self):
        return f"campaign {self.campaign_id} on {self.day}"


class ObjectionRollup(models.Model):
    """Objections of the finished calls of one bucket, by category; category "" (ANY_CATEGORY)
    counts them whatever their category, each call once."""

    pk = models.CompositePrimaryKey("campaign", "bucket", "category")
    # No index of its own: the primary key leads with the campaign.
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    bucket = models.DateTimeField()
    category = models.CharField(max_length=20)
    objections = models.BigIntegerField(default=0)
    calls = models.BigIntegerField(default=0)
    calls_qualified = models.BigIntegerField(default=0)

    def __str__(self):
        return f"{self.category} of campaign {self.campaign_id} at {self.bucket:%Y-%m-%d %H:%M}"


class LatencyRollup(models.Model):
    """A mergeable latency histogram: turns of the finished calls of one local day whose
    stt/llm/tts time fell in one log-spaced bin (analytics/rollups/histogram.py), or, for the
    component "total" (contribution.TOTAL_LATENCY), whose stt + llm + tts fell in one of the
    campaign page's latency buckets (bin: its index in contribution.LATENCY_BUCKETS).

    The day is the calendar day in settings.TIME_ZONE of the call's initiated_at (calls without
    it on the epoch's local day: counted in "All time", never in a period). A change of
    TIME_ZONE needs `manage.py rebuild_rollups` for this table (verify_rollups reports it)."""

    pk = models.CompositePrimaryKey("campaign", "day", "component", "bin")
    # No index of its own: the primary key leads with the campaign.
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    day = models.DateField()
    component = models.CharField(max_length=8)  # stt_ms, llm_ms, tts_ms, total
    bin = models.SmallIntegerField()
    turns = models.BigIntegerField(default=0)

    def __str__(self):
        return f"{self.component} bin {self.bin} of campaign {self.campaign_id} on {self.day}"


class FunnelSteps(models.Model):
    """The funnel's steps (LeadFunnelRollup: calls of a lead; FunnelTotals: leads)."""

    dialed = models.BigIntegerField(default=0)
    answered = models.BigIntegerField(default=0)
    reached_greeting = models.BigIntegerField(default=0)
    reached_discovery = models.BigIntegerField(default=0)
    reached_qualification = models.BigIntegerField(default=0)
    reached_objection_handling = models.BigIntegerField(default=0)
    reached_closing = models.BigIntegerField(default=0)
    qualified = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


class LeadFunnelRollup(FunnelSteps):
    """Per lead, all time: how many of its finished calls reached each funnel step, so that the
    funnel's distinct-lead counts are counts of rows with a step above zero."""

    pk = models.CompositePrimaryKey("campaign", "lead")
    # No index of its own: the primary key leads with the campaign.
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="+")

    def __str__(self):
        return f"lead {self.lead_id} of campaign {self.campaign_id}"


class LeadTotals(models.Model):
    """The campaign's leads now, kept by database triggers on the lead table (whatever writes
    it: imports, the admin, DNC changes in bulk, erasure, raw SQL), so that lead counts never
    count leads (analytics/rollups/totals.py)."""

    campaign = models.OneToOneField(
        Campaign, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    total_leads = models.BigIntegerField(default=0)
    valid_leads = models.BigIntegerField(default=0)  # Lead.objects.valid()
    dnc_filtered_leads = models.BigIntegerField(default=0)  # Lead.objects.dnc_filtered()

    class Meta:
        verbose_name_plural = "lead totals"

    def __str__(self):
        return f"leads of campaign {self.campaign_id}"


class FunnelTotals(FunnelSteps):
    """All time, the campaign's LeadFunnelRollup rows with each step above zero (distinct leads
    that reached it), kept by database triggers on that table (analytics/rollups/totals.py)."""

    campaign = models.OneToOneField(
        Campaign, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        verbose_name_plural = "funnel totals"

    def __str__(self):
        return f"funnel of campaign {self.campaign_id}"


class AllTimeLatencyRollup(models.Model):
    """LatencyRollup's histograms summed over all days: the campaign's "All time" latency reads
    a row per bin instead of one per bin and day."""

    pk = models.CompositePrimaryKey("campaign", "component", "bin")
    # No index of its own: the primary key leads with the campaign.
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    component = models.CharField(max_length=8)  # stt_ms, llm_ms, tts_ms, total (LatencyRollup's)
    bin = models.SmallIntegerField()
    turns = models.BigIntegerField(default=0)

    def __str__(self):
        return f"{self.component} bin {self.bin} of campaign {self.campaign_id}"


class AllTimeObjectionRollup(models.Model):
    """ObjectionRollup's counters summed over all buckets, by category ("" = ANY_CATEGORY)."""

    pk = models.CompositePrimaryKey("campaign", "category")
    # No index of its own: the primary key leads with the campaign.
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    category = models.CharField(max_length=20)
    objections = models.BigIntegerField(default=0)
    calls = models.BigIntegerField(default=0)
    calls_qualified = models.BigIntegerField(default=0)

    def __str__(self):
        return f"{self.category} of campaign {self.campaign_id}"


class WeekHourRollup(models.Model):
    """All time, the finished calls initiated in one weekday (ISO, 1 = Monday) and hour of the
    day in settings.TIME_ZONE (the epoch's for calls without initiated_at): best hours' "All
    time" in at most 168 rows. A change of TIME_ZONE needs `manage.py rebuild_rollups`."""

    pk = models.CompositePrimaryKey("campaign", "weekday", "hour")
    # No index of its own: the primary key leads with the campaign.
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    weekday = models.SmallIntegerField()
    hour = models.SmallIntegerField()
    calls_made = models.BigIntegerField(default=0)
    calls_answered = models.BigIntegerField(default=0)
    calls_qualified = models.BigIntegerField(default=0)

    def __str__(self):
        return f"campaign {self.campaign_id} on weekday {self.weekday} at {self.hour:02d}h"
