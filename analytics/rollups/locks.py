"""Per-campaign locks between the writers of the rollups and their rebuild, on PostgreSQL.

A rebuild recounts one campaign from raw rows; a writer adds new − old of its calls'
contributions. Writers take the campaigns they move in shared mode, the rebuild takes its
campaign in exclusive mode before it reads anything: writers never wait for each other, and a
rebuild of one campaign never waits for nor blocks the writers of another. For one campaign, a
writer holding its lock is waited for and its commit is seen by the recount; a later one waits
for the rebuild's commit, then adds its new − old to a recount that saw its calls as they were
before it (uncommitted). None is lost or counted twice.

Where a writer takes them matters. Ingestion takes its batch's campaigns first, after reading
the log (which a rebuild neither reads nor references) and before any lock of a lead or call
or any row of the log: a batch waiting for a rebuild then holds nothing the rebuild may wait
for (the rebuild's
funnel insert checks its foreign key to the batch's leads, FOR KEY
SHARE, which their FOR NO KEY UPDATE leaves alone; the row locks' own order is
voiceagent/campaigns/locks.py). The ORM hooks lock no lead and take them just before their
upsert (writer.apply_changes).

Both are transaction-level advisory locks (`pg_advisory_xact_lock`), released at commit or
rollback, in the two-int form under ROLLUP_LOCK_NAMESPACE so that no other advisory lock of the
database can collide with them. Elsewhere (SQLite, one writer at a time) they do nothing.
"""

from django.db import connection

from voiceagent.prepared import prepared_cursor

# The first key of the two-int advisory lock form: b"roll" read as a big-endian int4.
ROLLUP_LOCK_NAMESPACE = 0x726F6C6C
_INT4 = 2**32


def campaign_lock_key(campaign_id):
    """The second key of a campaign's lock: its id as an int4 (ids past 2**31 wrap around, and two
    campaigns sharing a key only wait for each other more often)."""
    return (campaign_id + _INT4 // 2) % _INT4 - _INT4 // 2


def lock_campaigns_for_writing(campaign_ids):
    """Shared locks on these campaigns until the transaction ends, in key order (one statement;
    nothing without campaigns). Waits only for a rebuild of one of them."""
    if connection.vendor != "postgresql" or not campaign_ids:
        return
    keys = sorted({campaign_lock_key(campaign_id) for campaign_id in campaign_ids})
    with prepared_cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock_shared(%s, k) FROM unnest(%s::integer[]) AS k ORDER BY k",
            [ROLLUP_LOCK_NAMESPACE, keys],
        )


def lock_campaign_for_rebuild(campaign_id):
    """The exclusive lock on a campaign until the transaction ends: waits for its writers that
    hold theirs, and makes the later ones wait for the commit."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, %s)",
            [ROLLUP_LOCK_NAMESPACE, campaign_lock_key(campaign_id)],
        )
