"""The one JSON error shape, and the handlers that turn every failure into it."""

import itertools
import sys

from flask import current_app, has_request_context, request
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from todo.credentials import HashingBusy
from todo.representations import output_json
from todo.store import DuplicateUser, NoSuchNeighbour, NoSuchUser, StoreUnavailable, VersionMismatch

# The articles' phrases stand exactly; the rest follow their style.
PHRASES = {
    400: "Bad request",
    401: "Unauthorized access",
    404: "Not found",
    403: "Forbidden",
    405: "Method not allowed",
    409: "Conflict",
    412: "Precondition failed",
    413: "Payload too large",
    415: "Unsupported media type",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}

# Detail for failures raised by Flask and Werkzeug themselves (their own
# descriptions speak of browsers and HTML pages).
MESSAGES = {
    405: "The method is not allowed for this URL; the Allow header lists the ones that are.",
    413: "The request body is larger than the server accepts.",
    503: "The service is unavailable; try again shortly.",
}

# Headers a Werkzeug exception carries that describe its HTML page, not the error.
_BODY_HEADERS = frozenset(("content-type", "content-length"))


class ApiError(HTTPException):
    """An HTTP error raised by our own code, with its message for the client."""

    def __init__(self, status, message=None, error=None, headers=None):
        super().__init__()
        self.code = status
        self.message = message
        self.error = error
        self.headers = headers or {}


PROBLEM_JSON = "application/problem+json"
# An error body names at most this many fields; "error_count" then says how many
# there were (a body of 100,000 unknown members must not get a 2 MB answer).
FIELD_ERRORS_SHOWN = 20


def allowed(methods):
    """The Allow header for ``methods``: sorted, since Werkzeug and Flask list them from
    a set, whose order changes from one process to the next."""
    return ", ".join(sorted(methods))


def error_response(status, message=None, error=None, headers=None):
    """Make the error response for ``status``: ``{"error": phrase, "message": detail}``.

    A client that prefers application/problem+json gets the same error as an
    RFC 9457 document instead: type, title, status, detail, and ``errors``
    (field -> message) where the detail is per field. Either lists the first
    FIELD_ERRORS_SHOWN field errors, with ``error_count`` when there were more.
    """
    phrase = error or PHRASES.get(status) or HTTP_STATUS_CODES.get(status, "Error")
    count = len(message) if isinstance(message, dict) else 0
    if count > FIELD_ERRORS_SHOWN:
        message = dict(itertools.islice(message.items(), FIELD_ERRORS_SHOWN))
    problem = wants_problem_details()
    if problem:
        body = {"type": "about:blank", "title": phrase, "status": status}
        if isinstance(message, dict):
            body["detail"] = "Some inputs are not valid; see errors." \
                if count <= FIELD_ERRORS_SHOWN else \
                f"{count} inputs are not valid; errors lists the first {FIELD_ERRORS_SHOWN}."
            body["errors"] = message
        elif message is not None:
            body["detail"] = message
    else:
        body = {"error": phrase}
        if message is not None:
            body["message"] = message
    if count > FIELD_ERRORS_SHOWN:
        body["error_count"] = count
    response = output_json(body, status, headers)
    if problem:
        response.mimetype = PROBLEM_JSON
    # The error's shape depends on Accept: caches must not serve one for the other.
    response.vary.add("Accept")
    return response


def wants_problem_details():
    """Whether this request's Accept header prefers application/problem+json."""
    return has_request_context() and request.accept_mimetypes.best_match(
        ("application/json", PROBLEM_JSON)) == PROBLEM_JSON


def _account_gone(exc):
    # The account was deleted while this request ran: the credentials name nobody now.
    message = "The account these credentials name no longer exists."
    if current_app.config.get("AUTH_FAILURE_STATUS") == 403:
        return error_response(403, message, error=PHRASES[401])   # as todo.auth answers
    return error_response(401, message,
                          headers={"WWW-Authenticate": 'Basic realm="Authentication Required"'})


def _store_unavailable(exc):
    current_app.logger.warning("store unavailable: %s", exc)
    # The store says which trouble it is: busy, unreachable, unopenable, failing.
    return error_response(503, exc.reason, headers={"Retry-After": "5"})


# What the store's and the password hasher's exceptions mean to a client: the one
# place they become statuses, so that no view or decorator catches them.
STATUS_OF = {
    # If-Match named another version than the stored one (todo.conditional).
    VersionMismatch: lambda exc: error_response(
        412, "The task has changed since you read it: GET it again, and send its new ETag "
             "in If-Match"),
    DuplicateUser: lambda exc: error_response(409, {"username": "Already taken"}),
    # A move's other task is not one of the caller's (todo.resources.TaskMoveAPI): as
    # for any task that is not yours, a 404, whose message names the field.
    NoSuchNeighbour: lambda exc: error_response(404, {exc.side: "No such task of yours"}),
    StoreUnavailable: _store_unavailable,
    NoSuchUser: _account_gone,
    # Every password-hashing slot of this process stayed taken (todo.credentials).
    HashingBusy: lambda exc: error_response(
        503, "The server is busy checking passwords; try again shortly.",
        headers={"Retry-After": "1"}),
}


def response_for(exc):
    """Turn any exception raised while handling a request into an error response."""
    if isinstance(exc, ApiError):
        return error_response(exc.code, exc.message, exc.error, exc.headers)
    if isinstance(exc, HTTPException):
        if exc.response is not None:
            return exc.response   # flask.abort(response): the answer is made already (304)
        # flask_restful.abort(400, message=...) leaves its detail in .data.
        data = getattr(exc, "data", None) or {}
        headers = [(k, allowed(v.split(", ")) if k == "Allow" else v)
                   for k, v in exc.get_headers() if k.lower() not in _BODY_HEADERS]
        return error_response(exc.code, data.get("message", MESSAGES.get(exc.code)),
                              headers=headers)
    for kind in type(exc).__mro__:
        if kind in STATUS_OF:
            return STATUS_OF[kind](exc)
    # A bug: log it with its traceback, and tell the client nothing about it.
    current_app.log_exception(sys.exc_info() if sys.exc_info()[1] is exc
                              else (type(exc), exc, exc.__traceback__))
    return error_response(500)


def init_app(app):
    """Answer every failure outside the API's resources (the web client's page, its files)
    with the same JSON error; the Api's handle_error answers those inside."""
    app.register_error_handler(Exception, response_for)
