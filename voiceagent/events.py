"""Domain events of the call domain, published once after commit; live updates and metrics listen.

Receivers get `call` (a CallSession, fresh from the database), `changes` (a dict of what the
event changed: {"status": ..., "stage": ..., "turn": ConversationTurn, ...}) and `ended` (bool).
"""

from django.db import transaction
from django.dispatch import Signal

call_changed = Signal()
call_ended = Signal()
export_progress = Signal()


def publish_call_change(*, call, changes, ended=False):
    """Announce a call change after the surrounding transaction commits (never for a rollback)."""

    def send():
        call_changed.send(sender=type(call), call=call, changes=changes, ended=ended)
        if ended:
            call_ended.send(sender=type(call), call=call, changes=changes)

    transaction.on_commit(send, robust=True)


def publish_export_progress(*, job):
    transaction.on_commit(lambda: export_progress.send(sender=type(job), job=job), robust=True)
