"""Sending report emails through Django's mail backend (SMTP whenever EMAIL_HOST is set)."""

from django.conf import settings
from django.core.mail import EmailMessage


def send_report_email(*, subject, body, recipients, filename, pdf_bytes):
    """One email to `recipients` with the PDF attached; raises if the server refuses it."""
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=list(recipients),
    )
    message.attach(filename, pdf_bytes, "application/pdf")
    message.send(fail_silently=False)
