"""Who is calling: the HTTPAuth object, its callbacks, and the answer to failures."""

from flask import current_app
from flask_httpauth import HTTPBasicAuth

from todo.credentials import check_password
from todo.errors import PHRASES, ApiError, error_response

# The realm the first article's curl session shows.
basic_auth = HTTPBasicAuth(realm="Authentication Required")


@basic_auth.verify_password
def verify_password(username, password):
    """Return the user whose credentials these are, or None."""
    if not username:
        return None   # no or unreadable credentials: nothing to look up, nothing to time
    user = current_app.extensions["todo.store"].get_user(username)
    if user is None:
        check_password(None, password)   # as slow as a wrong password
        return None
    if current_app.extensions["todo.credentials"].verify(user, password):
        return user
    return None


@basic_auth.error_handler
def auth_error(status):
    """Answer a failed login with the JSON error (401 and a challenge, or 403 if configured)."""
    if status == 401 and current_app.config["AUTH_FAILURE_STATUS"] == 403:
        # The article's trick: without a challenge browsers show no login dialog.
        # Raised rather than returned, because Flask-HTTPAuth adds a challenge
        # to whatever its error handler returns.
        raise ApiError(403, error=PHRASES[401])
    return error_response(status)


def current_user():
    """Return the authenticated user of this request."""
    return basic_auth.current_user()
