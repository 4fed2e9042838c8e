"""The Authorization header, read strictly (RFC 9110 §11.6.2, RFC 7617, RFC 6750).

Flask-HTTPAuth reads the header leniently, as it must to serve many kinds of
app: its Basic parser takes any scheme (``Foo <base64>`` logs in), drops
characters that are not base64, and MultiAuth matches ``Bearer`` only in that
exact case. This module says what was really presented, so that the login
callbacks can tell a wrong credential (which counts against the throttle)
from a missing or garbled one (a plain 401, never counted, no hash spent).
Nothing here knows of Flask.
"""

import binascii
import re
from typing import NamedTuple

# token68 (RFC 9110 §11.2): what may follow the scheme of Basic and Bearer.
_TOKEN68 = re.compile(r"[A-Za-z0-9\-._~+/]+=*")


class Presented(NamedTuple):
    """A credential as sent: ``scheme`` is "basic" (with username and password) or "bearer" (token)."""

    scheme: str
    username: str = None
    password: str = None
    token: str = None


def presented(header):
    """Return the credential an Authorization header value carries, or None if it is missing,
    of another scheme, or not well formed."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    scheme, value = scheme.lower(), value.strip()   # scheme names are case-insensitive
    if not _TOKEN68.fullmatch(value):
        return None
    if scheme == "bearer":
        return Presented("bearer", token=value)
    if scheme != "basic":
        return None
    try:
        decoded = binascii.a2b_base64(value, strict_mode=True)
    except binascii.Error:
        return None
    # Strict mode still takes surplus "=" after a complete quantum and pad bits that
    # are not zero: only the one encoding of the decoded bytes is base64 (RFC 4648).
    if binascii.b2a_base64(decoded, newline=False) != value.encode("ascii"):
        return None
    username, colon, password = decoded.partition(b":")
    if not colon:
        return None
    try:
        return Presented("basic", username.decode(), password.decode())
    except UnicodeDecodeError:
        # RFC 7617 leaves the charset to the server; Flask-HTTPAuth falls back to
        # latin-1, which no valid username is spelled in, so such a login fails.
        return Presented("basic", username.decode("latin-1"), password.decode("latin-1"))
