"""The Todo-Backend API at /todo-backend/todos, against a real server: the 16 behaviours
its test suite checks, written as our own tests, then CORS, auth and validation.

Every request sends ``Content-Type: application/json``, as the suite does, even a GET
or a DELETE with no body.
"""

import json
import threading
import urllib.error
import urllib.request

import pytest

from support import CHEAP_HASH_METHOD, basic
from todo import create_app
from todo.config import ConfigError

ROOT = "/todo-backend/todos"
MIGUEL = basic("miguel", "python")   # the demo account run.py seeds
ORIGIN = "http://127.0.0.2:8000"


def call(port, method, path=ROOT, body=None, headers=MIGUEL, raw=None):
    """Send one request; return (status, headers, parsed JSON body or None)."""
    url = path if path.startswith("http") else f"http://127.0.0.1:{port}{path}"
    data = raw if raw is not None else None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={
        "Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, answer, text = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, answer, text = error.code, error.headers, error.read()
    return status, answer, json.loads(text) if text else None


@pytest.fixture
def root(module_server):
    """The demo account's root, emptied first (as the suite does before each test)."""
    def send(method, path=ROOT, body=None, **kwargs):
        return call(module_server, method, path, body, **kwargs)
    status, _, _ = send("DELETE")
    assert status == 200
    return send


@pytest.fixture(scope="module")
def bob(module_server):
    """A second account, registered through the API."""
    status, _, body = call(module_server, "POST", "/todo/api/v1.0/users",
                           {"username": "bob", "password": "bob-secret"}, headers={})
    assert status == 201, body
    return basic("bob", "bob-secret")


# ---------------------------------------------------------------- the 16 behaviours

def test_the_root_answers_get_with_cors_headers(root):
    status, headers, body = root("GET", headers={**MIGUEL, "Origin": ORIGIN})
    assert status == 200
    assert body == []
    assert headers["Access-Control-Allow-Origin"] == "*"


def test_the_root_answers_post_with_the_todo_it_was_sent(root):
    status, _, body = root("POST", body={"title": "a todo"})
    assert status == 201
    assert body["title"] == "a todo"


def test_the_root_answers_delete_with_success(root):
    root("POST", body={"title": "a todo"})
    status, _, body = root("DELETE")
    assert status == 200
    assert body == {"deleted": 1}


def test_the_root_answers_an_empty_array_after_a_delete(root):
    root("POST", body={"title": "a todo"})
    root("DELETE")
    assert root("GET")[2] == []


def test_after_a_post_the_todo_is_in_the_list(root):
    root("POST", body={"title": "walk the dog"})
    todos = root("GET")[2]
    assert [todo["title"] for todo in todos] == ["walk the dog"]


def test_a_new_todo_starts_not_completed(root):
    assert root("POST", body={"title": "blah"})[2]["completed"] is False


def test_a_new_todo_has_a_url_string(root, module_server):
    status, headers, todo = root("POST", body={"title": "blah"})
    assert isinstance(todo["url"], str)
    assert todo["url"].startswith(f"http://127.0.0.1:{module_server}{ROOT}/")
    assert headers["Location"] == todo["url"]


def test_a_new_todo_is_answered_at_its_url(root):
    todo = root("POST", body={"title": "my todo"})[2]
    status, _, fetched = root("GET", todo["url"])
    assert status == 200
    assert fetched == todo


def test_the_list_leads_to_each_todo_by_its_url_after_two_concurrent_posts(root):
    answers = []
    posts = [threading.Thread(target=lambda title=title: answers.append(
        root("POST", body={"title": title}))) for title in ("todo the first", "todo the second")]
    for post in posts:
        post.start()
    for post in posts:
        post.join(timeout=10)
    assert sorted(status for status, _, _ in answers) == [201, 201]
    todos = root("GET")[2]
    assert sorted(todo["title"] for todo in todos) == ["todo the first", "todo the second"]
    for todo in todos:
        assert root("GET", todo["url"])[2] == todo


@pytest.fixture
def todo(root):
    return root("POST", body={"title": "initial title"})[2]


def test_patch_changes_the_title(root, todo):
    status, _, body = root("PATCH", todo["url"], {"title": "bathe the cat"})
    assert status == 200
    assert body == {**todo, "title": "bathe the cat"}


def test_patch_changes_completed(root, todo):
    status, _, body = root("PATCH", todo["url"], {"completed": True})
    assert status == 200
    assert body == {**todo, "completed": True}


@pytest.mark.parametrize("change", [{"title": "changed title"}, {"completed": True}])
def test_changes_persist_in_the_todo_and_in_the_list(root, todo, change):
    root("PATCH", todo["url"], change)
    assert root("GET", todo["url"])[2] == {**todo, **change}
    assert root("GET")[2] == [{**todo, **change}]


def test_delete_on_a_url_removes_the_todo(root, todo):
    status, _, body = root("DELETE", todo["url"])
    assert status == 200
    assert body == {"result": True}
    assert root("GET")[2] == []
    assert root("GET", todo["url"])[0] == 404


def test_a_todo_created_with_an_order_has_it(root):
    assert root("POST", body={"title": "blah", "order": 523})[2]["order"] == 523


def test_patch_changes_the_order_and_it_is_remembered(root, todo):
    status, _, body = root("PATCH", todo["url"], {"order": 95})
    assert status == 200
    assert body["order"] == 95
    assert root("GET", todo["url"])[2]["order"] == 95


# ------------------------------------------------------------------ beyond the suite

def test_the_list_is_in_order_and_ties_break_by_creation(root):
    for title, order in (("c", 30), ("a", 10), ("b", 20), ("b too", 20)):
        root("POST", body={"title": title, "order": order})
    last = root("POST", body={"title": "last"})[2]
    assert [todo["title"] for todo in root("GET")[2]] == ["a", "b", "b too", "c", "last"]
    assert last["order"] > 30


def test_the_todos_are_the_tasks_of_the_main_api(root, todo, module_server):
    task_id = todo["url"].rsplit("/", 1)[1]
    status, _, body = call(module_server, "GET", f"/todo/api/v1.0/tasks/{task_id}")
    assert status == 200
    assert body["task"]["title"] == todo["title"]
    assert body["task"]["done"] is todo["completed"]
    assert body["task"]["order"] == todo["order"]


@pytest.mark.parametrize("method, path", [
    ("GET", ROOT), ("POST", ROOT), ("DELETE", ROOT),
    ("GET", ROOT + "/1"), ("PATCH", ROOT + "/1"), ("DELETE", ROOT + "/1"),
])
def test_preflights_need_no_credentials_and_allow_what_the_clients_send(root, method, path):
    status, headers, body = root("OPTIONS", path, headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "content-type,authorization"})
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert method in headers["Access-Control-Allow-Methods"].split(", ")
    allowed = headers["Access-Control-Allow-Headers"].lower().split(", ")
    assert {"content-type", "authorization"} <= set(allowed)
    assert body is None


