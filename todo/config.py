"""Settings: safe defaults, overridden by TODO_* environment variables, then checked."""

import os
import re

from limits import parse_many
from limits.storage import storage_from_string


class ConfigError(Exception):
    """A setting has a value the service cannot run with."""


# Every setting, its default, and what it means (the README's table mirrors this).
DEFAULTS = {
    # Where tasks live: memory://, sqlite:///path or postgresql://...
    # None means todo.sqlite in the app's instance folder.
    "STORE": None,
    # Connections a PostgreSQL store keeps per process: a sync worker uses one at a
    # time; threaded workers want one per thread.
    "PG_POOL_SIZE": 2,
    # 401 with a challenge, or 403 without one (the article's browser trick).
    "AUTH_FAILURE_STATUS": 401,
    # Seed the demo account and tasks into an empty store when the app is created.
    "DEMO": False,
    # How long (seconds) a verified password is remembered; 0 turns the cache off.
    "CREDENTIAL_CACHE_TTL": 300,
    "CREDENTIAL_CACHE_SIZE": 10_000,
    # Request bodies larger than this are refused with 413.
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    # How many reverse proxies in front set X-Forwarded-For/-Proto/-Host (0: none trusted).
    "PROXY_FIX": 0,
    # X-Forwarded-Port and -Prefix are trusted only when counted here, each on its own.
    "PROXY_FIX_PORT": 0,
    "PROXY_FIX_PREFIX": 0,
    # The Host names accepted, comma-separated (Flask's TRUSTED_HOSTS); None: any.
    "TRUSTED_HOSTS": None,
    # Browser origins allowed to call the API (CORS), comma-separated; none by default.
    "CORS_ORIGINS": None,
    # The account that requests to the Todo-Backend root (/todo-backend/todos) act as
    # when they send no Authorization header; None: credentials needed, as everywhere.
    "BACKEND_PUBLIC_USER": None,
    # "open" lets anyone register an account with POST /users.
    "REGISTRATION": "closed",
    # Seconds a bearer token from POST /tokens lives.
    "TOKEN_TTL": 3600,
    # Password checks that may fail per (username, client address) (the limits
    # library's notation, e.g. 10/minute); an empty value turns throttling off.
    "LOGIN_FAILURES": "10/minute",
    # Failed logins (passwords or tokens) per client address, across usernames.
    "LOGIN_FAILURES_PER_ADDRESS": "50/minute",
    # Registrations (accounts created and names found taken) per client address.
    "REGISTRATIONS": "10/hour",
    # Where those counts live: this process's memory, or e.g. redis://host:6379.
    "RATELIMIT_STORAGE_URI": "memory://",
    # Password hashes (scrypt, 32 MiB each) computed at once per process.
    "HASH_CONCURRENCY": 2,
    # How new password hashes are made: werkzeug's method, scrypt by default
    # (scrypt:N:r:p to tune it); stored hashes keep working whatever this says.
    "PASSWORD_HASH": "scrypt",
    # Prometheus metrics at GET /metrics (unauthenticated: keep it off the public listener).
    "METRICS": False,
    # Log lines as JSON ("json", for a collector) or logfmt ("text", for people);
    # run.py shows text unless this is set.
    "LOG_FORMAT": "json",
    # The least severe records logged; INFO includes the access log's line per request.
    "LOG_LEVEL": "INFO",
}


# The methods taken: scrypt, or PBKDF2 over SHA-256 or SHA-512 (werkzeug makes others,
# weaker ones too). Whether werkzeug and OpenSSL can hash with it, create_app finds out
# by the first hash it makes.
_HASH_METHOD = re.compile(r"scrypt(:[1-9][0-9]*:[1-9][0-9]*:[1-9][0-9]*)?"
                          r"|pbkdf2(:sha(256|512)(:[1-9][0-9]*)?)?")


def load(app, overrides=None):
    """Fill ``app.config`` from DEFAULTS, the TODO_* environment and ``overrides``."""
    app.config.from_mapping(DEFAULTS)
    # TODO_DEMO=1 -> DEMO=1: values are parsed as JSON where they can be.
    app.config.from_prefixed_env("TODO")
    if overrides:
        app.config.from_mapping(overrides)
    if app.config["STORE"] is None:
        app.config["STORE"] = "sqlite:///" + os.path.join(app.instance_path, "todo.sqlite")
    check(app.config)


