"""`{{ lead.phone|phone:request.user }}`: the phone as that user may see it (personal_data.phones)."""

from django import template

from voiceagent.personal_data.phones import can_view_full_phone, display_phone

register = template.Library()


@register.filter
def phone(value, user):
    return display_phone(value, full=can_view_full_phone(user))
