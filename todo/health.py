"""Health checks for load balancers: /livez (the process is up) and /readyz (it can serve).

Both are public, unthrottled and cheap: /livez touches nothing, /readyz asks the
store one trivial question at most once a second per process, so a balancer
polling fast costs the database nothing.
"""

import sys
import threading

from flask import current_app
from flask_restful import Resource

from todo.errors import error_response
from todo.store import StoreUnavailable

# A balancer polling every 100 ms makes one store query a second, not ten.
READINESS_TTL_S = 1.0
NO_STORE = {"Cache-Control": "no-store"}


class Readiness:
    """Whether the store answers and its schema is current, remembered for READINESS_TTL_S."""

    def __init__(self, store, clock):
        self.store = store
        self.clock = clock
        self.lock = threading.Lock()
        self.checked_at = None
        self.reason = None

    def why_not(self):
        """Return None when ready, else the sentence saying why not (no URL, no password)."""
        if self._fresh():
            return self.reason
        # One thread asks the store; the others keep the last answer meanwhile (an
        # unreachable database takes the pool's checkout timeout to say so).
        if not self.lock.acquire(blocking=self.checked_at is None):
            return self.reason
        try:
            if not self._fresh():
                reason = self._ask()
                if reason != self.reason:
                    log = current_app.logger.warning if reason else current_app.logger.info
                    log("readiness: %s", reason or "ready again")
                self.reason, self.checked_at = reason, self.clock()
            return self.reason
        finally:
            self.lock.release()

    def _fresh(self):
        # A wall clock set back must not keep an old answer: a negative age is stale.
        return self.checked_at is not None and \
            0 <= self.clock() - self.checked_at < READINESS_TTL_S

    def _ask(self):
        target = schema_target(self.store)
        if target is None:
            return None   # the memory store: in the process, always there, no schema
        try:
            current = self.store.schema_version
        except StoreUnavailable as exc:
            return exc.reason
        except Exception:   # a bug or a damaged database: the operator needs the traceback
            current_app.logger.exception("readiness: the store failed its check")
            return "The store failed its check; the server's log says why."
        if current != target:
            # Another server's newer code migrated the database, or it was replaced.
            return f"The database schema is version {current}; this server needs {target}."
        return None


def schema_target(store):
    """Return the schema version this code migrates ``store`` to, or None if it has none."""
    # Each SQL backend's module names it (SCHEMA_VERSION, the length of its MIGRATIONS),
    # so a new migration moves the target with it.
    return getattr(sys.modules.get(type(store).__module__), "SCHEMA_VERSION", None)


class LivezAPI(Resource):
    """GET /livez: 200 while the process can answer at all."""

    def get(self):
        """Say the process is up, without touching the store."""
        return {"status": "ok"}, 200, NO_STORE


class ReadyzAPI(Resource):
    """GET /readyz: 200 when the store answers and its schema is current, else 503."""

    def __init__(self, readiness):
        self.readiness = readiness

    def get(self):
        """Say whether this process can serve requests now, and why not."""
        reason = self.readiness.why_not()
        if reason:
            return error_response(503, reason, headers={**NO_STORE, "Retry-After": "1"})
        return {"status": "ok"}, 200, NO_STORE