def check(config):
    """Refuse settings the service cannot run with, in one clear line each."""
    if config["AUTH_FAILURE_STATUS"] not in (401, 403):
        raise ConfigError(f"TODO_AUTH_FAILURE_STATUS must be 401 or 403, "
                          f"not {config['AUTH_FAILURE_STATUS']!r}")
    if not isinstance(config["STORE"], str):
        raise ConfigError(f"TODO_STORE must be a URL, not {config['STORE']!r}")
    pool_size = config["PG_POOL_SIZE"]
    if isinstance(pool_size, bool) or not isinstance(pool_size, int) or pool_size < 1:
        raise ConfigError(f"TODO_PG_POOL_SIZE must be a whole number from 1, not {pool_size!r}")
    for name in ("TRUSTED_HOSTS", "CORS_ORIGINS"):
        names = config[name]
        if isinstance(names, str):
            config[name] = [n.strip() for n in names.split(",") if n.strip()]
        elif names is not None and not isinstance(names, list):
            raise ConfigError(f"TODO_{name} must be a comma-separated list, not {names!r}")
    for name in ("PROXY_FIX", "PROXY_FIX_PORT", "PROXY_FIX_PREFIX"):
        if isinstance(config[name], bool) or not isinstance(config[name], int):
            raise ConfigError(f"TODO_{name} must be a number of proxies, not {config[name]!r}")
    for name in ("CREDENTIAL_CACHE_TTL", "CREDENTIAL_CACHE_SIZE", "MAX_CONTENT_LENGTH",
                 "PROXY_FIX", "PROXY_FIX_PORT", "PROXY_FIX_PREFIX"):
        value = config[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ConfigError(f"TODO_{name} must be a non-negative number, not {value!r}")
    public = config["BACKEND_PUBLIC_USER"]
    config["BACKEND_PUBLIC_USER"] = None if public in (None, "") else str(public)
    config["DEMO"] = config["DEMO"] in (True, 1, "1", "true", "yes", "on")
    config["METRICS"] = config["METRICS"] in (True, 1, "1", "true", "yes", "on")
    if config["LOG_FORMAT"] not in ("json", "text"):
        raise ConfigError(f"TODO_LOG_FORMAT must be json or text, not {config['LOG_FORMAT']!r}")
    level = str(config["LOG_LEVEL"]).upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ConfigError(f"TODO_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, "
                          f"not {config['LOG_LEVEL']!r}")
    config["LOG_LEVEL"] = level
    if config["REGISTRATION"] not in ("open", "closed"):
        raise ConfigError(f"TODO_REGISTRATION must be open or closed, not {config['REGISTRATION']!r}")
    if isinstance(config["TOKEN_TTL"], bool) or not isinstance(config["TOKEN_TTL"], int) \
            or config["TOKEN_TTL"] < 1:
        raise ConfigError(f"TODO_TOKEN_TTL must be a whole number of seconds, not {config['TOKEN_TTL']!r}")
    for name in ("LOGIN_FAILURES", "LOGIN_FAILURES_PER_ADDRESS", "REGISTRATIONS"):
        if config[name]:
            try:
                parse_many(str(config[name]))
            except ValueError:
                raise ConfigError(f"TODO_{name} must be like 10/minute, not "
                                  f"{config[name]!r}") from None
    if config["LOGIN_FAILURES"] and not config["LOGIN_FAILURES_PER_ADDRESS"]:
        raise ConfigError("TODO_LOGIN_FAILURES_PER_ADDRESS must be set when TODO_LOGIN_FAILURES is")
    concurrency = config["HASH_CONCURRENCY"]
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ConfigError(f"TODO_HASH_CONCURRENCY must be a whole number from 1, not {concurrency!r}")
    method = config["PASSWORD_HASH"]
    if not isinstance(method, str) or not _HASH_METHOD.fullmatch(method):
        raise ConfigError(f"TODO_PASSWORD_HASH must be scrypt, scrypt:N:r:p or "
                          f"pbkdf2:sha256:ITERATIONS, not {method!r}")
    try:
        storage_from_string(config["RATELIMIT_STORAGE_URI"])
    except Exception as exc:   # limits raises ConfigurationError, or ImportError for a missing driver
        raise ConfigError(f"TODO_RATELIMIT_STORAGE_URI {config['RATELIMIT_STORAGE_URI']!r} "
                          f"cannot be used: {exc}") from None
