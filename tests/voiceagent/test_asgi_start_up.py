"""The ASGI application, as a server process loads it."""

import subprocess
import sys

from django.conf import settings

PROBE = """
import gc
frozen_before = gc.get_freeze_count()
import voiceagent.asgi
print(frozen_before, gc.get_freeze_count())
"""


def test_loading_the_application_freezes_what_start_up_made_out_of_the_collectors_reach():
    """Full collections then walk what requests make, not the whole application again."""
    before, after = map(int, run_probe(PROBE).split())
    assert before == 0
    assert after > 50_000  # Django, the apps, Channels: every object start-up made


FIRST_REQUEST_PROBE = """
import gc
import voiceagent.asgi
from django.urls import resolve
resolve("/api/call-events")
gc.collect()
print(len(gc.get_objects()))
"""


def test_the_views_a_first_request_loads_were_frozen_at_start_up():
    """The URLconf imports the views, serializers and services (about 260 modules): loaded on
    the first request, after the freeze, they stayed in every full collection's walk."""
    assert (
        int(run_probe(FIRST_REQUEST_PROBE)) < 1_000
    )  # tracked objects outside the frozen start-up


def run_probe(code):
    """What `code` prints, run by a fresh interpreter as a server process starts."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
