"""Password hashing, and a short-lived cache of credentials already verified.

A strong hash (scrypt) costs tens of milliseconds by design; paying that on
every Basic-auth request would cap the service at a few dozen requests a
second.  The cache remembers, for a few minutes, that a (username, password)
pair matched a given stored hash.  It keeps only a keyed digest of the pair,
never the password, and an entry counts only while the user's stored hash is
still the one it was verified against, so a password change or a deleted
account (in any process sharing the store) invalidates it at once.
"""

import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict

from werkzeug.security import check_password_hash, generate_password_hash

_dummy_hash = None


def hash_password(password):
    """Return a salted scrypt hash of ``password`` (werkzeug's default method)."""
    return generate_password_hash(password)


def check_password(password_hash, password):
    """Check ``password`` against a stored hash; ``None`` costs as much as a real hash."""
    global _dummy_hash
    if password_hash is None:
        # Unknown user: spend the same time as a wrong password, so the answer's
        # timing does not reveal which usernames exist.
        if _dummy_hash is None:
            _dummy_hash = hash_password(secrets.token_urlsafe())
        check_password_hash(_dummy_hash, password)
        return False
    return check_password_hash(password_hash, password)


class VerifiedCredentials:
    """A bounded LRU of recently verified credentials, each valid for ``ttl`` seconds."""

    def __init__(self, ttl=300.0, max_entries=10_000, clock=time.monotonic):
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._key = secrets.token_bytes(32)   # per process: digests are useless elsewhere
        self._entries = OrderedDict()          # digest -> (password_hash, expires)
        self._lock = threading.Lock()

    def _digest(self, username, password):
        message = username.encode() + b"\0" + password.encode()
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def verify(self, user, password):
        """Return whether ``password`` is ``user``'s, hashing only on a cache miss."""
        if self.ttl <= 0 or self.max_entries <= 0:
            return check_password(user["password_hash"], password)
        digest = self._digest(user["username"], password)
        now = self._clock()
        with self._lock:
            entry = self._entries.get(digest)
            if entry is not None:
                if entry[0] == user["password_hash"] and entry[1] > now:
                    self._entries.move_to_end(digest)
                    return True
                del self._entries[digest]
        if not check_password(user["password_hash"], password):
            return False
        with self._lock:
            self._entries[digest] = (user["password_hash"], now + self.ttl)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return True

    def __len__(self):
        return len(self._entries)