@pytest.mark.parametrize("path", [ROOT, ROOT + "/{id}"])
def test_delete_with_a_json_content_type_and_no_body(root, todo, path):
    status, _, _ = root("DELETE", path.format(id=todo["url"].rsplit("/", 1)[1]), raw=b"")
    assert status == 200
    assert root("GET")[2] == []


def test_two_users_roots_are_kept_apart(root, bob, module_server):
    mine = root("POST", body={"title": "miguel's"})[2]
    call(module_server, "DELETE", headers=bob)
    status, _, theirs = call(module_server, "POST", body={"title": "bob's"}, headers=bob)
    assert status == 201
    assert [todo["title"] for todo in root("GET")[2]] == ["miguel's"]
    assert [t["title"] for t in call(module_server, "GET", headers=bob)[2]] == ["bob's"]
    # A todo of another's does not exist for you; emptying your root leaves theirs.
    for method, body in (("GET", None), ("PATCH", {"title": "mine now"}), ("DELETE", None)):
        assert call(module_server, method, mine["url"], body, headers=bob)[0] == 404
    call(module_server, "DELETE", headers=bob)
    assert root("GET")[2] == [mine]


def test_credentials_are_needed_by_default(root):
    status, headers, body = root("GET", headers={})
    assert status == 401
    assert body["error"] == "Unauthorized access"
    assert headers["Access-Control-Allow-Origin"] == "*"


BAD_BODIES = [
    ({"title": "x", "completed": "true"}, {"completed": "Must be true or false, not a string"}),
    ({"title": "x", "completed": 1}, "completed"),
    ({"title": "x", "order": 1.5}, {"order": "Must be an integer, not a fraction"}),
    ({"title": "x", "order": "5"}, "order"),
    ({"title": "x", "order": 2**53}, "order"),
    ({"title": "x", "priority": 1}, {"priority": "Unknown field"}),
    ({"title": "   "}, {"title": "Must not be empty"}),
    ({}, {"title": "No todo title provided"}),
]


@pytest.mark.parametrize("body, message", BAD_BODIES)
def test_bad_todos_are_refused_with_the_one_error_shape(root, body, message):
    status, _, error = root("POST", body=body)
    assert status == 400
    assert error["error"] == "Bad request"
    assert_message(error, message)
    assert root("GET")[2] == []


