"""WSGI entry point (the ASGI one, asgi.py, is what production runs)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voiceagent.settings")
application = get_wsgi_application()
