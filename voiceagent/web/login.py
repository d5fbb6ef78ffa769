"""Login forms and view that say plainly when a username is locked out (see voiceagent.web.throttling)."""

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from voiceagent.web.throttling import lockout_message, login_locked


class LockoutMixin:
    def clean(self):
        if login_locked(self.request, self.data.get("username")):
            raise ValidationError(lockout_message(), code="locked")
        return super().clean()

    @property
    def locked(self):
        return any(error.code == "locked" for error in self.non_field_errors().as_data())


class LoginForm(LockoutMixin, AuthenticationForm):
    pass


class AdminLoginForm(LockoutMixin, AdminAuthenticationForm):
    pass


class LoginView(auth_views.LoginView):
    """Django's login view; a locked-out attempt answers 429 Too Many Requests."""

    authentication_form = LoginForm

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.locked:
            response.status_code = 429
        return response
