"""Standard Webhooks signatures: `v1,` and base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`."""

import base64
import hashlib
import hmac

SECRET_PREFIX = "whsec_"


def sign(*, secret, message_id, timestamp, body):
    """The `webhook-signature` header value for `body` (bytes) sent at `timestamp` (int)."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()
