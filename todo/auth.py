"""Who is calling: the HTTPAuth objects, their callbacks, and the answer to failures.

Every protected route takes HTTP Basic credentials (the articles' clients) or
``Authorization: Bearer <token>`` (from POST /tokens), through MultiAuth.
"""

import hashlib
import secrets
import time
from functools import wraps

import flask_httpauth
from flask import current_app, g, request
from flask_httpauth import HTTPBasicAuth, HTTPTokenAuth

from todo.credentials import check_password
from todo.errors import PHRASES, ApiError, error_response


class MultiAuth(flask_httpauth.MultiAuth):
    """flask_httpauth.MultiAuth with each scheme's wrapper of a view built once.

    Flask-HTTPAuth's picks the scheme for a request, then builds that scheme's
    login_required wrapper around the view again, on every request.
    """

    def login_required(self, f=None, role=None, optional=None):
        def decorate(view):
            main_view = self.main_auth.login_required(role=role, optional=optional)(view)
            others = [(auth, auth.login_required(role=role, optional=optional)(view))
                      for auth in self.additional_auths]

            @wraps(view)
            def decorated(*args, **kwargs):
                if not self.main_auth.is_compatible_auth(request.headers):
                    for auth, other_view in others:
                        if auth.is_compatible_auth(request.headers):
                            return other_view(*args, **kwargs)
                return main_view(*args, **kwargs)
            return decorated
        return decorate(f) if f else decorate

    def current_user(self):
        # Where login_required keeps the user; one look at g instead of two.
        return g.get("flask_httpauth_user")


class BasicAuth(HTTPBasicAuth):
    """HTTPBasicAuth for an app whose verify_password checks the password itself."""

    def get_auth_password(self, auth):
        # Flask-HTTPAuth looks up a stored password for every request, and with a
        # verify_password callback never uses it: skip the lookup.
        return None


# The realm the first article's curl session shows.
basic_auth = BasicAuth(realm="Authentication Required")
token_auth = HTTPTokenAuth(scheme="Bearer", realm="Authentication Required")
# Basic first: a request with neither is challenged for Basic, as in the articles.
multi_auth = MultiAuth(basic_auth, token_auth)


def _refuse_throttled(extensions, username=None):
    """Answer 429 instead of checking a login from where too many have failed."""
    throttle = extensions["todo.throttle"]
    if throttle is not None:
        wait = throttle.retry_after(request.remote_addr or "-", username)
        if wait:
            raise ApiError(429, "Too many failed logins; try again later",
                           headers={"Retry-After": str(wait)})


@basic_auth.verify_password
def verify_password(username, password):
    """Return the user whose credentials these are, or None."""
    extensions = current_app.extensions
    _refuse_throttled(extensions, username)
    if not username:
        return None   # no or unreadable credentials: nothing to look up, nothing to time
    user = extensions["todo.store"].get_user(username)
    if user is None:
        check_password(None, password)   # as slow as a wrong password
        return None
    if extensions["todo.credentials"].verify(user, password):
        return user
    return None


@token_auth.verify_token
def verify_token(token):
    """Return the user of an unexpired, unrevoked token, in one store lookup, or None."""
    extensions = current_app.extensions
    _refuse_throttled(extensions)
    if not token:
        return None
    return extensions["todo.store"].get_token_user(token_hash(token), time.time())


def auth_error(status):
    """Answer a failed login with the JSON error (401 and a challenge, or 403 if configured)."""
    throttle = current_app.extensions["todo.throttle"]
    if status == 401 and throttle is not None:
        throttle.failed(request.remote_addr or "-", claimed_username())
    if status == 401 and current_app.config["AUTH_FAILURE_STATUS"] == 403:
        # The article's trick: without a challenge browsers show no login dialog.
        # Raised rather than returned, because Flask-HTTPAuth adds a challenge
        # to whatever its error handler returns.
        raise ApiError(403, error=PHRASES[401])
    return error_response(status)


# Each adds its own challenge (Basic or Bearer) to what auth_error returns.
basic_auth.error_handler(auth_error)
token_auth.error_handler(auth_error)


def current_user():
    """Return the authenticated user of this request."""
    return multi_auth.current_user()


def new_token():
    """Return a fresh random token (256 bits) and the hash under which it is stored."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token):
    """Hash a token for storage: SHA-256 suffices, as the token has 256 bits of entropy.

    A slow hash (scrypt) protects guessable passwords; nobody can guess a
    random 256-bit token, so a fast hash keeps each request to one lookup.
    """
    return hashlib.sha256(token.encode()).hexdigest()


def bearer_token():
    """Return the bearer token this request was authenticated with, if any."""
    auth = token_auth.get_auth()
    return auth.token if auth is not None else None


def basic_only(view):
    """Refuse tokens: for issuing tokens, which must take the password itself."""
    return basic_auth.login_required(view)


def claimed_username():
    """The username in this request's Basic credentials (not yet verified), or None.

    Read as Flask-HTTPAuth reads it for verify_password, so that a failure is
    counted against the same name the next login is checked against.
    """
    auth = basic_auth.get_auth() if basic_auth.is_compatible_auth(request.headers) else None
    return auth.username if auth is not None else None
