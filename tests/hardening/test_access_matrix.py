"""Access control matrix: every route the URL resolver serves, every kind of caller, exact status.

The routes come from the resolver itself, so a route added without a row here fails
`test_every_served_route_has_a_row_in_the_matrix`. Each row names the path to request (filled with
ids of data the test builds: the member's campaign, a lead, a call, ...) and the status each
caller must get, in the order of ROLES:

- anonymous: no session, no token;
- member: a manager who is a member of the campaign in the path;
- outsider: a manager who is a member of another campaign only;
- ingest: the calling agent's token (the `ingest` group), nothing else;
- staff: `is_staff` with the voiceagent app's model permissions (an operator in the admin).

Reads are GET; writes are the documented POST of the route, with a valid body where the body
matters (so 2xx means "allowed and done", and a 403/404 means "refused before any work").
"""

import json
import re
from dataclasses import dataclass, field

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.authtoken.models import Token

from exports.models import ExportJob
from notifications.models import AlertRule, Delivery, WebhookEndpoint
from reports.models import ReportSchedule
from tests import factories
from voiceagent.models import AuditAction, AuditEvent, CallEvent, DoNotCall, LeadImport

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "member", "outsider", "ingest", "staff")
# The apps whose model permissions the staff role holds (not auth: users and groups).
STAFF_APPS = ("voiceagent", "exports", "notifications")


@dataclass(frozen=True)
class Check:
    path: str
    statuses: tuple  # one per ROLES
    method: str = "get"
    body: str = ""  # name of a body builder in BODIES
    both_slashes: bool = True
    notes: dict = field(default_factory=dict)


def same(status):
    return (status,) * len(ROLES)


# API reads: anonymous is refused (DRF answers 403 when session auth comes first, 401 when token
# auth does), the member sees it, the outsider gets 404 (existence not revealed), the ingest token
# sees nothing of managers' data, staff see everything.
API_READ_CAMPAIGN = (403, 200, 404, 404, 200)
API_READ_LIST = (403, 200, 200, 200, 200)  # lists are filtered, not refused
API_READ_CAMPAIGN_OWN = (403, 200, 404, 404, 200)  # the member's own object
ANALYTICS_READ_CAMPAIGN = (403, 200, 404, 404, 200)
ANALYTICS_READ_LIST = (403, 200, 200, 200, 200)
LOGIN_PAGE = (302, 302, 302, 302, 302)
ADMIN_ANON = 302  # to the admin login form
ADMIN_NON_STAFF = 302

# Pages: a browser without a session is sent to the login form; the token of the calling agent
# is not a browser session, so it goes there too.
PAGE = (302, 200, 200, 302, 200)
PAGE_CAMPAIGN = (302, 200, 404, 302, 200)
DOCS_PAGE = (302, 200, 200, 302, 200)