def assert_message(error, message):
    """The error names what was wrong: exactly (a dict of fields), or in its text."""
    if isinstance(message, dict):
        assert error["message"] == message
    else:
        assert message in error["message"]


@pytest.mark.parametrize("body, message", [(body, message) for body, message in BAD_BODIES
                                           if body.get("title") == "x"])
def test_bad_patches_are_refused_and_change_nothing(root, todo, body, message):
    status, _, error = root("PATCH", todo["url"], {k: v for k, v in body.items() if k != "title"})
    assert status == 400
    assert error["error"] == "Bad request"
    assert_message(error, message)
    assert root("GET", todo["url"])[2] == todo


@pytest.mark.parametrize("query", ["sort=title", "page=2", "completed=true"])
def test_the_list_takes_no_query_arguments(root, query):
    status, _, error = root("GET", f"{ROOT}?{query}")
    assert status == 400
    assert error["message"] == {query.split("=")[0]: "Unknown query argument"}


def test_a_todo_sent_back_whole_keeps_its_url(root, todo):
    status, _, body = root("PATCH", todo["url"], {**todo, "url": "http://elsewhere/1",
                                                  "title": "renamed"})
    assert status == 200
    assert body == {**todo, "title": "renamed"}


@pytest.mark.parametrize("raw, status", [(b"{", 400), (b"[]", 400), (b'"x"', 400)])
def test_bodies_that_are_not_objects_are_refused(root, raw, status):
    assert root("POST", raw=raw)[0] == status


# ----------------------------------------------------------------- the public account

def test_the_public_account_serves_requests_with_no_credentials(run_server):
    _, port, _ = run_server("--store", "memory://", env={"TODO_BACKEND_PUBLIC_USER": "miguel"})
    status, _, todo = call(port, "POST", body={"title": "public"}, headers={})
    assert status == 201
    assert [t["title"] for t in call(port, "GET", headers={})[2]] == \
        ["Buy groceries", "Learn Python", "public"]
    # It is the demo account's list, which its credentials show too.
    assert call(port, "GET", headers=MIGUEL)[2] == call(port, "GET", headers={})[2]
    # Wrong credentials are still refused, and the main API still needs good ones.
    assert call(port, "GET", headers=basic("miguel", "wrong"))[0] == 401
    assert call(port, "GET", "/todo/api/v1.0/tasks", headers={})[0] == 401


def test_with_a_public_account_other_users_still_get_their_own_list(run_server):
    _, port, _ = run_server("--store", "memory://", env={
        "TODO_BACKEND_PUBLIC_USER": "miguel", "TODO_REGISTRATION": "open"})
    status, _, _ = call(port, "POST", "/todo/api/v1.0/users",
                        {"username": "bob", "password": "bob-secret"}, headers={})
    assert status == 201
    bob = basic("bob", "bob-secret")
    status, _, token = call(port, "POST", "/todo/api/v1.0/tokens", headers=bob)
    assert status == 200
    assert call(port, "POST", body={"title": "bob's"}, headers=bob)[0] == 201
    for credentials in (bob, {"Authorization": f"Bearer {token['token']}"}):
        assert [t["title"] for t in call(port, "GET", headers=credentials)[2]] == ["bob's"]
    assert "bob's" not in [t["title"] for t in call(port, "GET", headers={})[2]]


def test_a_request_never_acts_as_the_user_of_an_earlier_one(store_url):
    """Requests that share one app context (as in a test, or an embedding app) each
    act as their own caller: neither the public account nor a user carries over."""
    app = create_app({"STORE": store_url, "DEMO": True, "BACKEND_PUBLIC_USER": "miguel",
                      "REGISTRATION": "open", "PASSWORD_HASH": CHEAP_HASH_METHOD})
    client = app.test_client()
    with app.app_context():
        assert client.post("/todo/api/v1.0/users", json={
            "username": "bob", "password": "bob-secret"}).status_code == 201
        bob = basic("bob", "bob-secret")
        assert client.get(ROOT).status_code == 200                  # as miguel
        assert client.post("/todo/api/v1.0/tasks", json={"title": "bob's"},
                           headers=bob).status_code == 201           # as bob
        assert [t["title"] for t in client.get(ROOT, headers=bob).json] == ["bob's"]
        assert "bob's" not in [t["title"] for t in client.get(ROOT).json]


def test_a_public_account_that_does_not_exist_stops_the_start():
    with pytest.raises(ConfigError, match="TODO_BACKEND_PUBLIC_USER is 'nobody'"):
        create_app({"STORE": "memory://", "BACKEND_PUBLIC_USER": "nobody"})
