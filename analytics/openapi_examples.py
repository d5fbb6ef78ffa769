"""Response examples of the analytics and dashboard API for the OpenAPI document (/docs, /redoc)."""

from drf_spectacular.utils import OpenApiExample

ALL_TIME = {"from": None, "to": None, "label": "All time"}
LAST_30_DAYS = {"from": "2025-02-14", "to": "2025-03-15", "label": "Last 30 days"}
TWO_DAYS = {"from": "2025-03-14", "to": "2025-03-15", "label": "Last 2 days"}
COMPONENTS = {
    "database": "healthy",
    "redis": "healthy",
    "worker": "healthy",
    "scheduler": "healthy",
    "exotel": "healthy",
    "deepgram": "not_configured",
    "openai": "healthy",
    "elevenlabs": "unknown",
}
SYSTEM = {
    "total_campaigns": 4,
    "active_campaigns": 2,
    "total_leads": 1200,
    "calls_today": 86,
    "calls_in_progress": 3,
    "calls_queued": 12,
    "calls_made": 1850,
    "answer_rate": 41.86,
    "qualification_rate": 27.78,
    "rates_days": 30,
    "period": LAST_30_DAYS,
    "components": COMPONENTS,
}
DAY = {
    "date": "2025-03-14",
    "calls_made": 86,
    "calls_answered": 36,
    "calls_qualified": 10,
    "answer_rate": 41.86,
    "qualification_rate": 27.78,
    "avg_call_duration": 142.5,
    "total_call_time": 5130,
}
QUIET_DAY = {
    "date": "2025-03-15",
    "calls_made": 0,
    "calls_answered": 0,
    "calls_qualified": 0,
    "answer_rate": 0.0,
    "qualification_rate": 0.0,
    "avg_call_duration": 0.0,
    "total_call_time": 0,
}
METRICS = {
    "campaign_id": 1,
    "campaign_name": "Powai launch",
    "campaign_status": "running",
    "total_leads": 300,
    "valid_leads": 291,
    "dnc_filtered_leads": 7,
    "calls_made": 300,
    "calls_answered": 100,
    "calls_qualified": 33,
    "calls_not_interested": 40,
    "calls_callback": 20,
    "calls_no_answer": 180,
    "calls_failed": 8,
    "calls_voicemail": 12,
    "calls_in_progress": 2,
    "calls_queued": 5,
    "answer_rate": 33.33,
    "qualification_rate": 33.0,
    "conversion_rate": 11.34,
    "avg_call_duration": 151.25,
    "total_call_time": 15125,
    "cost_inr": 1043.57,
    "cost_per_answered_call_inr": 6.15,
    "cost_per_qualified_lead_inr": 34.79,
    "latency": {
        "stt_ms": {"avg": 212.43, "p95": 395.68, "samples": 1240},
        "llm_ms": {"avg": 684.1, "p95": 1423.35, "samples": 1240},
        "tts_ms": {"avg": 171.9, "p95": 254.82, "samples": 1238},
    },
    "from": None,
    "to": None,
    "period": ALL_TIME,
}
ACTIVITY = {
    "lead_id": 42,
    "name": "Priya Sharma",
    "phone": "+919812345678",
    "phone_display": "+91 98123 45678",
    "city": "Mumbai",
    "campaign_id": 1,
    "campaign_name": "Powai launch",
    "status": "callback",
    "is_dnc": False,
    "call_attempts": 2,
    "last_call_at": "2025-03-14T18:02:11+05:30",
    "last_outcome": "callback_requested",
    "next_action": {"reason": "callback", "scheduled_for": "2025-03-15T18:02:11+05:30"},
}
SLOT = {
    "weekday": 6,
    "weekday_name": "Saturday",
    "hour": 11,
    "calls_made": 40,
    "calls_answered": 22,
    "calls_qualified": 8,
    "answer_rate": 55.0,
    "qualification_rate": 36.36,
}


def _example(name, value, summary):
    return OpenApiExample(name, value=value, summary=summary, response_only=True)


