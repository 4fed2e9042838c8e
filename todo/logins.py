"""Checking a presented credential: the throttle, the store, the cache and the hash, in order.

One plain path for each kind of credential, with no Flask in it, so that the
service's Flask-HTTPAuth callbacks (todo.auth) and the benchmark's plain-Flask
twin run the very same steps:

- a password: find the user (by the case-insensitive name), accept it at once
  if the cache verified it lately; otherwise reserve a throttle slot for
  (username, address), run the slow hash (a dummy one for an unknown name, so
  timing tells nothing), and give the slot back if the password was right;
- a token: one store lookup; a wrong one counts against the address.
"""

from todo import usernames
from todo.clock import system_clock
from todo.credentials import token_hash


class Throttled(Exception):
    """Too many checks from here lately: try again in ``wait`` seconds."""

    def __init__(self, wait):
        super().__init__(f"try again in {wait} s")
        self.wait = wait


class Logins:
    """Who a credential belongs to, given a store, cache, hasher, throttle (or None) and clock."""

    def __init__(self, store, cache, hashing, throttle=None, clock=system_clock):
        self.store = store
        self.cache = cache
        self.hashing = hashing
        self.throttle = throttle
        self.clock = clock

    def with_password(self, address, username, password):
        """Return the user whose password this is, or None; raise Throttled."""
        user = self.store.get_user(username)
        if user is not None and self.cache.known(user, password):
            return user   # proven lately: no hash, nothing to count
        key = usernames.key(username)
        if self.throttle is not None:
            wait = self.throttle.reserve_check(address, key)
            if wait:
                raise Throttled(wait)
        try:
            right = self.hashing.check(user["password_hash"] if user else None, password)
        except BaseException:
            if self.throttle is not None:   # the check never ran (HashingBusy): it costs no slot
                self.throttle.passed_check(address, key)
            raise
        if not right:
            return None   # the reserved slot stays taken: this was a failure
        if self.throttle is not None:
            self.throttle.passed_check(address, key)
        self.cache.remember(user, password)
        return user

    def with_token(self, address, token):
        """Return the user of an unexpired, unrevoked token, or None; raise Throttled."""
        user = self.store.get_token_user(token_hash(token), self.clock())
        if user is None and self.throttle is not None:
            wait = self.throttle.wrong_token(address)
            if wait:
                raise Throttled(wait)
        return user
