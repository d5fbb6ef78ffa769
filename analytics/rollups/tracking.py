"""Keeps the rollups right when calls, turns or objections are saved or deleted one by one
through the ORM (the admin, scripts, tests' factories): each such change re-reads the call and
moves its contribution. Ingestion writes in bulk (no signals) and applies its own changes.

A change to a call is bracketed by a pre_* signal (the call's contribution before) and a post_*
signal (after). Deleting a call sends every pre_delete of its turns and objections before any
row goes, so brackets nest: the contribution before is read at the first pre_* and each post_*
moves the tables from the last contribution applied.
"""

import threading
from contextlib import contextmanager

from django.db.models.signals import post_delete, post_save, pre_delete, pre_save

from analytics.rollups.contribution import contribution, stored_inputs
from analytics.rollups.writer import apply_changes
from voiceagent.models import CallSession, ConversationTurn, Objection

_local = threading.local()


def _open():
    if not hasattr(_local, "open"):
        _local.open, _local.suspended = {}, 0
    return _local.open


def _current(call_id):
    inputs = stored_inputs([call_id]).get(call_id)
    return contribution(*inputs) if inputs else {}


def before_change(call_id):
    brackets = _open()
    if _local.suspended or call_id is None:
        return
    if call_id in brackets:
        brackets[call_id][0] += 1
    else:
        brackets[call_id] = [1, _current(call_id)]


def after_change(call_id):
    brackets = _open()
    if _local.suspended or call_id is None:
        return
    depth, before = brackets.pop(call_id, [1, {}])
    after = _current(call_id)
    apply_changes([(before, after)])
    if depth > 1:
        brackets[call_id] = [depth - 1, after]


@contextmanager
def suspended():
    """No tracking inside (a bulk removal whose rollups go with their campaigns)."""
    _open()
    _local.suspended += 1
    try:
        yield
    finally:
        _local.suspended -= 1


def _call_id(instance):
    return instance.pk if isinstance(instance, CallSession) else instance.call_id


def _before(sender, instance, raw=False, **kwargs):
    if isinstance(instance, CallSession) and instance._state.adding:
        return  # a new call had no contribution
    before_change(_call_id(instance))


def _after(sender, instance, raw=False, **kwargs):
    after_change(_call_id(instance))


def connect():
    for model in (CallSession, ConversationTurn, Objection):
        uid = f"analytics.rollups.{model.__name__}"
        pre_save.connect(_before, sender=model, dispatch_uid=f"{uid}.pre_save")
        post_save.connect(_after, sender=model, dispatch_uid=f"{uid}.post_save")
        pre_delete.connect(_before, sender=model, dispatch_uid=f"{uid}.pre_delete")
        post_delete.connect(_after, sender=model, dispatch_uid=f"{uid}.post_delete")
