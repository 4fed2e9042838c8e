"""Bounds on guessing: password checks per (username, address) and per address.

The policy (OWASP's authentication guidance, django-axes' default):

- Only a credential that was presented and is wrong counts. A request with no
  or a garbled Authorization header is never counted and never refused here.
- Counts are kept per (username, address) and per address, never per username
  alone: a stranger failing at ``miguel`` from elsewhere cannot lock miguel out.
- A slot is *reserved* before the slow password hash runs, and given back if
  the password was right. However many requests are in flight, at most
  ``per_account`` checks run per (username, address) per window, and at most
  ``per_address`` from one address across usernames.

The same reserve-then-settle Counter bounds registrations per address.
Counting is the ``limits`` library's fixed window, in this process's memory by
default, or in a shared storage (``redis://...``) that makes the bounds hold
across worker processes and servers. Nothing here knows of Flask: the caller
says who is knocking.
"""

import hashlib
import math
from urllib.parse import quote

from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from todo.clock import system_clock


class Counter:
    """Attempts per key against some limits, reserved before the work they pay for."""

    def __init__(self, name, limits, limiter, clock=system_clock):
        self.name = name
        self.limits = parse_many(limits)
        self.limiter = limiter
        self.clock = clock

    def reserve(self, key):
        """Take one slot for ``key`` (a tuple of strings) under every limit: return 0
        if taken, else the seconds until one frees up (and nothing is taken)."""
        taken = []
        for limit in self.limits:
            if not self.limiter.hit(limit, self.name, *key):
                taken.append(limit)
                self._give_back(taken, key)
                return self._wait(limit, key)
            taken.append(limit)
        return 0

    def release(self, key):
        """Give back a slot taken by reserve(): the attempt turned out not to count."""
        self._give_back(self.limits, key)

    def _give_back(self, limits, key):
        # A hit of cost -1 undoes one of cost 1: the same atomic increment, in
        # memory or in Redis, so concurrent reservations never see a lost update.
        for limit in limits:
            self.limiter.hit(limit, self.name, *key, cost=-1)

    def _wait(self, limit, key):
        # limits times its windows by the system's clock (it takes no other), and
        # says when one ends in epoch seconds: the wait is counted from our clock.
        reset = self.limiter.get_window_stats(limit, self.name, *key).reset_time
        return max(1, math.ceil(reset - self.clock()))


def limiter(storage_uri="memory://"):
    """Return the counting strategy, over this process's memory or a shared storage."""
    return FixedWindowRateLimiter(storage_from_string(storage_uri))


class LoginThrottle:
    """The bounds on password checks and wrong tokens."""

    def __init__(self, per_account, per_address, limiter, clock=system_clock):
        """Each limit is like "10/minute" (several may be joined by ";")."""
        self.accounts = Counter("login-checks-by-account", per_account, limiter, clock)
        self.addresses = Counter("login-checks-by-address", per_address, limiter, clock)

    def reserve_check(self, address, username):
        """Before checking a password for ``username`` from ``address``: return 0 and
        hold a slot, or the seconds to wait (nothing held)."""
        wait = self.accounts.reserve(_account(username, address))
        if wait:
            return wait
        wait = self.addresses.reserve((address,))
        if wait:
            self.accounts.release(_account(username, address))
        return wait

    def passed_check(self, address, username):
        """The password was right (or never checked): the slot reserve_check() held does not count."""
        self.accounts.release(_account(username, address))
        self.addresses.release((address,))

    def wrong_token(self, address):
        """Count a wrong bearer token; return the seconds to wait if the address is over its bound."""
        return self.addresses.reserve((address,))


def _account(username, address):
    # The claimed name is the client's text: quoted, so that it cannot reach into
    # the address part of the key, and digested when it is longer than any real name.
    name = quote(username, safe="") if len(username) <= 64 else \
        "sha256-" + hashlib.sha256(username.encode("utf-8", "surrogatepass")).hexdigest()
    return name, address
