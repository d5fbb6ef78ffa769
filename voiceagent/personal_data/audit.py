"""Writing the audit log: `record` (one INSERT, on commit), and who did it from the request.

A row is written by the statement that does the thing it records (an INSERT of one row, well
under a millisecond), after the surrounding transaction commits: a rolled-back erasure leaves no
row claiming it happened, and a row is never queued somewhere it could be lost. The request of
the moment (for IP and user agent) comes from `AuditRequestMiddleware`, so services called by
views, the admin or the API need not pass it along.

A record of someone reading personal data (READ_ACTIONS: a lead, a list of leads, a call page, a
conversation) is committed on PostgreSQL without waiting for its WAL to reach the disk
(`synchronous_commit = off` for that one transaction): the flush took 0.1–4 ms of every read,
as busy as the disk was, against about 1 ms for a conversation's reads. The row is committed and
visible at once, before the answer leaves, and an INSERT that fails still fails the request;
what changes is that a crash of the database server within the WAL writer's delay (at most
3 × wal_writer_delay, 0.6 s by default) after the read may lose that row. Records of changes
(logins, exports, imports, erasures, admin changes) keep waiting for the flush, as every other
write does.
"""

import contextvars
from functools import cache, partial

from django.contrib.admin.models import ADDITION, CHANGE, DELETION
from django.db import connections, router, transaction

from voiceagent.models import AuditAction, AuditEvent

_current_request = contextvars.ContextVar("audit_request", default=None)
ADMIN_FLAGS = {ADDITION: "added", CHANGE: "changed", DELETION: "deleted"}
# Someone looked at personal data: recorded without waiting for the WAL flush (module docstring).
READ_ACTIONS = frozenset(
    {
        AuditAction.LEAD_VIEWED,
        AuditAction.LEADS_LISTED,
        AuditAction.CALL_VIEWED,
        AuditAction.TRANSCRIPT_VIEWED,
    }
)


class AuditRequestMiddleware:
    """Makes the request known to `record` for the time of the view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)


def _client(request):
    if request is None:
        return None, ""
    # REMOTE_ADDR only, as the login throttle: X-Forwarded-For is whatever the client says.
    ip = request.META.get("REMOTE_ADDR") or None
    return ip, request.META.get("HTTP_USER_AGENT", "")[:300]


def _request_user(request):
    user = getattr(request, "user", None) if request is not None else None
    return user if user is not None and user.is_authenticated else None


def record(
    *,
    action,
    actor=None,
    object_type="",
    object_id="",
    campaign_id=None,
    detail=None,
    request=None,
    actor_username="",
):
    """Append one audit event (after the current transaction commits); returns it unsaved."""
    request = request if request is not None else _current_request.get()
    actor = actor if actor is not None else _request_user(request)
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    ip, user_agent = _client(request)
    event = AuditEvent(
        action=action,
        actor=actor,
        actor_username=(actor.get_username() if actor is not None else actor_username)[:150],
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else "",
        campaign_id=campaign_id,
        ip=ip,
        user_agent=user_agent,
        detail=detail or {},
    )
    transaction.on_commit(partial(_write, event))
    return event


def _write(event):
    """Saves `event`; a record of a read in a transaction of its own committed asynchronously
    on PostgreSQL (the setting is local to that transaction: the connection's later writes wait
    for the flush again). Inside a
    caller's transaction (only a test's: on_commit runs callbacks after the commit) it is saved
    as any row, so as not to change the durability of a transaction it does not own."""
    database = router.db_for_write(AuditEvent)
    connection = connections[database]
    if (
        event.action not in READ_ACTIONS
        or connection.vendor != "postgresql"
        or connection.in_atomic_block
    ):
        event.save(using=database)
        return
    # One statement, its own transaction: the setting is made by the INSERT itself (RETURNING
    # runs before the commit), instead of BEGIN, SET LOCAL, the INSERT built by the ORM and
    # COMMIT, a round trip each (a read of a conversation or of a list of leads spent about
    # 3 ms on them when a round trip took 0.75 ms; 4.2 -> 2.0 ms measured in paired runs).
    fields = _stored_fields()
    with connection.cursor() as cursor:
        cursor.execute(
            _read_record_sql(),
            [field.get_db_prep_save(field.pre_save(event, True), connection) for field in fields],
        )


@cache
def _stored_fields():
    return [field for field in AuditEvent._meta.concrete_fields if not field.primary_key]


@cache
def _read_record_sql():
    """The INSERT of a read's record that commits without waiting for the WAL flush: run
    outside a transaction block, it is a transaction of its own, and `set_config(..., true)`
    holds until that commits (RETURNING is evaluated before the commit)."""
    quote = connections[router.db_for_write(AuditEvent)].ops.quote_name
    columns = ", ".join(quote(field.column) for field in _stored_fields())
    values = ", ".join(["%s"] * len(_stored_fields()))
    return (
        f"INSERT INTO {quote(AuditEvent._meta.db_table)} ({columns}) VALUES ({values}) "
        "RETURNING set_config('synchronous_commit', 'off', true)"
    )


def record_call_view(*, action, conversation, request=None):
    """A view of one call's conversation (analytics.selectors.conversation's document)."""
    return record(
        action=action,
        object_type="call",
        object_id=conversation["call_sid"],
        campaign_id=conversation["campaign_id"],
        detail={"lead_id": conversation["lead"]["id"]},
        request=request,
    )


# Receivers (connected in VoiceagentConfig.ready).


def on_logged_in(sender, request, user, **kwargs):
    record(
        action=AuditAction.LOGIN, actor=user, object_type="user", object_id=user.pk, request=request
    )


def on_login_failed(sender, credentials, request=None, **kwargs):
    # Never the password: only the name that was tried.
    username = str(credentials.get("username", ""))[:150]
    record(action=AuditAction.LOGIN_FAILED, actor_username=username, request=request)


def on_admin_log_entry(sender, instance, created, **kwargs):
    """Every change made in the admin (Django writes a LogEntry for it)."""
    if not created:
        return
    record(
        action=AuditAction.ADMIN_CHANGE,
        actor=instance.user,
        object_type=instance.content_type.model if instance.content_type_id else "",
        object_id=instance.object_id or "",
        detail={"change": ADMIN_FLAGS.get(instance.action_flag, str(instance.action_flag))},
    )
