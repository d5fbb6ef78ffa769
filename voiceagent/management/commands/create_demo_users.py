"""manage.py create_demo_users: a demo admin (staff) and a demo manager, logins printed."""

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand

from voiceagent.access import MANAGERS_GROUP
from voiceagent.models import Campaign

DEMO_USERS = [
    # username, password, staff
    ("admin", "admin-demo-pass", True),
    ("manager", "manager-demo-pass", False),
]


class Command(BaseCommand):
    help = "Create (or reset) the demo admin and demo manager and print their logins."

    def handle(self, *args, **options):
        for username, password, staff in DEMO_USERS:
            user, _ = User.objects.get_or_create(username=username)
            user.is_staff = user.is_superuser = staff
            user.first_name = "Demo"
            user.last_name = "Admin" if staff else "Manager"
            user.set_password(password)
            user.save()
            if not staff:
                user.groups.add(Group.objects.get(name=MANAGERS_GROUP))
                # The manager's team: every demo campaign but the last, so visibility is visible.
                campaigns = list(Campaign.objects.order_by("id"))
                user.campaigns.set(campaigns[:-1] if len(campaigns) > 1 else campaigns)
        self.stdout.write(self.style.SUCCESS("Demo logins:"))
        for username, password, staff in DEMO_USERS:
            role = (
                "staff admin (sees everything, /admin/)"
                if staff
                else "manager (sees their team's campaigns)"
            )
            self.stdout.write(f"  {username} / {password}  — {role}")
