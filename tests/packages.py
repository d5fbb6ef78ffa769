"""Our own packages: the apps of INSTALLED_APPS whose code lives in this repository."""

from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]


def our_packages():
    """("voiceagent", "analytics", ...) in INSTALLED_APPS order, a new app included by itself."""
    names = (app.split(".")[0] for app in settings.INSTALLED_APPS)
    return tuple(dict.fromkeys(name for name in names if (ROOT / name / "__init__.py").exists()))