MATRIX = {
    # Auth pages.
    "accounts/login": [Check("/accounts/login/", same(200), both_slashes=False)],
    "accounts/logout": [
        Check("/accounts/logout/", same(405), both_slashes=False),
        Check("/accounts/logout/", same(302), method="post", both_slashes=False),
    ],
    # Campaigns, leads, DNC, lead imports.
    "api/campaigns": [
        Check("/api/campaigns", API_READ_LIST),
        Check("/api/campaigns", (403, 403, 403, 403, 201), method="post", body="campaign"),
    ],
    "api/campaigns/(?P<pk>[^/.]+)": [
        Check("/api/campaigns/{campaign}", API_READ_CAMPAIGN),
        Check(
            "/api/campaigns/{campaign}",
            (403, 403, 404, 404, 200),
            method="patch",
            body="campaign_description",
        ),
    ],
    "api/campaigns/(?P<pk>[^/.]+)/leads/import": [
        # The method is refused before the campaign is looked up: 405 reveals no campaign.
        Check("/api/campaigns/{campaign}/leads/import", (403, 405, 405, 405, 405)),
        Check(
            "/api/campaigns/{campaign}/leads/import",
            (403, 403, 404, 404, 200),
            method="post",
            body="lead_file",
        ),
    ],
    "api/leads": [
        Check("/api/leads", API_READ_LIST),
        Check("/api/leads", (403, 403, 403, 403, 201), method="post", body="lead"),
    ],
    "api/leads/(?P<pk>[^/.]+)": [Check("/api/leads/{lead}", API_READ_CAMPAIGN)],
    # Erasure and the audit log: staff only (403 for everyone else, whoever's lead it is).
    "api/leads/(?P<pk>[^/.]+)/erase": [
        Check("/api/leads/{erasable_lead}/erase", (403, 403, 403, 403, 405)),
        Check(
            "/api/leads/{erasable_lead}/erase",
            (403, 403, 403, 403, 200),
            method="post",
            body="erasure",
            both_slashes=False,  # a lead is erased once; the second time is a 400
        ),
    ],
    # Alert rules and webhooks: any logged-in user manages their own; staff see all.
    "api/alert-rules": [Check("/api/alert-rules", (403, 200, 200, 200, 200))],
    "api/alert-rules/(?P<pk>[^/.]+)": [
        Check("/api/alert-rules/{alert_rule}", (403, 200, 404, 404, 200))
    ],
    "api/alert-rules/(?P<pk>[^/.]+)/deliveries": [
        Check("/api/alert-rules/{alert_rule}/deliveries", (403, 200, 404, 404, 200))
    ],
    "api/webhooks": [Check("/api/webhooks", (403, 200, 200, 200, 200))],
    "api/webhooks/(?P<pk>[^/.]+)": [Check("/api/webhooks/{webhook}", (403, 200, 404, 404, 200))],
    "api/webhooks/(?P<pk>[^/.]+)/deliveries": [
        Check("/api/webhooks/{webhook}/deliveries", (403, 200, 404, 404, 200))
    ],
    "api/webhooks/(?P<pk>[^/.]+)/deliveries/(?P<delivery_id>\\d+)/redeliver": [
        Check("/api/webhooks/{webhook}/deliveries/{delivery}/redeliver", (403, 405, 405, 405, 405))
    ],
    "api/audit-events": [Check("/api/audit-events", (403, 403, 403, 403, 200))],
    "api/audit-events/export": [Check("/api/audit-events/export", (403, 403, 403, 403, 200))],
    "api/dnc": [
        # The DNC list is not per campaign: managers hold view_donotcall; the agent does not.
        Check("/api/dnc", (403, 200, 200, 403, 200)),
        Check("/api/dnc", (403, 403, 403, 403, 201), method="post", body="dnc"),
    ],
    "api/dnc/(?P<phone>[^/]+)": [Check("/api/dnc/{dnc_phone}", (403, 200, 200, 403, 200))],
    "api/lead-imports": [Check("/api/lead-imports", API_READ_LIST)],
    "api/lead-imports/(?P<pk>[^/.]+)": [
        Check("/api/lead-imports/{lead_import}", API_READ_CAMPAIGN)
    ],
    # Ingestion: only the ingest permission; the Exotel webhook only with its secret.
    "api/call-events": [
        # Staff here hold every voiceagent permission, ingest_callevent included.
        Check("/api/call-events", (401, 403, 403, 405, 405)),
        Check("/api/call-events", (401, 403, 403, 202, 202), method="post", body="call_event"),
    ],
    "webhooks/exotel/status": [
        Check("/webhooks/exotel/status", same(403), method="post", body="exotel"),
    ],
    # Analytics and dashboard JSON.
    "analytics/campaigns/<int:campaign_id>/metrics": [
        Check("/analytics/campaigns/{campaign}/metrics", ANALYTICS_READ_CAMPAIGN)
    ],
    "analytics/campaigns/<int:campaign_id>/funnel": [
        Check("/analytics/campaigns/{campaign}/funnel", ANALYTICS_READ_CAMPAIGN)
    ],
    "analytics/campaigns/<int:campaign_id>/best-hours": [
        Check("/analytics/campaigns/{campaign}/best-hours", ANALYTICS_READ_CAMPAIGN)
    ],
    "analytics/campaigns/<int:campaign_id>/objections": [
        Check("/analytics/campaigns/{campaign}/objections", ANALYTICS_READ_CAMPAIGN)
    ],
    "analytics/campaigns/<int:campaign_id>/variants": [
        Check("/analytics/campaigns/{campaign}/variants", ANALYTICS_READ_CAMPAIGN)
    ],
    "analytics/campaigns/<int:campaign_id>/score-calibration": [
        Check("/analytics/campaigns/{campaign}/score-calibration", ANALYTICS_READ_CAMPAIGN)
    ],
    "analytics/daily-stats": [
        Check("/analytics/daily-stats?campaign_id={campaign}", ANALYTICS_READ_CAMPAIGN)
    ],
    "analytics/conversations/<str:call_sid>": [
        Check("/analytics/conversations/{call_sid}", ANALYTICS_READ_CAMPAIGN)
    ],
    "analytics/system": [Check("/analytics/system", ANALYTICS_READ_LIST)],
    "analytics/calls/attention": [
        Check("/analytics/calls/attention", ANALYTICS_READ_LIST),
        Check("/analytics/calls/attention?campaign_id={campaign}", ANALYTICS_READ_CAMPAIGN),
    ],
    "analytics/transcripts/search": [
        Check("/analytics/transcripts/search?q=baner", ANALYTICS_READ_LIST),
        Check(
            "/analytics/transcripts/search?q=baner&campaign_id={campaign}", ANALYTICS_READ_CAMPAIGN
        ),
    ],
    "analytics/leads/activity": [
        Check("/analytics/leads/activity", ANALYTICS_READ_LIST),
        Check("/analytics/leads/activity?campaign_id={campaign}", ANALYTICS_READ_CAMPAIGN),
    ],
    "dashboard/overview": [Check("/dashboard/overview", ANALYTICS_READ_LIST)],
    "dashboard/realtime": [Check("/dashboard/realtime", ANALYTICS_READ_LIST)],
    "dashboard/campaigns/<int:campaign_id>/summary": [
        Check("/dashboard/campaigns/{campaign}/summary", ANALYTICS_READ_CAMPAIGN)
    ],
    # Exports: the campaign's data for who may see the campaign; jobs for their owner and staff.
    "exports/campaigns/<int:campaign_id>/<str:kind>": [
        Check("/exports/campaigns/{campaign}/results?format=csv", API_READ_CAMPAIGN),
        Check("/exports/campaigns/{campaign}/leads?format=xlsx", API_READ_CAMPAIGN),
    ],
    "exports/jobs": [
        Check("/exports/jobs", API_READ_LIST),
        Check("/exports/jobs", (403, 202, 404, 404, 202), method="post", body="export_job"),
    ],
    # Reports: the campaign PDF, and schedules of the campaigns one may see.
    "reports/campaigns/<str:campaign_id>.pdf": [
        Check("/reports/campaigns/{campaign}.pdf", ANALYTICS_READ_CAMPAIGN)
    ],
    "api/report-schedules": [
        Check("/api/report-schedules", API_READ_LIST),
        # A campaign one may not see is "does not exist" (400), never a 403 revealing it.
        Check(
            "/api/report-schedules",
            (403, 201, 400, 400, 201),
            method="post",
            body="report_schedule",
        ),
    ],
    "api/report-schedules/(?P<pk>[^/.]+)": [
        Check("/api/report-schedules/{report_schedule}", API_READ_CAMPAIGN)
    ],
    "exports/jobs/<int:job_id>": [Check("/exports/jobs/{export_job}", API_READ_CAMPAIGN_OWN)],
    "exports/jobs/<int:job_id>/download": [
        # The member's job is still pending: 409 for who may see it.
        Check("/exports/jobs/{export_job}/download", (403, 409, 404, 404, 409))
    ],
    # Health and metrics: open by design (probes and Prometheus); liveness never fails.
    "health": [Check("/health", same(200))],
    "health/live": [Check("/health/live", same(200))],
    "health/ready": [Check("/health/ready", same(200))],
    "health/detailed": [Check("/health/detailed", "detailed")],
    "health/metrics": [Check("/health/metrics", same(200))],
    "metrics": [Check("/metrics", same(200))],
    # OpenAPI and its readers.
    "api/schema": [Check("/api/schema", (403, 200, 200, 200, 200))],
    "docs": [Check("/docs", DOCS_PAGE)],
    "redoc": [Check("/redoc", DOCS_PAGE)],
    # ReDoc's vendored script (no data, like a static file) and the browsers' icon: public.
    "redoc/redoc.standalone.js": [Check("/redoc/redoc.standalone.js", same(200))],
    "favicon.ico": [Check("/favicon.ico", same(301), both_slashes=False)],
    # Pages.
    "": [Check("/", PAGE, both_slashes=False)],
    "campaigns/<int:campaign_id>": [Check("/campaigns/{campaign}", PAGE_CAMPAIGN)],
    "calls/<str:call_sid>": [Check("/calls/{call_sid}", PAGE_CAMPAIGN)],
    "calls": [
        Check("/calls", PAGE),
        Check("/calls?campaign_id={campaign}", PAGE_CAMPAIGN),
    ],
    "search": [Check("/search?q=baner", PAGE)],
    "live": [Check("/live", PAGE)],
    "exports": [Check("/exports", PAGE)],
    "static/dashboard.html": [Check("/static/dashboard.html", same(301), both_slashes=False)],
}


