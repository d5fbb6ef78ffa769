"""Sending email through Django's mail backend (SMTP when EMAIL_HOST is set, else the console).

Shared by alerts, webhook-endpoint notices and any other mail the product sends.
"""

from django.conf import settings
from django.core.mail import EmailMessage, get_connection


def send_email(*, to, subject, body, message_id=None, attachments=()):
    """Send one message to the addresses `to`; `attachments` are (filename, bytes, mimetype).

    `message_id` (a stable id such as a delivery's) becomes the Message-ID header, so a message
    sent twice after a crash reads as the same message to mail clients that thread by it.
    Raises whatever the backend raises (smtplib.SMTPException, OSError) on failure.
    """
    headers = {"Message-ID": f"<{message_id}@voiceagent>"} if message_id else {}
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=list(to),
        headers=headers,
        connection=get_connection(timeout=settings.EMAIL_TIMEOUT),
    )
    for filename, content, mimetype in attachments:
        message.attach(filename, content, mimetype)
    return message.send(fail_silently=False)
