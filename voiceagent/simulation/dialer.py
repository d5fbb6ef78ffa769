"""A dialer's choice of leads, shared by the demo history and the live simulator."""

from django.db.models import Case, F, IntegerField, Value, When

from voiceagent.models import Lead, LeadStatus
from voiceagent.simulation.calls import LeadInfo

LEAD_INFO_FIELDS = (
    "pk", "campaign_id", "name", "city", "property_type", "budget", "preferred_locations",
)  # fmt: skip


def leads_to_call(*, now, limit, campaign_id=None, exclude=()):
    """Up to `limit` leads due for a call at `now`, as LeadInfo, in the order a dialer takes them:
    due follow-ups first (longest waiting first), then new leads (oldest first)."""
    leads = Lead.objects.due_for_call(now)
    if campaign_id is not None:
        leads = leads.filter(campaign_id=campaign_id)
    if exclude:
        leads = leads.exclude(pk__in=exclude)
    new_last = Case(
        When(status=LeadStatus.NEW, then=Value(1)), default=Value(0), output_field=IntegerField()
    )
    rows = leads.order_by(
        new_last, F("last_call_at").asc(nulls_last=True), "created_at", "pk"
    ).values_list(*LEAD_INFO_FIELDS)[:limit]
    return [LeadInfo(*row) for row in rows]
