"""Export writes: the file of a small export, export jobs (create, run, expire, reap), their files.

Reliability of jobs (DESIGN.md, Celery pitfalls): the job row says which Celery task id may run
it (`task_id`). A delivery of that message claims the job and counts an attempt, whether it is
the first delivery or a redelivery after its worker died (acks_late + reject_on_worker_lost, or
Redis' visibility timeout); once EXPORT_MAX_ATTEMPTS attempts have started, the next claim fails
the job instead of looping forever. Progress writes double as a heartbeat; the reaper re-queues
a running job whose heartbeat stopped (its worker was killed before the message came back) under
a new task id, or fails it when its attempts are used up. A run that finds its job taken over
(re-queued, failed or expired meanwhile) stops without touching it.
"""

import copy
import logging
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass

import psycopg
from celery import signature
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import (
    DEFAULT_DB_ALIAS,
    InterfaceError,
    OperationalError,
    connection,
    connections,
    transaction,
)
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from analytics.periods import default_period
from exports import writers
from exports.models import ExportFormat, ExportInclude, ExportJob, ExportKind, ExportStatus
from exports.queries import copy_sql, count_rows, export_rows, source_for
from monitoring.redaction import scrub
from voiceagent.db_routers import analytics_alias, replica_caught_up
from voiceagent.events import publish_export_progress
from voiceagent.models import AuditAction, Campaign, Lead
from voiceagent.personal_data import audit

logger = logging.getLogger(__name__)

FILE_CHUNK_BYTES = 64 * 1024
# The Celery task that runs a job (exports/tasks.py), sent by name.
RUN_EXPORT_JOB_TASK = "exports.run_export_job"


@dataclass
class FileExport:
    """A file ready to send: its name, type, content as byte chunks, and size when known."""

    filename: str
    content_type: str
    chunks: Iterator[bytes]
    size: int | None = None


class JobSuperseded(Exception):
    """The job was re-queued, failed or expired while this run was writing it."""


def export_filename(*, campaign, kind, fmt, period=None, include=ExportInclude.FINISHED, day=None):
    """A safe attachment name: the slugged campaign name, the kind (`-all-calls` when canceled
    and unfinished calls are in), then the period's days, or for all time the local date."""
    name = slugify(campaign.name)[:60].strip("-") or f"campaign-{campaign.pk}"
    if kind != ExportKind.LEADS and include == ExportInclude.ALL:
        kind = f"{kind}-all-calls"
    if period is not None and kind != ExportKind.LEADS:
        when = f"{period.first.isoformat()}-to-{period.last.isoformat()}"
    else:
        when = (day or timezone.localdate()).isoformat()
    return f"{name}-{kind}-{when}.{fmt}"


def export_scope(*, kind, campaign, user, selected_ids=None, period=None, include=None):
    """The arguments of queries.base_queryset for one export: which rows `user` gets."""
    return {
        "kind": kind,
        "campaign": campaign,
        "user": user,
        "selected_ids": selected_ids,
        "period": period,
        "include": include or ExportInclude.FINISHED,
    }


# --- building files -------------------------------------------------------------------------


def _counted(rows: Iterable, progress: Callable[[int], None] | None) -> Iterator:
    if progress is None:
        yield from rows
        return
    for written, row in enumerate(rows, start=1):
        yield row
        progress(written)


# Session settings while an export query runs: no JIT (compiling the export query costs about a
# second and a half, more than it saves) and room to sort in memory. The COPY path also formats
# timestamps in the product's zone (the ORM path must not: Django reads timestamps as UTC).
EXPORT_SESSION = (("jit", "off"), ("work_mem", "64MB"))
COPY_SESSION = (("TimeZone", settings.TIME_ZONE), *EXPORT_SESSION)


@contextmanager
def _session_settings(raw_connection, values):
    """PostgreSQL session settings for the duration of the block, then the previous ones."""
    with raw_connection.cursor() as cursor:
        names = [name for name, _ in values]
        cursor.execute("SELECT " + ", ".join(["current_setting(%s)"] * len(names)), names)
        previous = list(zip(names, cursor.fetchone(), strict=True))
        _set_session(cursor, values)
    try:
        yield
    finally:
        # An aborted transaction rolls the settings back by itself.
        with suppress(Exception), raw_connection.cursor() as cursor:
            _set_session(cursor, previous)


def _set_session(cursor, values):
    placeholders = ", ".join(["set_config(%s, %s, false)"] * len(values))
    cursor.execute(f"SELECT {placeholders}", [item for pair in values for item in pair])