def _admin_rows():
    """Rows for every ModelAdmin's standard routes (so a new ModelAdmin is covered at once)."""
    rows = {
        "admin": [Check("/admin/", (302, 302, 302, 302, 200), both_slashes=False)],
        # A logged-in non-staff user sees the form with "not authorized" (Django's admin).
        "admin/login": [Check("/admin/login/", (200, 200, 200, 200, 302), both_slashes=False)],
        "admin/logout": [Check("/admin/logout/", (302, 302, 302, 302, 405), both_slashes=False)],
        "admin/password_change": [
            Check("/admin/password_change/", (302, 302, 302, 302, 200), both_slashes=False)
        ],
        "admin/password_change/done": [
            Check("/admin/password_change/done/", (302, 302, 302, 302, 200), both_slashes=False)
        ],
        "admin/autocomplete": [
            Check(
                "/admin/autocomplete/?app_label=voiceagent&model_name=campaign"
                "&field_name=created_by",
                (302, 302, 302, 302, 403),
                both_slashes=False,
            )
        ],
        "admin/jsi18n": [Check("/admin/jsi18n/", (302, 302, 302, 302, 200), both_slashes=False)],
        "admin/r/<path:content_type_id>/<path:object_id>": [
            Check(
                "/admin/r/{campaign_type}/{campaign}/",
                (302, 302, 302, 302, 404),
                both_slashes=False,
            )
        ],
        "admin/<app_label>": [
            Check("/admin/voiceagent/", (302, 302, 302, 302, 200), both_slashes=False),
            Check("/admin/auth/", (302, 302, 302, 302, 404), both_slashes=False),
        ],
        "admin/(?P<url>.*)$": [
            Check("/admin/no-such-page/", (302, 302, 302, 302, 404), both_slashes=False)
        ],
        "admin/voiceagent/campaign/<int:object_id>/import-leads": [
            Check(
                "/admin/voiceagent/campaign/{campaign}/import-leads/",
                (302, 302, 302, 302, 200),
            )
        ],
        "admin/auth/user/<id>/password": [
            Check(
                "/admin/auth/user/{member_id}/password/",
                (302, 302, 302, 302, 403),
                both_slashes=False,
            )
        ],
    }
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        base = f"admin/{meta.app_label}/{meta.model_name}"
        ours = meta.app_label in STAFF_APPS
        obj = f"{{admin_{meta.model_name}}}"
        add_allowed = model_admin.has_add_permission.__func__ is admin.ModelAdmin.has_add_permission
        delete_allowed = (
            model_admin.has_delete_permission.__func__ is admin.ModelAdmin.has_delete_permission
        )
        staff = {
            "changelist": 200 if ours else 403,
            "add": (200 if add_allowed else 403) if ours else 403,
            "history": 200 if ours else 403,
            "delete": (200 if delete_allowed else 403) if ours else 403,
            "change": 200 if ours else 403,
            "object": 302,  # a redirect to the change view, which decides
        }
        paths = {
            "changelist": (base, f"/{base}/"),
            "add": (f"{base}/add", f"/{base}/add/"),
            "history": (f"{base}/<path:object_id>/history", f"/{base}/{obj}/history/"),
            "delete": (f"{base}/<path:object_id>/delete", f"/{base}/{obj}/delete/"),
            "change": (f"{base}/<path:object_id>/change", f"/{base}/{obj}/change/"),
            "object": (f"{base}/<path:object_id>", f"/{base}/{obj}/"),
        }
        for view, (route, path) in paths.items():
            statuses = (ADMIN_ANON, *(ADMIN_NON_STAFF,) * 3, staff[view])
            rows[route] = [Check(path, statuses, both_slashes=False)]
    return rows


