"""Who is calling: the HTTPAuth objects, their callbacks, and the answer to failures.

Every protected route takes HTTP Basic credentials (the articles' clients) or
``Authorization: Bearer <token>`` (from POST /tokens), through MultiAuth. The
callbacks read what was presented strictly (todo.authorization) and hand it to
todo.logins, which does the throttled check; a missing or garbled header is a
plain 401 that costs nothing and counts for nothing.
"""

from functools import wraps

from flask import current_app, g, request
from flask_httpauth import HTTPBasicAuth, HTTPTokenAuth, MultiAuth

from todo.authorization import presented
from todo.errors import PHRASES, ApiError, error_response
from todo.logins import Throttled

# The realm the first article's curl session shows.
basic_auth = HTTPBasicAuth(realm="Authentication Required")
token_auth = HTTPTokenAuth(scheme="Bearer", realm="Authentication Required")
# Basic first: a request with neither is challenged for Basic, as in the articles.
multi_auth = MultiAuth(basic_auth, token_auth)


def presented_credential():
    """What this request's Authorization header really carries (todo.authorization), or None."""
    return presented(request.headers.get("Authorization"))


@basic_auth.verify_password
def verify_password(username, password):
    """Return the user whose credentials these are, or None.

    MultiAuth sends here every request that is not exactly ``Bearer``, so this
    reads the header itself: another scheme, bad base64 or no colon is no
    credential at all, and ``bearer`` in any case is a token.
    """
    credential = presented_credential()
    if credential is None:
        return None
    if credential.scheme == "bearer":
        return verify_token(credential.token)
    return _login(lambda logins, address: logins.with_password(
        address, credential.username, credential.password))


@token_auth.verify_token
def verify_token(token):
    """Return the user of an unexpired, unrevoked token, in one store lookup, or None."""
    return _login(lambda logins, address: logins.with_token(address, token))


def _login(check):
    """Run the check; return the user it finds as the views see it: id and username only."""
    try:
        user = check(current_app.extensions["todo.logins"], request.remote_addr or "-")
    except Throttled as exc:
        raise ApiError(429, "Too many failed logins; try again later",
                       headers={"Retry-After": str(exc.wait)}) from None
    return None if user is None else caller(user)


def caller(user):
    """The stored ``user`` as views see it: id and username only (the hash stays here)."""
    return {"id": user["id"], "username": user["username"]}


def auth_error(status):
    """Answer a failed login with the JSON error (401 and a challenge, or 403 if configured)."""
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
    """Return the user this request acts as: a dict of its ``id`` and ``username``, or None.

    That is the authenticated user, or, for a request that login_or_public let in
    without an Authorization header, the public account.
    """
    return multi_auth.current_user() or g.get("todo_public_user")


def login_or_public(view):
    """login_required, except that with TODO_BACKEND_PUBLIC_USER set a request with no
    Authorization header acts as that account (Todo-Backend's suite and clients send none).

    Credentials, when sent, are checked as everywhere: a wrong one is still a 401.
    Each request sets or clears both marks, Flask-HTTPAuth's user (None when
    anonymous) and the public account, so none inherits the caller of an earlier
    request in the same app context.
    """
    protected = multi_auth.login_required(view)
    anonymous = multi_auth.login_required(optional=True)(view)

    @wraps(view)
    def wrapper(*args, **kwargs):
        public = current_app.extensions.get("todo.public_user")
        if public is not None and "Authorization" not in request.headers:
            g.todo_public_user = public
            return anonymous(*args, **kwargs)
        g.pop("todo_public_user", None)
        return protected(*args, **kwargs)
    return wrapper


def bearer_token():
    """Return the bearer token this request carries, if any."""
    credential = presented_credential()
    return credential.token if credential is not None and credential.scheme == "bearer" else None


def password_required(view):
    """Refuse a bearer token where the account's own password must be shown (Basic).

    For changes a stolen token must not make: a new password, or deleting the
    account. Stack it inside the login: the password was checked by then.
    """
    @wraps(view)
    def wrapper(*args, **kwargs):
        credential = presented_credential()
        if credential is None or credential.scheme != "basic":
            raise ApiError(403, "This change needs the account's current password: "
                                "send it with Basic credentials, not a token")
        return view(*args, **kwargs)
    return wrapper
