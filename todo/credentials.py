"""Password hashing, a short-lived cache of credentials already verified, and tokens.

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
from collections import OrderedDict
from contextlib import contextmanager

from werkzeug.security import check_password_hash, generate_password_hash

from todo.clock import system_clock

# scrypt, as werkzeug does it by default, takes 32 MiB for each hash in progress.
DEFAULT_CONCURRENCY = 2
# werkzeug's default method: scrypt, n=2**15, r=8, p=1.
DEFAULT_METHOD = "scrypt"
# How long a request waits for a turn before it is answered 503.
_WAIT_S = 10.0


class HashingBusy(Exception):
    """Every hashing slot stayed taken for as long as a request may wait."""


class PasswordHashing:
    """Salted hashes (werkzeug's ``method``) and checks, at most ``concurrency`` at once.

    Each costs tens of milliseconds and 32 MiB by design; unbounded, a burst of
    registrations or logins would take a worker's memory with it (12 at once
    took the development server from 80 MB to 370 MB).  A check reads its method
    from the stored hash, so hashes made with another method go on working.
    """

    def __init__(self, concurrency=DEFAULT_CONCURRENCY, wait=_WAIT_S, method=DEFAULT_METHOD):
        self._slots = threading.BoundedSemaphore(concurrency)
        self.wait = wait
        self.method = method
        # What an unknown user's password is checked against, made now rather than by a
        # first request; a method werkzeug cannot hash with raises ValueError (or
        # OverflowError) here.
        self._dummy_hash = generate_password_hash(secrets.token_urlsafe(), method=method)

    def hash(self, password):
        """Return a salted hash of ``password``, by this hashing's method."""
        with self.turn():
            return generate_password_hash(password, method=self.method)

    def check(self, password_hash, password):
        """Check ``password`` against a stored hash; ``None`` costs as much as a real hash."""
        if password_hash is None:
            # Unknown user: spend the same time as a wrong password, so the answer's
            # timing does not reveal which usernames exist.
            self.check(self._dummy_hash, password)
            return False
        with self.turn():
            return check_password_hash(password_hash, password)

    @contextmanager
    def turn(self):
        """Hold one of the hashing slots for the block; raise HashingBusy after ``wait`` seconds."""
        if not self._slots.acquire(timeout=self.wait):
            raise HashingBusy()
        try:
            yield
        finally:
            self._slots.release()


def hash_password(password):
    """Return a salted scrypt hash of ``password``, outside any bound (the benchmarks' seeds)."""
    return generate_password_hash(password, method=DEFAULT_METHOD)


class VerifiedCredentials:
    """A bounded LRU of recently verified credentials, each valid for ``ttl`` seconds."""

    def __init__(self, ttl=300.0, max_entries=10_000, clock=system_clock):
        self.ttl = ttl
        self.max_entries = max_entries
        # The service's wall clock, not a monotonic one: should the system's time
        # jump, an entry lives that much longer or shorter, which is harmless, as it
        # counts only while the user's stored hash is the one it was verified against.
        self._clock = clock
        self._key = secrets.token_bytes(32)   # per process: digests are useless elsewhere
        self._entries = OrderedDict()          # digest -> (password_hash, expires)
        self._lock = threading.Lock()

    def _digest(self, username, password):
        message = username.encode() + b"\0" + password.encode()
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def known(self, user, password):
        """Whether ``password`` was verified as ``user``'s, against the hash stored now, lately."""
        if self.ttl <= 0 or self.max_entries <= 0:
            return False
        digest = self._digest(user["username"], password)
        with self._lock:
            entry = self._entries.get(digest)
            if entry is None:
                return False
            if entry[0] == user["password_hash"] and entry[1] > self._clock():
                self._entries.move_to_end(digest)
                return True
            del self._entries[digest]
            return False

    def remember(self, user, password):
        """Record that ``password`` is ``user``'s, until the ttl passes or the hash changes."""
        if self.ttl <= 0 or self.max_entries <= 0:
            return
        digest = self._digest(user["username"], password)
        with self._lock:
            self._entries[digest] = (user["password_hash"], self._clock() + self.ttl)
            self._entries.move_to_end(digest)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def __len__(self):
        return len(self._entries)


def new_token():
    """Return a fresh random bearer token (256 bits) and the hash under which it is stored."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token):
    """Hash a token for storage: SHA-256 suffices, as the token has 256 bits of entropy.

    A slow hash (scrypt) protects guessable passwords; nobody can guess a
    random 256-bit token, so a fast hash keeps each request to one lookup.
    """
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
