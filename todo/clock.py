"""The service's one clock, handed to everything that needs the time.

A clock is a callable returning seconds since the epoch.  create_app makes one
(the system's, unless it is given another) and hands that same one to the
token view, the login checks, the credential cache and the throttle, so that a
test moves time for all of them at once instead of patching the time module.
"""

import time


def system_clock():
    """Return the system's time now, in seconds since the epoch."""
    return time.time()


class ManualClock:
    """A clock that stands still until it is moved: for tests."""

    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, seconds):
        """Move the clock ``seconds`` on."""
        self.now += seconds