def route_key(route):
    """The resolver's route as the matrix names it: no regex anchors, no optional trailing slash."""
    if "(?P<app_label>" in route:
        return "admin/<app_label>"  # its regex lists the registered apps, which grow
    if route.startswith("admin/") and ("(?P" in route):
        return route  # admin's own regexes are named as they are
    route = route.removeprefix("^").removesuffix("$").removesuffix("/?")
    return route.rstrip("/")


def served_routes():
    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern)

    return {route_key(route) for route in walk(get_resolver().url_patterns)}


def full_matrix():
    return MATRIX | _admin_rows()


def test_every_served_route_has_a_row_in_the_matrix():
    served = served_routes()
    matrix = set(full_matrix())
    assert sorted(served - matrix) == [], "routes without a row in the access matrix"
    assert sorted(matrix - served) == [], "matrix rows for routes no longer served"


class World:
    """The data every path is filled from, and one client per role."""

    def __init__(self, team):
        self.team = team
        factories.ensure_groups()
        team.staff.user_permissions.add(
            *Permission.objects.filter(content_type__app_label__in=STAFF_APPS)
        )
        agent = factories.make_ingest_user("agent")
        lead = factories.make_lead(team.campaign, "Zoravar Matrixlead")
        self.lead = lead
        call = factories.make_call(lead)
        factories.make_turn(call, 1)
        objection = factories.make_objection(call)
        scheduled = factories.make_scheduled_call(lead)
        dnc = DoNotCall.objects.create(phone="+919812345678", reason="asked")
        lead_import = LeadImport.objects.create(
            campaign=team.campaign, created_by=team.member, filename="leads.csv"
        )
        event = CallEvent.objects.create(
            event_id="ev-matrix-1",
            call_sid=call.call_sid,
            type="call.queued",
            occurred_at=timezone.now(),
            payload={},
        )
        export_job = ExportJob.objects.create(
            user=team.member, campaign=team.campaign, kind="results", format="csv"
        )
        report_schedule = ReportSchedule.objects.create(
            campaign=team.campaign, frequency="daily", recipients=["sales@example.com"]
        )
        rule = AlertRule.objects.create(
            owner=team.member, campaign=team.campaign, channel="email", target="a@x.example"
        )
        webhook = WebhookEndpoint.objects.create(
            owner=team.member, url="https://hooks.example/matrix", events=["call.completed"]
        )
        delivery = Delivery.objects.create(
            key="matrix-1", endpoint=webhook, call=call, event_type="call.completed",
            message_id="msg_matrix_1", retry_until=timezone.now(),
        )  # fmt: skip
        self.values = {
            "report_schedule": report_schedule.pk,
            "alert_rule": rule.pk,
            "webhook": webhook.pk,
            "delivery": delivery.pk,
            "admin_alertrule": rule.pk,
            "admin_webhookendpoint": webhook.pk,
            "admin_delivery": delivery.pk,
            "export_job": export_job.pk,
            "admin_exportjob": export_job.pk,
            "admin_leadimport": lead_import.pk,
            "campaign": team.campaign.pk,
            "lead": lead.pk,
            "call_sid": call.call_sid,
            "dnc_phone": dnc.phone,
            "lead_import": lead_import.pk,
            "member_id": team.member.pk,
            "campaign_type": ContentType.objects.get_for_model(team.campaign).pk,
            "admin_campaign": team.campaign.pk,
            "admin_lead": lead.pk,
            "admin_donotcall": dnc.pk,
            "admin_callsession": call.pk,
            "admin_scheduledcall": scheduled.pk,
            "admin_objection": objection.pk,
            "admin_callevent": event.pk,
            "admin_auditevent": AuditEvent.objects.create(action=AuditAction.LOGIN).pk,
            "erasable_lead": factories.make_lead(team.campaign, "To erase").pk,
            "admin_group": Group.objects.get(name="managers").pk,
            "admin_user": team.member.pk,
            "admin_tokenproxy": agent.pk,
        }
        self.clients = {
            "anonymous": Client(),
            "member": self._session(team.member),
            "outsider": self._session(team.outsider),
            "ingest": Client(
                HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=agent)[0].key}"
            ),
            "staff": self._session(team.staff),
        }
        self._serial = 0

    @staticmethod
    def _session(user):
        client = Client()
        client.force_login(user)
        return client

    def body(self, name):
        """A valid body for a write, fresh each call (so an allowed write really succeeds)."""
        self._serial += 1
        n = self._serial
        if name == "campaign":
            return "json", {"name": f"Matrix campaign {n}"}
        if name == "campaign_description":
            return "json", {"description": f"Matrix {n}"}
        if name == "lead":
            return "json", {
                "campaign": self.team.campaign.pk,
                "name": f"Matrix lead {n}",
                "phone": f"+91977{n:07d}",
            }
        if name == "erasure":
            return "json", {"reason": f"Matrix request {n}"}
        if name == "dnc":
            return "json", {"phone": f"+91966{n:07d}", "reason": "matrix"}
        if name == "lead_file":
            csv = f"name,phone\nMatrix {n},+91955{n:07d}\n".encode()
            return "multipart", {"file": SimpleUploadedFile("leads.csv", csv, "text/csv")}
        if name == "call_event":
            return "json", {
                "event_id": f"matrix-{n}",
                "type": "call.queued",
                "occurred_at": timezone.now().isoformat(),
                "call_sid": f"CAmatrix{n}",
                "campaign_id": self.team.campaign.pk,
                "lead_id": self.lead.pk,
                "data": {},
            }
        if name == "export_job":
            return "json", {"campaign_id": self.team.campaign.pk, "kind": "leads", "format": "csv"}
        if name == "report_schedule":
            return "json", {
                "campaign": self.team.campaign.pk,
                "frequency": "weekly",
                "recipients": [f"matrix{n}@example.com"],
            }
        if name == "exotel":
            return "form", {"CallSid": "CAexotel", "Status": "completed"}
        raise LookupError(name)

    def request(self, role, check, path):
        client = self.clients[role]
        method = getattr(client, check.method)
        if not check.body:
            return method(path)
        kind, body = self.body(check.body)
        if kind == "json":
            return method(path, json.dumps(body), content_type="application/json")
        if kind == "form":
            return method(path, body)
        return method(path, body, format="multipart")


