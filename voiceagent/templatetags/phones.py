"""`{{ lead.phone|phone:request.user }}`: the phone as that user may see it (personal_data.phones)."""

from django import template

from voiceagent.access import can_view_full_phone
from voiceagent.personal_data.phones import display_phone

register = template.Library()


@register.filter
def phone(value, user):
    return display_phone(value, full=can_view_full_phone(user))
