"""Prometheus metrics at GET /metrics (TODO_METRICS=1), through prometheus_client.

Requests by route template, method and status; their latency; store failures
by kind; refused logins; and, on PostgreSQL, the connection pool. Under
gunicorn, set PROMETHEUS_MULTIPROC_DIR and the library's multiprocess mode adds
up every worker's numbers in each scrape (the README shows the setup). The
endpoint is unauthenticated, like any scrape target: keep it off the public
listener.
"""

import os
import threading
import time

from flask import Response, g, got_request_exception, request, request_finished, request_started
from flask_restful import Resource
from prometheus_client import (CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram,
                               generate_latest, multiprocess)
from werkzeug.exceptions import NotFound

from todo.logins import Logins, Throttled
from todo.store import StoreError, StoreUnavailable

# A client's method is free text: anything else is counted as "other", so that
# no client can make a new time series per request.
METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"))
# Seconds; a request here takes about a millisecond, a slow one a few hundred.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# The pool's figures are copied into the metrics at most this often per process.
POOL_EVERY_S = 1.0
# The database drivers whose exceptions, escaping the store, are store failures too.
DRIVERS = ("sqlite3", "psycopg", "psycopg_pool")


class Metrics:
    """This app's metrics, in a registry of its own (several apps may share a process)."""

    def __init__(self, store):
        self.registry = registry = CollectorRegistry()
        self.requests = Counter(
            "todo_http_requests", "Requests answered, by route template, method and status.",
            ("route", "method", "status"), registry=registry)
        self.latency = Histogram(
            "todo_http_request_duration_seconds",
            "Time from the start of a request's handling to its response, by route template.",
            ("route", "method"), buckets=BUCKETS, registry=registry)
        self.store_errors = Counter(
            "todo_store_errors", "Store failures while serving: unavailable (a 503) or "
            "unexpected (a 500), by the exception's class.", ("kind", "error"), registry=registry)
        self.logins = Counter(
            "todo_login_refusals", "Logins refused: a wrong password or token (failed), or too "
            "many of those lately (throttled).", ("outcome",), registry=registry)
        # (route, method, status) -> (counter, histogram): labels() takes a lock and
        # checks its values on every call; this takes neither.
        self.children = {}
        self.pool = PoolMetrics(store, registry) if hasattr(store, "pool_stats") else None

    def started(self, sender, **extra):
        """Note when the request's handling began (request_started signal)."""
        g.metrics_started = time.perf_counter()

    def finished(self, sender, response, **extra):
        """Count the request and its latency (request_finished signal)."""
        started = g.pop("metrics_started", None)
        rule = request.url_rule
        method = request.method if request.method in METHODS else "other"
        key = (rule.rule if rule is not None else "unmatched", method, response.status_code)
        children = self.children.get(key)
        if children is None:
            children = self.children[key] = (self.requests.labels(key[0], method, str(key[2])),
                                             self.latency.labels(key[0], method))
        children[0].inc()
        if started is not None:
            children[1].observe(time.perf_counter() - started)
        if self.pool is not None:
            self.pool.update()

    def failed(self, sender, exception, **extra):
        """Count a store failure that reached the error handlers (got_request_exception)."""
        if isinstance(exception, StoreUnavailable):
            cause = exception.__cause__ or exception
            self.store_errors.labels("unavailable", type(cause).__name__).inc()
        elif not isinstance(exception, StoreError) and \
                type(exception).__module__.split(".")[0] in DRIVERS:
            self.store_errors.labels("unexpected", type(exception).__name__).inc()

    def exposition(self):
        """Return the Prometheus text of every worker (multiprocess mode) or of this process."""
        if self.pool is not None:
            self.pool.update(force=True)
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            # As the library's docs do it: a fresh registry reading every worker's files.
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return generate_latest(registry)
        return generate_latest(self.registry)


