"""What the tests share that is not a fixture: the API's paths, credentials, cheap hashes.

Fixtures live in conftest.py; tests import these plain names from here.
"""

import base64
import os

import pytest
from werkzeug.security import generate_password_hash

TASKS = "/todo/api/v1.0/tasks"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PASSWORDS = {"alice": "alice-secret", "bob": "bob-secret"}


def basic(username, password):
    """Return the headers of HTTP Basic credentials."""
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def cheap_hash(password):
    # Real scrypt hashes are tested in test_auth; here speed matters more.
    return generate_password_hash(password, method="pbkdf2:sha256:1000")


def task_url(task_id):
    """Return the absolute uri the test client sees for a task."""
    return f"http://localhost{TASKS}/{task_id}"


def require(what, reason):
    """Skip the test for ``reason`` (None: nothing missing); under CI=true, fail instead."""
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the {what} tests, but {reason}")
        pytest.skip(reason)
