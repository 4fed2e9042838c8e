"""Throttling of failed logins, per client address and per claimed username.

Only failures count: a login that fails (a 401) is charged to its address and
to the username it claimed, so a user who logs in correctly is never slowed
down, while after a burst of guesses from one address, or at one username,
every login there is refused until the window has passed, even the right one.

The counting is the ``limits`` library's, called only where a login is checked
(todo.auth). A check costs a dictionary lookup or two per login; a limiter
wrapped around every request (Flask-Limiter) cost about 100 µs a request.
Nothing here knows of Flask: the caller says who is knocking.
"""

import math
import time

from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter


class LoginThrottle:
    """Failed-login counts per address and per username, against the same limits."""

    def __init__(self, limits, storage_uri="memory://"):
        """``limits`` is like "10/minute" (several may be joined by ";").

        The default storage is this process's memory: with several worker
        processes each counts on its own; a shared storage (redis://...) does not.
        """
        self.limits = parse_many(limits)
        self.limiter = FixedWindowRateLimiter(storage_from_string(storage_uri))

    def retry_after(self, address, username=None):
        """Return the seconds until a login from ``address`` as ``username`` may be
        tried again: 0 if it may be tried now."""
        wait = 0
        for key in self._keys(address, username):
            for limit in self.limits:
                if not self.limiter.test(limit, *key):
                    reset = self.limiter.get_window_stats(limit, *key).reset_time
                    wait = max(wait, 1, math.ceil(reset - time.time()))
        return wait

    def failed(self, address, username=None):
        """Count one failed login from ``address`` (claiming ``username``, if any)."""
        for key in self._keys(address, username):
            for limit in self.limits:
                self.limiter.hit(limit, *key)

    @staticmethod
    def _keys(address, username):
        yield "login-failures-by-address", address
        if username:
            yield "login-failures-by-username", username
