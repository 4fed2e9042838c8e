"""The access log: one line per request, from the app, and the request id that ties lines together.

A request keeps the id its ``X-Request-ID`` header brings when that is well
formed (a proxy's or a client's), else gets a new one; the response sends it
back, and every line logged while the request runs carries it (todo.logs).
The line names the route template, never the path: no ids, no query string.
No header, body or credential is ever in it.
"""

import logging
import re
import secrets
import time

from flask import g, request

from todo.auth import current_user

logger = logging.getLogger("todo.access")
# Bounded, and only characters that need no escaping in a header, a log line or a URL.
REQUEST_ID = re.compile(r"[A-Za-z0-9._~:+/=-]{1,128}")
HEADER = "X-Request-ID"


def start():
    """Give the request its id and note its start (the app's first before_request hook)."""
    presented = request.headers.get(HEADER, "")
    g.request_id = presented if REQUEST_ID.fullmatch(presented) else secrets.token_hex(16)
    g.access_started = time.perf_counter()


def finish(response):
    """Send the request id back and log the request's line (the app's last after_request hook)."""
    request_id = g.get("request_id")
    if request_id is not None:
        response.headers[HEADER] = request_id
    if logger.isEnabledFor(logging.INFO):
        started = g.get("access_started")
        rule = request.url_rule
        user = current_user()
        route = rule.rule if rule is not None else None
        method = request.method[:16]   # a client's text: bounded
        logger.info("%s %s %s", method, route or "-", response.status_code, extra={
            "access": {
                "method": method,
                "route": route,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 3)
                if started is not None else None,
                "user_id": user["id"] if user else None,
                "bytes": response.content_length,
            }})
    return response


def init_app(app):
    """Make start() the first before_request hook and finish() the last after_request hook."""
    # Called before any other hook is registered: Flask runs before_request hooks
    # in order and after_request hooks in reverse, so the line sees the final response.
    app.before_request(start)
    app.after_request(finish)