EXAMPLES = {
    "campaign_metrics": _example("Campaign metrics", METRICS, "All time"),
    "daily_stats": _example(
        "Daily stats",
        {
            "from": "2025-03-14",
            "to": "2025-03-15",
            "period": TWO_DAYS,
            "campaign_id": None,
            "days": 2,
            "timezone": "Asia/Kolkata",
            "stats": [DAY, QUIET_DAY],
        },
        "Two days, every visible campaign",
    ),
    "conversation": _example(
        "Conversation",
        {
            "call_sid": "CA7f3a1c9e",
            "campaign_id": 1,
            "campaign_name": "Powai launch",
            "lead": {
                "id": 42,
                "name": "Priya Sharma",
                "phone": "+919812345678",
                "phone_display": "+91 98123 45678",
                "city": "Mumbai",
            },
            "attempt_number": 1,
            "status": "completed",
            "outcome": "qualified",
            "ended_by": "lead",
            "initiated_at": "2025-03-14T11:02:00+05:30",
            "answered_at": "2025-03-14T11:02:09+05:30",
            "ended_at": "2025-03-14T11:05:09+05:30",
            "duration_seconds": 180,
            "current_stage": "closing",
            "recording_url": "https://recordings.example.com/CA7f3a1c9e.mp3",
            "error": "",
            "errors": [
                {
                    "component": "llm",
                    "message": "OpenAI request timed out after 8 s",
                    "code": "timeout",
                    "occurred_at": "2025-03-14T11:02:40+05:30",
                }
            ],
            "cost_inr": 2.94,
            "exchanges": 2,
            "stages_reached": ["greeting", "discovery"],
            "objections": [
                {
                    "category": "price",
                    "text": "That is above my budget.",
                    "occurred_at": "2025-03-14T11:03:40+05:30",
                    "turn_sequence": 2,
                }
            ],
            "qualification": {"purpose": "buy", "timeline": "3 months", "budget": "80 lakh"},
            "latency": {
                "stt_ms": {"avg": 210.0, "p95": 228.0, "samples": 2},
                "llm_ms": {"avg": 640.0, "p95": 640.0, "samples": 1},
                "tts_ms": {"avg": 180.0, "p95": 180.0, "samples": 1},
            },
            "transcript": [
                {
                    "sequence": 1,
                    "speaker": "agent",
                    "text": "Namaste, am I speaking with Priya?",
                    "stage": "greeting",
                    "started_at": "2025-03-14T11:02:10+05:30",
                    "stt_ms": 190,
                    "llm_ms": 640,
                    "tts_ms": 180,
                },
                {
                    "sequence": 2,
                    "speaker": "lead",
                    "text": "Yes, but that is above my budget.",
                    "stage": "discovery",
                    "started_at": "2025-03-14T11:03:40+05:30",
                    "stt_ms": 230,
                    "llm_ms": None,
                    "tts_ms": None,
                },
            ],
        },
        "A qualified call",
    ),
    "system": _example("System", SYSTEM, "Your campaigns"),
    "lead_activity": _example("Lead activity", [ACTIVITY], "One lead"),
    "funnel": _example(
        "Funnel",
        {
            "from": None,
            "to": None,
            "period": ALL_TIME,
            "campaign_id": 1,
            "steps": [
                {
                    "step": "leads",
                    "label": "Valid leads",
                    "count": 200,
                    "step_rate": 100.0,
                    "overall_rate": 100.0,
                },
                {
                    "step": "dialed",
                    "label": "Dialed",
                    "count": 150,
                    "step_rate": 75.0,
                    "overall_rate": 75.0,
                },
                {
                    "step": "answered",
                    "label": "Answered",
                    "count": 60,
                    "step_rate": 40.0,
                    "overall_rate": 30.0,
                },
                {
                    "step": "qualified",
                    "label": "Qualified",
                    "count": 18,
                    "step_rate": 30.0,
                    "overall_rate": 9.0,
                },
            ],
        },  # fmt: skip
        "Abridged: every stage has a step between answered and qualified",
    ),
    "best_hours": _example(
        "Best hours",
        {
            "from": "2025-01-01",
            "to": "2025-03-31",
            "period": {"from": "2025-01-01", "to": "2025-03-31", "label": "1 Jan – 31 Mar 2025"},
            "campaign_id": 1,
            "timezone": "Asia/Kolkata",
            "min_calls": 5,
            "best": [SLOT],
            "slots": [SLOT],
        },
        "Abridged: slots holds all 168 weekday × hour cells",
    ),
    "objections": _example(
        "Objections",
        {
            "from": None,
            "to": None,
            "period": ALL_TIME,
            "campaign_id": 1,
            "total_objections": 3,
            "calls_with_objections": 2,
            "calls_with_objections_qualified": 1,
            "qualified_share": 50.0,
            "categories": [
                {
                    "category": "price",
                    "label": "Price",
                    "objections": 2,
                    "calls": 2,
                    "calls_qualified": 1,
                    "qualified_share": 50.0,
                },
                {
                    "category": "timing",
                    "label": "Timing",
                    "objections": 1,
                    "calls": 1,
                    "calls_qualified": 0,
                    "qualified_share": 0.0,
                },
            ],
        },  # fmt: skip
        "Abridged: every category is listed, zeros included",
    ),
    "overview": _example(
        "Overview",
        {
            "period": LAST_30_DAYS,
            "system": SYSTEM,
            "recent_campaigns": [
                {
                    "id": 1,
                    "name": "Powai launch",
                    "status": "running",
                    "calls_made": 300,
                    "calls_answered": 100,
                    "calls_qualified": 33,
                    "answer_rate": 33.33,
                    "qualification_rate": 33.0,
                    "period": LAST_30_DAYS,
                },
            ],
            "daily_stats": [DAY, QUIET_DAY],
            "timezone": "Asia/Kolkata",
            "generated_at": "2025-03-15T10:00:00+05:30",
        },  # fmt: skip
        "Your campaigns",
    ),
    "realtime": _example(
        "Realtime",
        {
            "calls_in_progress": 1,
            "calls_queued": 4,
            "campaigns": [{"campaign_id": 1, "calls_in_progress": 1, "calls_queued": 4}],
            "active_calls": [
                {
                    "call_sid": "CA9b2e77d0",
                    "campaign_id": 1,
                    "campaign_name": "Powai launch",
                    "lead_id": 42,
                    "lead_name": "Priya Sharma",
                    "stage": "discovery",
                    "status": "in_progress",
                    "outcome": None,
                    "duration_seconds": 74,
                    "started_at": "2025-03-15T09:58:46+05:30",
                }
            ],
            "timestamp": "2025-03-15T10:00:00+05:30",
        },
        "One call in progress",
    ),
    "campaign_summary": _example(
        "Campaign summary",
        {
            "period": TWO_DAYS,
            "metrics": {**METRICS, "from": "2025-03-14", "to": "2025-03-15", "period": TWO_DAYS},
            "daily_stats": [DAY, QUIET_DAY],
            "recent_activity": [ACTIVITY],
        },
        "Metrics, two days, one lead",
    ),
    "error_400": _example(
        "Invalid parameter",
        {
            "detail": "Invalid input: days: Ensure this value is less than or equal to 365.",
            "errors": {"days": ["Ensure this value is less than or equal to 365."]},
        },
        "days out of range",
    ),
    "error_403": _example(
        "Not logged in", {"detail": "Authentication credentials were not provided."}, "No token"
    ),
    "error_404": _example("Not visible", {"detail": "No campaign with that id."}, "Not yours"),
}