def _copy_chunks(raw_connection, sql, params) -> Iterator[tuple[bytes, int]]:
    """(bytes, rows) of `COPY (sql) TO STDOUT` in CSV, under COPY_SESSION settings."""
    with _session_settings(raw_connection, COPY_SESSION), raw_connection.cursor() as cursor:
        buffer, rows = bytearray(), 0
        with cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy:
            # libpq hands over COPY data one row at a time: counting reads counts rows.
            for row in copy:
                buffer += row
                rows += 1
                if len(buffer) >= FILE_CHUNK_BYTES:
                    yield bytes(buffer), rows
                    buffer.clear()
                    rows = 0
        yield bytes(buffer), rows


def export_alias():
    """Where an export reads, decided once per export: on the replica when there is one and it
    has replayed what the primary had committed when the export began (an erasure above all),
    waiting up to EXPORT_REPLICA_WAIT_SECONDS for it, else on the primary; inside a transaction
    (a test's) on its own connection, the only one that sees its rows."""
    if connection.in_atomic_block:
        return DEFAULT_DB_ALIAS
    alias = analytics_alias()
    if alias == DEFAULT_DB_ALIAS or connections[alias].vendor != "postgresql":
        return alias
    return alias if _replica_current(alias) else DEFAULT_DB_ALIAS


def _replica_current(replica):
    """replica_caught_up for an export (an alias or a connection), saying so when it is not."""
    if replica_caught_up(timeout=settings.EXPORT_REPLICA_WAIT_SECONDS, replica=replica):
        return True
    logger.warning(
        "the replica had not replayed the primary's writes after %s s (or could not be "
        "reached): the export reads on the primary",
        settings.EXPORT_REPLICA_WAIT_SECONDS,
    )
    return False


def csv_chunks(*, progress=None, using=None, **scope) -> Iterator[bytes]:
    """The CSV file of an export (`scope`: export_scope's arguments), in chunks: from COPY on
    PostgreSQL, the Python writer elsewhere; read on `using` (default: export_alias()).

    `progress(rows)` is called as rows are written. On PostgreSQL outside a transaction (the
    worker), COPY runs on a connection of its own so that progress can be written meanwhile on
    the default one (on the replica, that connection is asked again whether it has replayed:
    behind a pooler it may reach another standby); inside a transaction (a request, a test) it
    runs on the default connection to see that transaction's rows, and progress is reported
    when it is done.
    """
    scope = export_scope(**scope)
    source = source_for(scope["kind"])
    alias = using or export_alias()
    if connection.vendor != "postgresql":
        rows = export_rows(**scope, chunk_size=settings.EXPORT_CHUNK_SIZE, using=alias)
        yield from writers.iter_csv(source.columns, _counted(rows, progress))
        return
    yield writers.csv_header(source.columns)
    sql, params = copy_sql(**scope)
    own = progress is not None and not connection.in_atomic_block
    database = connections.create_connection(alias) if own else connections[alias]
    if own and alias != DEFAULT_DB_ALIAS and not _replica_current(database):
        database.close()
        database = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        database.ensure_connection()
        written = 0
        for chunk, rows in _copy_chunks(database.connection, sql, params):
            written += rows
            if own:
                progress(written)
            yield chunk
        if progress is not None and not own:
            progress(written)
    finally:
        if own:
            database.close()


def write_xlsx_file(*, out, progress=None, using=None, **scope) -> int:
    """Write the XLSX of an export (`scope`: export_scope's arguments) to `out`, read on `using`
    (default: export_alias()); its row count."""
    scope = export_scope(**scope)
    source = source_for(scope["kind"])
    alias = using or export_alias()
    rows = export_rows(**scope, chunk_size=settings.EXPORT_CHUNK_SIZE, using=alias)
    session = nullcontext()
    if connections[alias].vendor == "postgresql":
        connections[alias].ensure_connection()
        session = _session_settings(connections[alias].connection, EXPORT_SESSION)
    with session:
        return writers.write_xlsx(
            out, source.columns, _counted(rows, progress), sheet_title=source.sheet_title
        )


def file_chunks(file, *, close=True) -> Iterator[bytes]:
    try:
        while chunk := file.read(FILE_CHUNK_BYTES):
            yield chunk
    finally:
        if close:
            file.close()


