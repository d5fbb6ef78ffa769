"""Where notifications may go: alert targets per channel, webhook URLs, and the address guard.

A URL typed by a user is a request this server will make (SSRF): it must be https (http only
with DEBUG), and its host must not resolve to a private, loopback, link-local or reserved
address unless WEBHOOK_ALLOW_PRIVATE is set. The guard runs again before every request, since
a name can resolve elsewhere later.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator

from notifications.models import AlertChannel
from voiceagent.campaigns.cleaning import normalise_phone


class AddressRefused(Exception):
    """The URL's host is (or resolves to) an address this server must not call."""


def clean_url(value):
    """The URL if it is an absolute https URL (http too with DEBUG), else ValueError naming why."""
    value = str(value).strip()
    schemes = ["https", "http"] if settings.DEBUG else ["https"]
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError:
        raise ValueError(f"{value[:80]!r} is not a valid URL.") from None
    scheme = urlsplit(value).scheme.lower()
    if scheme not in schemes:
        raise ValueError("must be an https:// URL (http:// is allowed only with DEBUG).")
    if urlsplit(value).username or urlsplit(value).password:
        raise ValueError("must not carry a user name or password.")
    try:
        check_address(value)
    except AddressRefused as exc:
        raise ValueError(str(exc)) from None
    return value


def clean_target(channel, value):
    """The target normalised for its channel (email, E.164 phone, URL), or ValueError."""
    value = str(value).strip()
    if channel == AlertChannel.EMAIL:
        try:
            EmailValidator()(value)
        except ValidationError:
            raise ValueError(f"{value[:80]!r} is not a valid email address.") from None
        return value
    if channel == AlertChannel.SMS:
        return normalise_phone(value)
    if channel == AlertChannel.SLACK:
        return clean_url(value)
    raise ValueError(f"unknown channel {channel!r}.")


def _refused(address):
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
    )


def check_address(url):
    """Raise AddressRefused when the URL's host is or resolves to a non-public address."""
    if settings.WEBHOOK_ALLOW_PRIVATE:
        return
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        raise AddressRefused(f"the host {host!r} does not resolve.") from None
    for *_, sockaddr in infos:
        if _refused(sockaddr[0]):
            raise AddressRefused(
                f"the host {host!r} resolves to {sockaddr[0]}, a private or loopback address "
                "(allowed only with WEBHOOK_ALLOW_PRIVATE=1)."
            )
