"""Throttling of failed logins, per client address and per username (Flask-Limiter).

Only failures count: a request is charged to the limits when its answer is a
401, so a user who logs in correctly is never slowed down, while a burst of
guesses from one address, or at one username, is answered 429 with
Retry-After until the window has passed.
"""

import math
import time

from flask import request
from flask_limiter import ApplicationLimit, Limiter

from todo.auth import claimed_username
from todo.errors import error_response

# Routes that take no credentials cannot fail a login, and are never throttled.
_OPEN_ENDPOINTS = frozenset(("openapi", "docs", "docs_asset", "users"))


def _failed_login(response):
    return response.status_code == 401


def _exempt():
    return request.endpoint in _OPEN_ENDPOINTS or request.method == "OPTIONS"


def _too_many(request_limit):
    retry_after = max(1, math.ceil(request_limit.reset_at - time.time()))
    return error_response(429, "Too many failed logins; try again later",
                          headers={"Retry-After": str(retry_after)})


def init_app(app):
    """Give the app its own limiter, unless TODO_LOGIN_FAILURES is empty (off)."""
    failures = app.config["LOGIN_FAILURES"]
    if not failures:
        return None
    limits = [
        ApplicationLimit(failures, key_function=lambda: request.remote_addr or "-",
                         scope="login-failures-by-address", deduct_when=_failed_login,
                         exempt_when=_exempt, on_breach=_too_many),
        ApplicationLimit(failures, key_function=lambda: claimed_username() or "",
                         scope="login-failures-by-username", deduct_when=_failed_login,
                         exempt_when=lambda: _exempt() or not claimed_username(),
                         on_breach=_too_many),
    ]
    # The default storage is this process's memory: with several worker processes
    # each counts on its own; TODO_RATELIMIT_STORAGE_URI (e.g. redis://) shares them.
    return Limiter(lambda: request.remote_addr or "-", app=app, application_limits=limits,
                   storage_uri=app.config["RATELIMIT_STORAGE_URI"], headers_enabled=False)
