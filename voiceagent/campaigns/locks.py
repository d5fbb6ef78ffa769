"""The order in which writers lock campaigns, leads and calls (PostgreSQL row locks), and
`lock_leads`, which takes many leads in it.

Every writer takes these rows in this order, each kind in the order named, so that of two
writers only one ever waits for the other, never both for each other (a deadlock, which
PostgreSQL breaks by aborting one of them: ingestion retries, a manager's edit would fail):

1. a campaign, FOR NO KEY UPDATE: an edit of it (`services.update_campaign`, the admin's form),
   a lead import into it;
2. leads, FOR NO KEY UPDATE, in id order: an ingestion batch's (`ingestion.bulk.lock_instances`),
   and every statement updating many leads takes them first with `lock_leads` (rescoring a
   campaign or every lead, an import's merge, DNC flags in bulk), since an UPDATE locks its
   rows in whatever order its plan reads them;
3. calls, FOR NO KEY UPDATE, in call_sid order (an ingestion batch);
4. the rows hanging off those: follow-ups, turns, rollup and totals rows, each kind by its own
   rule (analytics/rollups/totals.py).
An ingestion batch takes its campaigns' rollup locks (advisory, analytics/rollups/locks.py)
before all of these.

FOR NO KEY UPDATE, not FOR UPDATE: none of these writers changes a key (an id, a call_sid), so
the weaker mode serialises the writers of one row all the same, and does not conflict with the
FOR KEY SHARE lock that the foreign-key check of an insert takes on the row it references. With
FOR UPDATE, a batch holding its leads blocked every follow-up or rollup row inserted for them
meanwhile; and a campaign edit holding its campaign FOR UPDATE while rescoring waited for a
batch's lead while the batch, inserting a call of that campaign, waited for the campaign.
A draft campaign's deletion still takes FOR UPDATE (its DELETE would anyway). An erasure takes
its lead and every lead sharing its number in one id-ordered statement first, as ingestion does.
"""

from django.db import connection


def lock_leads(leads):
    """Lock the leads of `leads` (a Lead queryset) FOR NO KEY UPDATE in id order, in one
    statement, until the transaction ends. Nothing on SQLite, where one writer at a time runs."""
    if connection.vendor != "postgresql":
        return
    query = leads.order_by("pk").select_for_update(no_key=True, of=("self",)).values("pk").query
    sql, params = query.get_compiler(connection=connection).as_sql()
    # Counted, so that the ids are not sent back: only their locks are wanted.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({sql}) AS locked", params)
