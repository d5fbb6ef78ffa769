"""Every error answer of the project: one DRF exception handler, one set of problem types.

An API error is JSON `{"detail": "<one sentence naming the problem>"}`, with `errors` when it
names fields or events and `conflicts` when events conflict:

- field errors (a DRF `ValidationError`, a bad filter or query parameter) → 400,
  `{"detail": "Invalid input: field: message; ...", "errors": {field: [messages]}}`;
- a domain rule broken (`RuleViolation`) or a refused file (`FileRejected`) → 400 `{"detail"}`;
- invalid call events (`InvalidEvents`) → 400, `{"detail": "Invalid input: [index].field:
  message; ...", "errors": [{"index", "field", "message"}]}` (a problem of the whole body, such
  as malformed JSON, is its own message: `{"detail": "Malformed JSON: ...", "errors": [...]}`);
- an event_id reused for other content (`ConflictingEvents`) → 409 `{"detail", "conflicts"}`;
- a JSON body over the limit (`voiceagent.web.parsers.BodyTooLarge`) → 413 `{"detail"}`, on
  ingestion a 400 like any invalid body; the database away or locked → 503 with
  `Retry-After` (`DatabaseUnavailableMiddleware` answers the same for non-DRF views and pages).

A path under the API that matches no route (`/analytics/campaigns/abc/metrics`, an id that is
not a number) is resolved by no DRF view, so without the handlers below it would get Django's
HTML 404: the contract says every API error is JSON.
"""

import logging
import sqlite3

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from voiceagent.campaigns.services import RuleViolation
from voiceagent.ingestion.services import ConflictingEvents, InvalidEvents
from voiceagent.lead_import.files import FileRejected

logger = logging.getLogger(__name__)

API_PREFIXES = ("/api/", "/analytics/", "/dashboard/", "/exports/jobs", "/exports/campaigns/")
API_PREFIXES += ("/health", "/metrics", "/webhooks/")

UNAVAILABLE_MESSAGE = "The database is unavailable for a moment; retry shortly."
RETRY_AFTER_SECONDS = 5
# The database answered but a lock or a concurrent transaction won (deadlock, serialization
# failure, lock not available): worth retrying at once rather than in RETRY_AFTER_SECONDS.
BUSY_SQLSTATES = {"40P01", "40001", "55P03"}


def is_api_path(path):
    return path.startswith(API_PREFIXES)


class Problem(APIException):
    """An error answer: `detail`, and named lists (`errors`, `conflicts`) beside it."""

    def __init__(
        self, detail, *, status_code=status.HTTP_400_BAD_REQUEST, retry_after=None, **lists
    ):
        super().__init__(detail)
        self.status_code = status_code
        self.lists = lists
        self.wait = retry_after  # DRF's handler turns `wait` into the Retry-After header


def rejected_events(errors):
    """Invalid events, each {"index", "field", "message"}; a body problem has index None."""
    parts = [
        problem["message"]
        if problem["field"] == "body"
        else f"{_event_path(problem)}: {problem['message']}"
        for problem in errors
    ]
    named = any(problem["field"] != "body" for problem in errors)
    detail = ("Invalid input: " if named else "") + "; ".join(parts)
    return Problem(detail, errors=errors)


def _event_path(problem):
    return (
        problem["field"] if problem["index"] is None else f"[{problem['index']}].{problem['field']}"
    )


def conflicting_events(conflicts):
    detail = "Conflict: " + "; ".join(conflict["message"] for conflict in conflicts)
    return Problem(detail, status_code=status.HTTP_409_CONFLICT, conflicts=conflicts)


def database_unavailable(exc):
    sqlstate = getattr(exc.__cause__, "sqlstate", None)
    retry_after = 1 if sqlstate in BUSY_SQLSTATES else RETRY_AFTER_SECONDS
    return Problem(
        UNAVAILABLE_MESSAGE,
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        retry_after=retry_after,
    )