def expected_statuses(check):
    if check.statuses == "detailed":
        # Health of external services not configured here: degraded (200) in every view.
        return same(200)
    return check.statuses


# Names only the member's campaign shows; Prometheus labels carry campaign names by design
# (the scrape is open unless METRICS_TOKEN is set), so the exposition is left out.
SECRETS = ("Powai launch", "Zoravar Matrixlead")
OPEN_EXPOSITION = ("/health/metrics", "/metrics")


def leaks(role, path, response):
    """An answer to someone outside the campaign that names its campaign or its lead."""
    if role not in ("anonymous", "outsider", "ingest") or path.startswith(OPEN_EXPOSITION):
        return False
    if path.startswith("/api/schema"):  # its examples are static text, not data
        return False
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return any(secret.encode() in body for secret in SECRETS)


def test_every_role_gets_exactly_the_allowed_status_on_every_route(team, settings):
    settings.EXOTEL_WEBHOOK_SECRET = "matrix-secret"
    world = World(team)
    mismatches = []
    # Logging out ends the clients' sessions: those rows go last.
    rows = sorted(full_matrix().items(), key=lambda row: row[0] == "accounts/logout")
    for _key, checks in rows:
        for check in checks:
            path = check.path.format(**world.values)
            paths = [path]
            if check.both_slashes:
                base, _, query = path.partition("?")
                twin = base.rstrip("/") + "/"
                paths.append(twin + (f"?{query}" if query else ""))
            for concrete in paths:
                for role, want in zip(ROLES, expected_statuses(check), strict=True):
                    response = world.request(role, check, concrete)
                    got = response.status_code
                    if got != want:
                        mismatches.append(
                            f"{check.method.upper()} {concrete} {role}: {got} != {want}"
                        )
                    elif leaks(role, concrete, response):
                        mismatches.append(f"{check.method.upper()} {concrete} {role}: leaks")
    assert mismatches == [], "\n".join(mismatches)


def test_a_route_pattern_with_a_regex_is_named_by_its_pattern():
    assert route_key("^api/leads/(?P<pk>[^/.]+)/?$") == "api/leads/(?P<pk>[^/.]+)"
    assert re.fullmatch(r"analytics/system", route_key("analytics/system/"))