def sync_max_rows(fmt):
    """The most rows an export of format `fmt` is sent as the answer itself: EXPORT_SYNC_MAX_ROWS,
    and for XLSX (written whole before its first byte leaves) EXPORT_SYNC_MAX_XLSX_ROWS too."""
    if fmt == ExportFormat.XLSX:
        return min(settings.EXPORT_SYNC_MAX_ROWS, settings.EXPORT_SYNC_MAX_XLSX_ROWS)
    return settings.EXPORT_SYNC_MAX_ROWS


def start_export(
    *, user, campaign, kind, fmt, period=None, include=ExportInclude.FINISHED, respond_async=False
) -> FileExport | ExportJob:
    """The file itself for an export of at most `sync_max_rows(fmt)` rows, else a queued job (the
    pending or running one of the same export, if the user has one); a job whatever the size with
    `respond_async` (the client's `Prefer: respond-async`).

    `period` (None: all time) and `include` pick the calls of results and transcripts."""
    scope = export_scope(kind=kind, campaign=campaign, user=user, period=period, include=include)
    if not respond_async:
        alias = export_alias()
        total = count_rows(**scope, using=alias)
    if respond_async or total > sync_max_rows(fmt):
        return create_export_job(
            user=user, campaign=campaign, kind=kind, fmt=fmt, period=period, include=include
        )
    filename = export_filename(
        campaign=campaign, kind=kind, fmt=fmt, period=period, include=include
    )
    what = {"kind": kind, "format": fmt, "rows": total, "file": filename}
    _audit(AuditAction.EXPORT_REQUESTED, user=user, campaign_id=campaign.pk, detail=what)
    _audit(AuditAction.EXPORT_DOWNLOADED, user=user, campaign_id=campaign.pk, detail=what)
    if fmt == ExportFormat.CSV:
        return FileExport(filename, writers.CONTENT_TYPES["csv"], csv_chunks(**scope, using=alias))
    # An XLSX is a zip written at close: build it in a temporary file, then send that.
    # file_chunks closes it once read; unread, it is closed when garbage-collected.
    out = tempfile.TemporaryFile()  # noqa: SIM115
    write_xlsx_file(**scope, out=out, using=alias)
    size = out.tell()
    out.seek(0)
    return FileExport(filename, writers.CONTENT_TYPES["xlsx"], file_chunks(out), size)


def open_job_file(*, job) -> FileExport:
    """The stored file of a succeeded job, read back through the storage API.

    FileNotFoundError when the storage no longer has it (deleted by hand).
    """
    _audit(
        AuditAction.EXPORT_DOWNLOADED,
        job=job,
        detail={"kind": job.kind, "format": job.format, "rows": job.rows_written},
    )
    return FileExport(
        filename=job.file.name.rsplit("/", 1)[-1],
        content_type=writers.CONTENT_TYPES[job.format],
        chunks=file_chunks(default_storage.open(job.file.name, "rb")),
        size=job.file_size,
    )


# --- jobs -----------------------------------------------------------------------------------


def _publish(job):
    # A copy: the event tells the job as it is now, even if sent after later changes to `job`.
    publish_export_progress(job=copy.copy(job))


def _enqueue(job):
    """Send the job's task after commit; a broker that refuses it fails the job, visibly."""
    task_id = job.task_id

    def send():
        try:
            # By name: exports/tasks.py imports this module, never the other way round.
            signature(RUN_EXPORT_JOB_TASK, args=[job.pk]).apply_async(task_id=task_id)
        except Exception:
            logger.exception("export job %s could not be queued", job.pk)
            _fail_if(
                job.pk,
                "The export could not be queued (the task broker did not answer); "
                "please ask for it again.",
                status=ExportStatus.PENDING,
                task_id=task_id,
            )

    transaction.on_commit(send)


def _job_fields(*, user, campaign, kind, fmt, selected_ids, period, include):
    """What makes two export jobs the same export."""
    return {
        "user": user,
        "campaign": campaign,
        "kind": kind,
        "format": fmt,
        "selected_ids": sorted(selected_ids) if selected_ids is not None else None,
        "period_from": period.first if period is not None else None,
        "period_to": period.last if period is not None else None,
        "include": include,
    }


