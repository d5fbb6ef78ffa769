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
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )

    before, after = map(int, result.stdout.split())
    assert before == 0
    assert after > 50_000  # Django, the apps, Channels: every object start-up made
