"""Fixtures of the browser tests: the real server (run.py on a free port, a fresh SQLite
file), Debian's Chromium driven by Playwright through pytest-playwright's fixtures, one
context per test, every request to another origin blocked, and a failure on any console
error.

Chromium is /usr/bin/chromium (apt-get install chromium), handed to pytest-playwright
through its browser_type_launch_args fixture; Playwright's own browser download is never
used. Where Chromium is missing the tests are skipped, and under CI=true that is a failure.
"""

import base64
import itertools
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from pages import API, PASSWORD, ROOT, sign_in
from servers import free_port, stop, wait_for_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic", "--disable-dev-shm-usage"]
# Playwright's timeouts, in ms: generous for 2 shared cores, bounded all the same.
TIMEOUT = 10_000



@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright launches Debian's Chromium, headless, once for the whole run."""
    if not os.path.exists(CHROMIUM):
        reason = f"{CHROMIUM} is missing (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests, but {reason}")
        pytest.skip(reason)
    expect.set_options(timeout=TIMEOUT)
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


class Server:
    """``python run.py`` on 127.0.0.1 with its own SQLite file; stopped by its PID."""

    def __init__(self, directory, env=None):
        self.directory = directory
        self.database = os.path.join(directory, "todo.sqlite")
        self.env = {"TODO_REGISTRATION": "open", "TODO_REGISTRATIONS": "",
                    "TODO_TRUSTED_HOSTS": "127.0.0.1", **(env or {})}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None
        self.log = open(os.path.join(directory, f"server-{self.port}.log"), "a")
        self.start()

    def start(self):
        """Start run.py (again) on the same port and the same file."""
        self.process = subprocess.Popen(
            [sys.executable, os.path.join(ROOT, "run.py"), "--host", "127.0.0.1",
             "--port", str(self.port), "--no-demo", "--store", f"sqlite:///{self.database}"],
            cwd=self.directory, stdout=self.log, stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **self.env})
        wait_for_port(self.port, self.process)

    def stop(self):
        stop(self.process)

    def close(self):
        self.stop()
        self.log.close()

    # Arranging data behind the page's back, through the API itself.
    def call(self, method, path, body=None, token=None, basic=None, headers=None):
        """Send one request; return (status, headers, parsed body)."""
        request = urllib.request.Request(self.url + (path if path.startswith("/") else
                                                     f"{API}/{path}"), method=method)
        if body is not None:
            request.data = json.dumps(body).encode()
            request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        if basic:
            encoded = base64.b64encode(":".join(basic).encode()).decode()
            request.add_header("Authorization", f"Basic {encoded}")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status, answer_headers, data = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, answer_headers, data = error.code, error.headers, error.read()
        parsed = json.loads(data) if data and "json" in answer_headers.get("Content-Type", "") \
            else data
        return status, answer_headers, parsed

    def new_user(self, name):
        """Register a user; return a User with a token of its own for arranging tasks."""
        status, _, body = self.call("POST", "users", {"username": name, "password": PASSWORD})
        assert status == 201, body
        status, _, body = self.call("POST", "tokens", basic=(name, PASSWORD))
        assert status == 200, body
        return User(self, name, PASSWORD, body["token"])


class User:
    def __init__(self, server, name, password, token):
        self.server, self.name, self.password, self.token = server, name, password, token

    def call(self, method, path, body=None, **kwargs):
        """A request as this user, with Basic credentials (remembered by the server's
        credential cache, so cheap), which outlive any token."""
        return self.server.call(method, path, body, basic=(self.name, self.password), **kwargs)

    def add(self, title, description="", done=False):
        status, headers, body = self.call("POST", "tasks", {"title": title,
                                                            "description": description,
                                                            "done": done})
        assert status == 201, body
        return body["task"]["uri"].split(API, 1)[1].lstrip("/")

    def add_many(self, count, title="Task {}"):
        """Add ``count`` tasks at once, straight into the server's SQLite file."""
        from todo.store import open_store
        store = open_store(f"sqlite:///{self.server.database}")
        try:
            user_id = store.get_user(self.name)["id"]
            for n in range(1, count + 1):
                store.add_task(user_id, title.format(n))
        finally:
            store.close()

    def tasks(self, **query):
        path = "tasks?" + "&".join(f"{k}={v}" for k, v in {"per_page": 1000, **query}.items())
        status, _, body = self.call("GET", path)
        assert status == 200, body
        return body["tasks"]


_names = itertools.count(1)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The real server for a test module: registration open, default limits."""
    running = Server(str(tmp_path_factory.mktemp("server")))
    yield running
    running.close()


@pytest.fixture
def start_server(tmp_path):
    """Start servers of this test's own, with settings of its own; all stopped after."""
    started = []

    def start(**env):
        directory = tmp_path / f"server-{len(started)}"
        directory.mkdir()
        running = Server(str(directory), env)
        started.append(running)
        return running

    yield start
    for running in started:
        running.close()


@pytest.fixture
def user(server, request):
    """A fresh user of the module's server, so tests share no data."""
    name = re.sub(r"[^a-z0-9]", "", request.node.name.lower())[:40] + f"-{next(_names)}"
    return server.new_user(name)


class Console:
    """Console errors and page errors; a failed load is allowed only for the statuses a
    test says it expects (Chromium logs every 4xx and 5xx answer to fetch)."""

    FAILED_LOAD = re.compile(r"Failed to load resource: the server responded with a status "
                             r"of (\d+)")

    def __init__(self):
        self.errors = []
        self.allowed = set()

    def allow(self, *statuses):
        self.allowed.update(statuses)

    def unexpected(self):
        left = []
        for text in self.errors:
            match = self.FAILED_LOAD.match(text)
            if match and int(match.group(1)) in self.allowed:
                continue
            if "net::ERR_CONNECTION_REFUSED" in text and "refused" in self.allowed:
                continue
            left.append(text)
        return left


@pytest.fixture
def console():
    return Console()


def watch_context(context, server, console, blocked):
    """Block other origins than ``server``'s in ``context``, and watch its console."""
    context.set_default_timeout(TIMEOUT)

    def route(route):
        if route.request.url.startswith(server.url + "/"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", route)

    def watch(page):
        page.on("console", lambda message: message.type == "error"
                and console.errors.append(message.text))
        page.on("pageerror", lambda error: console.errors.append(f"page error: {error}"))

    context.on("page", watch)
    return context


@pytest.fixture
def new_context(new_context, server, console):
    """pytest-playwright's new_context, on a server (the module's by default), watched.

    pytest-playwright closes the contexts after the test; this checks that none of
    them asked another origin for anything, and that no console showed an error.
    """
    blocked = []

    def make(on=None, **options):
        options.setdefault("viewport", {"width": 1024, "height": 768})
        running = on or server
        return watch_context(new_context(base_url=running.url, **options), running, console,
                             blocked)

    yield make
    assert not blocked, f"requests to other origins: {blocked}"
    assert not console.unexpected(), f"console errors: {console.unexpected()}"


@pytest.fixture
def page(new_context):
    """A page in a new context of the module's server."""
    return new_context().new_page()


@pytest.fixture
def signed_in(page, user):
    """The page, signed in as a fresh user with no tasks."""
    sign_in(page, user)
    return page