class PoolMetrics:
    """PostgreSQL's connection pool in this process, copied from psycopg_pool's get_stats()."""

    def __init__(self, store, registry):
        self.store = store
        self.lock = threading.Lock()
        self.copied_at = None
        self.seen = {}   # the pool's running totals at the last copy
        # livesum: in multiprocess mode a scrape adds up the live workers' pools.
        self.gauges = {
            "pool_size": Gauge("todo_db_pool_connections", "Connections the pool holds open.",
                               registry=registry, multiprocess_mode="livesum"),
            "pool_available": Gauge("todo_db_pool_idle_connections",
                                    "Connections open and idle in the pool.",
                                    registry=registry, multiprocess_mode="livesum"),
            "pool_max": Gauge("todo_db_pool_max_connections",
                              "The most connections the pool may open.",
                              registry=registry, multiprocess_mode="livesum"),
            "requests_waiting": Gauge("todo_db_pool_waiting_requests",
                                      "Requests waiting for a connection now.",
                                      registry=registry, multiprocess_mode="livesum"),
        }
        self.totals = {
            "requests_queued": (Counter("todo_db_pool_waits",
                                        "Connection requests that had to wait for one.",
                                        registry=registry), 1),
            "requests_wait_ms": (Counter("todo_db_pool_wait_seconds",
                                         "Time spent waiting for a connection.",
                                         registry=registry), 0.001),
            "requests_errors": (Counter("todo_db_pool_errors",
                                        "Connection requests that failed (timed out, mostly).",
                                        registry=registry), 1),
        }

    def update(self, force=False):
        """Copy the pool's figures into the metrics, at most every POOL_EVERY_S unless forced."""
        now = time.monotonic()
        if not force and self.copied_at is not None and now - self.copied_at < POOL_EVERY_S:
            return
        # Another thread copying right now makes this copy unnecessary.
        if not self.lock.acquire(blocking=False):
            return
        try:
            self.copied_at = now
            stats = self.store.pool_stats()
            for name, gauge in self.gauges.items():
                gauge.set(stats.get(name, 0))
            for name, (counter, scale) in self.totals.items():
                total, before = stats.get(name, 0), self.seen.get(name, 0)
                # A new pool (a forked worker's first) starts its totals from zero.
                counter.inc((total - before if total >= before else total) * scale)
                self.seen[name] = total
        finally:
            self.lock.release()


class CountedLogins(Logins):
    """Logins that count the refused ones: failed (wrong credentials) and throttled."""

    def __init__(self, logins, counter):
        super().__init__(logins.store, logins.cache, logins.hashing, logins.throttle,
                         logins.clock)
        self.failed = counter.labels("failed")
        self.throttled = counter.labels("throttled")

    def with_password(self, address, username, password):
        """As Logins.with_password, counting a refusal."""
        return self._counted(super().with_password, address, username, password)

    def with_token(self, address, token):
        """As Logins.with_token, counting a refusal."""
        return self._counted(super().with_token, address, token)

    def _counted(self, check, *args):
        try:
            user = check(*args)
        except Throttled:
            self.throttled.inc()
            raise
        if user is None:
            self.failed.inc()
        return user


class MetricsAPI(Resource):
    """GET /metrics: the Prometheus text exposition, or 404 while metrics are off (None)."""

    def __init__(self, metrics):
        self.metrics = metrics

    def get(self):
        """Answer the scrape."""
        if self.metrics is None:
            raise NotFound()
        return Response(self.metrics.exposition(), content_type=CONTENT_TYPE_LATEST,
                        headers={"Cache-Control": "no-store"})


def init_app(app):
    """Count what the app does from now on; return the Metrics for MetricsAPI to serve."""
    metrics = app.extensions["todo.metrics"] = Metrics(app.extensions["todo.store"])
    # Signals, not request hooks: a request a before_request hook refuses is counted
    # too, whatever order the hooks were registered in.
    request_started.connect(metrics.started, app)
    request_finished.connect(metrics.finished, app)
    got_request_exception.connect(metrics.failed, app)
    app.extensions["todo.logins"] = CountedLogins(app.extensions["todo.logins"], metrics.logins)
    return metrics
