"""One attempt at sending a delivery through its channel: email, Exotel SMS, Slack or webhook.

Each sender returns a SendResult and never raises for the receiver's faults (refused address,
timeout, non-2xx answer, SMTP error): those are the delivery's failures, logged and retried.
Redirects are never followed: a 3xx is a failure like any other non-2xx answer.
"""

import json
import smtplib
import time
from dataclasses import dataclass

import httpx
from django.conf import settings

from notifications import signing
from notifications.email import send_email
from notifications.models import AlertChannel
from notifications.targets import AddressRefused, check_address


@dataclass(frozen=True)
class SendResult:
    ok: bool
    response_code: int | None = None
    error: str = ""


def _post(url, **kwargs):
    try:
        check_address(url)
    except AddressRefused as exc:
        return SendResult(False, None, f"Refused: {exc}")
    try:
        response = httpx.post(
            url, timeout=settings.WEBHOOK_TIMEOUT_SECONDS, follow_redirects=False, **kwargs
        )
    except httpx.TimeoutException:
        return SendResult(False, None, f"No answer within {settings.WEBHOOK_TIMEOUT_SECONDS:g} s.")
    except httpx.HTTPError as exc:
        return SendResult(False, None, f"Request failed: {type(exc).__name__}: {exc}"[:500])
    if 200 <= response.status_code < 300:
        return SendResult(True, response.status_code)
    return SendResult(
        False, response.status_code, f"Answered {response.status_code}: {response.text[:200]}"
    )


def send_email_alert(delivery):
    message = delivery.payload
    try:
        send_email(
            to=[delivery.rule.target],
            subject=message["subject"],
            body=message["text"],
            message_id=delivery.message_id,
        )
    except (smtplib.SMTPException, OSError) as exc:
        return SendResult(False, None, f"Email not sent: {type(exc).__name__}: {exc}"[:500])
    return SendResult(True)


def send_sms_alert(delivery):
    exotel = settings.EXTERNAL_SERVICES["exotel"]
    if not (exotel["account_sid"] and exotel["api_key"] and exotel["api_token"]):
        return SendResult(
            False, None, "Exotel is not configured (EXOTEL_ACCOUNT_SID, EXOTEL_API_KEY, "
            "EXOTEL_API_TOKEN).",
        )  # fmt: skip
    url = f"{exotel['base_url'].rstrip('/')}/v1/Accounts/{exotel['account_sid']}/Sms/send.json"
    try:
        response = httpx.post(
            url,
            auth=(exotel["api_key"], exotel["api_token"]),
            data={
                "From": settings.EXOTEL_SMS_FROM,
                "To": delivery.rule.target,
                "Body": delivery.payload["short"],
            },
            timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
            follow_redirects=False,
        )
    except httpx.HTTPError as exc:
        return SendResult(False, None, f"Exotel SMS failed: {type(exc).__name__}: {exc}"[:500])
    if 200 <= response.status_code < 300:
        return SendResult(True, response.status_code)
    return SendResult(
        False,
        response.status_code,
        f"Exotel answered {response.status_code}: {response.text[:200]}",
    )


def send_slack_alert(delivery):
    message = delivery.payload
    return _post(delivery.rule.target, json={"text": f"*{message['subject']}*\n{message['text']}"})


def send_webhook(delivery):
    endpoint = delivery.endpoint
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()
    timestamp = int(time.time())
    headers = {
        "content-type": "application/json",
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signing.sign(
            secret=endpoint.secret, message_id=delivery.message_id, timestamp=timestamp, body=body
        ),
        "user-agent": "voiceagent-webhooks/1",
    }
    return _post(endpoint.url, content=body, headers=headers)


ALERT_SENDERS = {
    AlertChannel.EMAIL: send_email_alert,
    AlertChannel.SMS: send_sms_alert,
    AlertChannel.SLACK: send_slack_alert,
}


def send(delivery):
    if delivery.endpoint_id:
        return send_webhook(delivery)
    return ALERT_SENDERS[delivery.rule.channel](delivery)