def _active_job(fields):
    """The user's pending or running job of the same export, if any (newest first); read on the
    primary, in the transaction that would create the next one. A job pending for longer than
    EXPORT_STALE_AFTER (its message lost, say) is not handed out again: a new one is queued."""
    jobs = ExportJob.objects.using(DEFAULT_DB_ALIAS).filter(
        Q(status=ExportStatus.RUNNING)
        | Q(
            status=ExportStatus.PENDING,
            created_at__gte=timezone.now() - settings.EXPORT_STALE_AFTER,
        ),
        **{name: value for name, value in fields.items() if name != "selected_ids"},
    )
    if fields["selected_ids"] is None:
        jobs = jobs.filter(selected_ids__isnull=True)
    else:
        jobs = jobs.filter(selected_ids=fields["selected_ids"])
    return jobs.order_by("-created_at", "-id").first()


@transaction.atomic
def create_export_job(
    *, user, campaign, kind, fmt, selected_ids=None, period=None, include=ExportInclude.FINISHED
) -> ExportJob:
    """A pending job for `user`, queued to a worker once the transaction commits; or the user's
    pending or running job of the very same export, so that asking again never queues it twice.

    The user's row is locked meanwhile: two identical requests at once make one job."""
    fields = _job_fields(
        user=user,
        campaign=campaign,
        kind=kind,
        fmt=fmt,
        selected_ids=selected_ids,
        period=period,
        include=include,
    )
    list(get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk"))
    existing = _active_job(fields)
    if existing is not None:
        return existing
    job = ExportJob.objects.create(**fields, task_id=uuid.uuid4().hex, heartbeat_at=timezone.now())
    _enqueue(job)
    _publish(job)
    _audit(AuditAction.EXPORT_REQUESTED, user=user, job=job, detail={"kind": kind, "format": fmt})
    return job


def _audit(action, *, user=None, job=None, campaign_id=None, detail):
    """An audit event of an export: of its job (object) when there is one, else its campaign."""
    audit.record(
        action=action,
        actor=user,
        object_type="exportjob" if job is not None else "campaign",
        object_id=job.pk if job is not None else campaign_id,
        campaign_id=job.campaign_id if job is not None else campaign_id,
        detail=detail,
    )


def _give_up_message(attempts):
    return (
        f"The export was started {attempts} times and its worker stopped each time "
        "(killed, out of memory or over the time limit); giving up."
    )


@transaction.atomic
def _claim(*, job_id, task_id):
    """Mark the job running for this delivery; None when this delivery must not run it."""
    job = (
        ExportJob.objects.select_for_update(of=("self",))
        .select_related("campaign", "user")
        .filter(pk=job_id)
        .first()
    )
    if job is None or job.task_id != task_id:
        return None
    if job.status not in (ExportStatus.PENDING, ExportStatus.RUNNING):
        return None
    now = timezone.now()
    if job.attempts >= settings.EXPORT_MAX_ATTEMPTS:
        job.status = ExportStatus.FAILED
        job.finished_at = now
        job.error = _give_up_message(job.attempts)
        job.save()
        _publish(job)
        return None
    job.status = ExportStatus.RUNNING
    job.attempts += 1
    job.started_at = job.heartbeat_at = now
    job.progress, job.rows_written, job.error = 0, 0, ""
    job.save()
    _publish(job)
    return job


def _update_running(job, task_id, **fields):
    """Write fields of a job this run still owns; JobSuperseded if it no longer does."""
    fields["heartbeat_at"] = timezone.now()
    updated = ExportJob.objects.filter(
        pk=job.pk, status=ExportStatus.RUNNING, task_id=task_id
    ).update(**fields)
    if not updated:
        raise JobSuperseded(job.pk)
    for name, value in fields.items():
        setattr(job, name, value)
    _publish(job)


class _Progress:
    """Writes rows_written/progress (and so the heartbeat) every EXPORT_PROGRESS_EVERY rows."""

    def __init__(self, job, task_id, total):
        self.job, self.task_id, self.total = job, task_id, total
        self.every = max(1, settings.EXPORT_PROGRESS_EVERY)
        self.next_write = self.every
        self.rows = 0

    def __call__(self, rows):
        self.rows = rows
        if rows < self.next_write:
            return
        self.next_write = (rows // self.every + 1) * self.every
        # 100 is for a stored file: a running job shows at most 99.
        percent = min(99, rows * 100 // self.total) if self.total else 99
        _update_running(self.job, self.task_id, rows_written=rows, progress=percent)


def _store(job, task_id, out, rows):
    size = out.tell()
    out.seek(0)
    name = export_filename(
        campaign=job.campaign,
        kind=job.kind,
        fmt=job.format,
        period=job.period,
        include=job.include,
    )
    stored = default_storage.save(job.file.field.generate_filename(job, name), File(out, name))
    with transaction.atomic():
        current = ExportJob.objects.select_for_update().filter(pk=job.pk).first()
        if current is None or current.status != ExportStatus.RUNNING or current.task_id != task_id:
            default_storage.delete(stored)
            raise JobSuperseded(job.pk)
        now = timezone.now()
        current.file.name = stored
        current.file_size = size
        current.rows_written = rows
        current.total_rows = rows
        current.progress = 100
        current.status = ExportStatus.SUCCEEDED
        current.finished_at = current.heartbeat_at = now
        current.expires_at = now + settings.EXPORT_TTL
        current.save()
        _publish(current)
    return current


def _failure_message(exc):
    """What the user reads of a failed export: the reason, without hosts or secrets."""
    if isinstance(exc, SoftTimeLimitExceeded):
        hours = settings.CELERY_TASK_SOFT_TIME_LIMIT / 3600
        return f"The export took longer than its {hours:g} h limit; export fewer rows."
    return scrub(f"{type(exc).__name__}: {exc}")


def _fail_if(job_id, message, *, now=None, **still):
    """Fail the job if it is still as `still` says (status, task id); every failure goes
    through here, so each one is published (live page, errors_total and its alert)."""
    updated = ExportJob.objects.filter(pk=job_id, **still).update(
        status=ExportStatus.FAILED, finished_at=now or timezone.now(), error=message[:1000]
    )
    if updated:
        _publish(ExportJob.objects.get(pk=job_id))
    return updated


def _fail(job, task_id, message):
    _fail_if(job.pk, message, status=ExportStatus.RUNNING, task_id=task_id)


# Django's wrapped errors, and psycopg's own from the raw connection the COPY path reads.
DATABASE_ERRORS = (
    OperationalError,
    InterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
)


class DatabaseLost(Exception):
    """The database connection was lost while a job ran; the job row is left as it was."""


def _connection_lost(exc):
    """True when `exc` is the database going away rather than something about this query:
    SQLSTATE class 08 (connection exception) or 57P (shutdown, crash, cannot connect now), or
    a default connection that no longer answers."""
    if not isinstance(exc, DATABASE_ERRORS):
        return False
    sqlstate = getattr(exc, "sqlstate", None) or getattr(exc.__cause__, "sqlstate", None) or ""
    if sqlstate.startswith(("08", "57P")):
        return True
    return connection.connection is None or not connection.is_usable()


def run_export_job(*, job_id, task_id) -> ExportJob | None:
    """Build, store and finish one job for the delivery `task_id`; returns the job as left."""
    job = _claim(job_id=job_id, task_id=task_id)
    if job is None:
        return ExportJob.objects.filter(pk=job_id).first()
    try:
        scope = export_scope(
            kind=job.kind,
            campaign=job.campaign,
            user=job.user,
            selected_ids=job.selected_ids,
            period=job.period,
            include=job.include,
        )
        alias = export_alias()
        total = count_rows(**scope, using=alias)
        _update_running(job, task_id, total_rows=total)
        progress = _Progress(job, task_id, total)
        with tempfile.TemporaryFile() as out:
            if job.format == ExportFormat.CSV:
                for chunk in csv_chunks(**scope, progress=progress, using=alias):
                    out.write(chunk)
                rows = progress.rows
            else:
                rows = write_xlsx_file(**scope, out=out, progress=progress, using=alias)
            return _store(job, task_id, out, rows)
    except JobSuperseded:
        logger.info("export job %s was taken over; this run stops", job.pk)
        return ExportJob.objects.filter(pk=job.pk).first()
    except Exception as exc:  # SoftTimeLimitExceeded included: the job fails with the reason
        if _connection_lost(exc):
            # The connection died under us (a restart, a failover): the job cannot even be
            # marked failed, and need not be. The task retries this delivery once it is back.
            raise DatabaseLost(str(exc).strip()) from exc
        logger.exception("export job %s failed", job.pk)
        _fail(job, task_id, _failure_message(exc))
        return ExportJob.objects.filter(pk=job.pk).first()


def expire_export_jobs(*, now=None) -> int:
    """Delete the files of jobs past expires_at and mark them expired; fail jobs never started.

    Returns how many jobs expired.
    """
    now = now or timezone.now()
    expired = 0
    due = ExportJob.objects.filter(status=ExportStatus.SUCCEEDED, expires_at__lte=now)
    for job in due.only("pk", "file").iterator(chunk_size=500):
        if job.file:
            default_storage.delete(job.file.name)
        expired += ExportJob.objects.filter(pk=job.pk, status=ExportStatus.SUCCEEDED).update(
            status=ExportStatus.EXPIRED, file=""
        )
    never_started = ExportJob.objects.filter(
        status=ExportStatus.PENDING, created_at__lte=now - settings.EXPORT_TTL
    ).values_list("pk", flat=True)
    for job_id in list(never_started):
        _fail_if(
            job_id,
            "No worker started the export in time; please ask for it again.",
            now=now,
            status=ExportStatus.PENDING,
        )
    return expired


def withdraw_campaign_files(*, campaign_id, reason) -> int:
    """After an erasure: the stored files of the campaign's exports are deleted and their jobs
    marked expired; jobs running now fail (their rows may predate the erasure). Returns how many
    jobs were withdrawn. Files go once the caller's transaction commits."""
    now = timezone.now()
    jobs = ExportJob.objects.filter(campaign_id=campaign_id)
    names = list(jobs.exclude(file="").values_list("file", flat=True))
    withdrawn = jobs.filter(status=ExportStatus.SUCCEEDED).update(
        status=ExportStatus.EXPIRED, file="", expires_at=now
    )
    for job_id in jobs.filter(status=ExportStatus.RUNNING).values_list("pk", flat=True):
        withdrawn += _fail_if(job_id, reason, now=now, status=ExportStatus.RUNNING)

    def delete_files():
        for name in names:
            default_storage.delete(name)

    transaction.on_commit(delete_files)
    return withdrawn


@dataclass
class ReapResult:
    requeued: list
    failed: list


def reap_stale_export_jobs(*, now=None, stale_after=None) -> ReapResult:
    """Re-queue (or fail, attempts used up) running jobs whose heartbeat stopped."""
    now = now or timezone.now()
    stale_after = settings.EXPORT_STALE_AFTER if stale_after is None else stale_after
    result = ReapResult(requeued=[], failed=[])
    with transaction.atomic():
        stale = ExportJob.objects.select_for_update(skip_locked=True).filter(
            status=ExportStatus.RUNNING, heartbeat_at__lt=now - stale_after
        )
        for job in stale:
            if job.attempts >= settings.EXPORT_MAX_ATTEMPTS:
                job.status = ExportStatus.FAILED
                job.finished_at = now
                job.error = _give_up_message(job.attempts)
                result.failed.append(job.pk)
            else:
                # A new task id: the lost message, if Redis ever restores it, no longer runs it.
                job.status = ExportStatus.PENDING
                job.task_id = uuid.uuid4().hex
                job.progress, job.rows_written = 0, 0
                job.heartbeat_at = now
                _enqueue(job)
                result.requeued.append(job.pk)
            job.save()
            _publish(job)
    if result.requeued or result.failed:
        logger.warning("stale export jobs: requeued %s, failed %s", result.requeued, result.failed)
    return result


def create_jobs_for_selection(*, user, queryset, fmt) -> list[ExportJob]:
    """Jobs for rows picked in the admin: campaigns → their results over the period the
    campaign list shows (the default period: finished calls, as counted in its calls made);
    leads → a lead list, and calls → results, of the picked rows only (every picked call,
    whatever its status), one job per campaign they belong to."""
    if queryset.model is Campaign:
        plans = [(campaign, ExportKind.RESULTS, None) for campaign in queryset.order_by("pk")]
        period = default_period()
    else:
        period = None
        kind = ExportKind.LEADS if queryset.model is Lead else ExportKind.RESULTS
        picked = {}
        for campaign_id, pk in queryset.order_by().values_list("campaign_id", "pk"):
            picked.setdefault(campaign_id, []).append(pk)
        campaigns = Campaign.objects.in_bulk(list(picked))
        plans = [(campaigns[cid], kind, ids) for cid, ids in sorted(picked.items())]
    return [
        create_export_job(
            user=user,
            campaign=campaign,
            kind=kind,
            fmt=fmt,
            selected_ids=ids,
            period=period,
            include=ExportInclude.FINISHED if ids is None else ExportInclude.ALL,
        )
        for campaign, kind, ids in plans
    ]


def delete_job_file(sender, instance, **kwargs):
    """post_delete of ExportJob: its stored file goes too, once the deletion is committed."""
    if instance.file:
        name = instance.file.name
        transaction.on_commit(lambda: default_storage.delete(name))
