"""Pages of the call domain for logged-in users."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from voiceagent.access import visible_campaigns


@login_required
def home(request):
    campaigns = visible_campaigns(request.user).order_by("-created_at")[:50]
    return render(request, "home.html", {"campaigns": campaigns})