def as_problem(exc):
    """The problem type of a domain exception, or the exception itself."""
    if isinstance(exc, (RuleViolation, FileRejected)):
        return Problem(exc.detail)
    if isinstance(exc, InvalidEvents):
        return rejected_events(exc.errors)
    if isinstance(exc, ConflictingEvents):
        return conflicting_events(exc.conflicts)
    if is_database_unavailable(exc):
        logger.warning("database unavailable: %s", exc)
        return database_unavailable(exc)
    return exc


# PostgreSQL's words for "not reachable right now": connection exceptions (class 08), the
# server shutting down or starting (57P01-57P03), too many connections (53300).
UNAVAILABLE_SQLSTATES = {"57P01", "57P02", "57P03", "53300"}


def is_database_unavailable(exc):
    """True for a database that is away or busy (come back later: 503); False for an error of
    ours that happens to be an OperationalError (SQLite's "no such column"), which must stay a
    500 with its traceback rather than hide behind "retry shortly"."""
    if isinstance(exc, InterfaceError):
        return True
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    if isinstance(cause, sqlite3.Error):
        return any(words in str(cause) for words in ("database is locked", "unable to open"))
    sqlstate = getattr(cause, "sqlstate", None)
    return (
        sqlstate is None  # psycopg: no answer at all (refused, reset, timed out)
        or sqlstate.startswith("08")
        or sqlstate in UNAVAILABLE_SQLSTATES
        or sqlstate in BUSY_SQLSTATES
    )


def exception_handler(exc, context):
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: every DRF view's errors, in the shapes above."""
    exc = as_problem(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, Problem):
        response.data = {"detail": exc.detail, **exc.lists}
    elif isinstance(response.data, (dict, list)) and not _has_detail(response.data):
        response.data = {"detail": invalid_input_detail(response.data), "errors": response.data}
    return response


def _has_detail(data):
    return isinstance(data, dict) and "detail" in data


def invalid_input_detail(errors):
    """The detail of field errors, `Invalid input: name: message; other.name: message`,
    from DRF's (nested) error structure."""
    parts = [f"{path}: {message}" if path else message for path, message in _field_messages(errors)]
    return "Invalid input: " + "; ".join(parts)


def _field_messages(errors, path=""):
    if isinstance(errors, dict):
        for name, value in errors.items():
            name = "" if name == api_settings.NON_FIELD_ERRORS_KEY else str(name)
            yield from _field_messages(value, f"{path}.{name}" if path and name else path or name)
    elif isinstance(errors, list) and all(isinstance(item, str) for item in errors):
        yield path, " ".join(errors)
    elif isinstance(errors, list):
        for index, item in enumerate(errors):
            if item:
                yield from _field_messages(item, f"{path}[{index}]")
    else:
        yield path, str(errors)


def page_not_found(request, exception):
    if is_api_path(request.path):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if is_api_path(request.path):
        return JsonResponse({"detail": "Server error."}, status=500)
    return defaults.server_error(request)


def bad_request(request, exception):
    if is_api_path(request.path):
        return JsonResponse({"detail": "Bad request."}, status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if is_api_path(request.path):
        return JsonResponse({"detail": "You do not have permission to do this."}, status=403)
    return defaults.permission_denied(request, exception)


class DatabaseUnavailableMiddleware:
    """A request that finds the database away (restarting, failing over, refusing connections)
    outside a DRF view's handling (authentication, pages, plain views) answers 503 with
    `Retry-After` instead of a 500: the client is told to come back, the error is not ours.
    Ingestion batches are one transaction each, so nothing was half stored and the agent resends
    the same batch."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_database_unavailable(exception):
            return None
        logger.warning("database unavailable on %s %s: %s", request.method, request.path, exception)
        problem = database_unavailable(exception)
        if is_api_path(request.path):
            response = JsonResponse({"detail": problem.detail}, status=problem.status_code)
        else:
            response = HttpResponse(
                "<!doctype html><title>Unavailable</title><h1>Back in a moment</h1>"
                f"<p>{problem.detail}</p>",
                status=problem.status_code,
            )
        response["Retry-After"] = str(problem.wait)
        return response
