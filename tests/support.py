"""What the tests share that is not a fixture: the API's paths, credentials, cheap hashes.

Fixtures live in conftest.py; tests import these plain names from here.
"""

import base64
import functools
import os

import pytest
from werkzeug.security import generate_password_hash

TASKS = "/todo/api/v1.0/tasks"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PASSWORDS = {"alice": "alice-secret", "bob": "bob-secret"}
# The store backends, by the name the store_url and any_store fixtures know them by.
EVERY_STORE = ("memory", "sqlite", "postgresql")
SHARED_STORES = ("sqlite", "postgresql")   # the ones several processes can share


def basic(username, password):
    """Return the headers of HTTP Basic credentials."""
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


# What the tests' apps and servers hash new passwords with (TODO_PASSWORD_HASH): scrypt
# costs about 130 ms a hash, by design; the default is tested on its own.
CHEAP_HASH_METHOD = "pbkdf2:sha256:1000"


@functools.cache
def cheap_hash(password):
    # One hash of each password serves the whole run.
    return generate_password_hash(password, method=CHEAP_HASH_METHOD)


def task_url(task_id):
    """Return the absolute uri the test client sees for a task."""
    return f"http://localhost{TASKS}/{task_id}"


def on_stores(*backends):
    """Run a test over each of these backends instead of the default store, SQLite."""
    return pytest.mark.parametrize("store_url", backends, indirect=True)


def require(what, reason):
    """Skip the test for ``reason`` (None: nothing missing); under CI=true, fail instead."""
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the {what} tests, but {reason}")
        pytest.skip(reason)