EXAMPLES["calls_attention"] = _example(
    "Calls needing attention",
    {
        "period": {"from": "2025-03-01", "to": "2025-03-14", "label": "1 Mar 2025 – 14 Mar 2025"},
        "count": 23,
        "page": 1,
        "page_size": 50,
        "calls": [
            {
                "call_sid": "CA7f3a9c",
                "campaign_id": 1,
                "campaign_name": "Powai launch",
                "lead_name": "Priya Sharma",
                "started_at": "2025-03-14T11:02:05+05:30",
                "status": "completed",
                "outcome": "not_interested",
                "duration_seconds": 74,
                "reasons": ["slow_turn", "hung_up_after_slow_turn"],
                "worst_turn_ms": 4310,
            }
        ],
    },
    "A slow LLM turn right before the lead hung up",
)
EXAMPLES["transcript_search"] = _example(
    "Transcript search",
    {
        "period": {"from": None, "to": None, "label": "All time"},
        "count": 2,
        "more": False,
        "page": 1,
        "page_size": 20,
        "results": [
            {
                "call_sid": "CA7f3a9c",
                "lead_name": "Priya Sharma",
                "campaign_id": 1,
                "occurred_at": "2025-03-14T11:02:31+05:30",
                "sequence": 4,
                "speaker": "lead",
                "snippet": "Something in <mark>Baner</mark>, near the highway.",
            }
        ],
    },
    "q=Baner",
)

EXAMPLES["variants"] = _example(
    "Script variants",
    {
        "campaign_id": 1,
        "period": LAST_30_DAYS,
        "metric": "qualification_rate",
        "baseline": "default",
        "variants": [
            {
                "variant": "default",
                "calls_made": 400,
                "calls_answered": 220,
                "calls_qualified": 22,
                "answer_rate": 55.0,
                "qualification_rate": 10.0,
                "ci_low": 6.7,
                "ci_high": 14.68,
                "p_value": None,
                "significant": False,
            },
            {
                "variant": "warm-open",
                "calls_made": 380,
                "calls_answered": 200,
                "calls_qualified": 40,
                "answer_rate": 52.63,
                "qualification_rate": 20.0,
                "ci_low": 15.05,
                "ci_high": 26.09,
                "p_value": 0.0039,
                "significant": True,
            },
        ],
        "winner": "warm-open",
        "min_answered": 100,
    },
    "warm-open qualifies twice as often, and it is not noise",
)
EXAMPLES["score_calibration"] = _example(
    "Score calibration",
    {
        "campaign_id": 1,
        "deciles": [
            {
                "decile": index + 1,
                "score_from": index * 10,
                "score_to": 100 if index == 9 else index * 10 + 9,
                "leads": leads,
                "qualified": qualified,
                "site_visits_booked": None,
                "qualified_rate": round(qualified * 100 / leads, 2) if leads else 0.0,
            }
            for index, (leads, qualified) in enumerate(
                [
                    (400, 2),
                    (310, 6),
                    (220, 11),
                    (150, 14),
                    (90, 15),
                    (60, 16),
                    (40, 15),
                    (25, 12),
                    (12, 8),
                    (3, 3),
                ]
            )
        ],
    },
    "Higher deciles qualify more often: the score predicts",
)
