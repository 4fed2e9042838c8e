"""Every failure is a JSON error of one shape, with the right status."""

import pytest

from support import TASKS, basic
from todo.store import StoreUnavailable


def assert_json_error(response, status, error):
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["error"] == error
    assert set(body) <= {"error", "message"}
    return body


@pytest.mark.parametrize("credentials", [{}, basic("alice", "alice-secret")])
@pytest.mark.parametrize("path", ["/todo", "/todo/api/v1.0", "/todo/api/v2.0/tasks",
                                  f"{TASKS}/abc", f"{TASKS}/1/done", "/favicon.ico"])
def test_unknown_urls_are_json_404s_whatever_the_credentials(client, path, credentials):
    assert_json_error(client.get(path, headers=credentials), 404, "Not found")


def test_doubled_slashes_are_an_unknown_url_in_json(client, alice):
    # Werkzeug would redirect to the merged URL with an HTML body.
    response = client.get("/todo//api/v1.0//tasks", headers=alice)
    assert_json_error(response, 404, "Not found")
    assert "Location" not in response.headers


@pytest.mark.parametrize("credentials", [{}, basic("alice", "alice-secret")])
@pytest.mark.parametrize("method, path, allowed", [
    ("patch", TASKS, {"GET", "HEAD", "OPTIONS", "POST"}),
    ("delete", TASKS, {"GET", "HEAD", "OPTIONS", "POST"}),
    ("put", TASKS, {"GET", "HEAD", "OPTIONS", "POST"}),
    ("post", f"{TASKS}/1", {"GET", "HEAD", "OPTIONS", "PUT", "DELETE"}),
])
def test_undefined_methods_are_json_405s_with_allow(client, method, path, allowed, credentials):
    response = getattr(client, method)(path, headers=credentials)
    body = assert_json_error(response, 405, "Method not allowed")
    assert "message" in body
    methods = response.headers["Allow"].split(", ")
    assert set(methods) >= allowed
    assert methods == sorted(methods)   # the same answer in every process


@pytest.mark.parametrize("method, path", [("post", TASKS), ("put", f"{TASKS}/1")])
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", None])
def test_bodies_that_are_not_json_are_415(client, alice, method, path, content_type):
    headers = dict(alice)
    if content_type:
        headers["Content-Type"] = content_type
    response = getattr(client, method)(path, data=b'{"title": "x"}', headers=headers)
    body = assert_json_error(response, 415, "Unsupported media type")
    assert "application/json" in body["message"]


@pytest.mark.parametrize("method, path", [("post", TASKS), ("put", f"{TASKS}/1")])
def test_no_body_at_all_is_415(client, alice, method, path):
    assert_json_error(getattr(client, method)(path, headers=alice), 415, "Unsupported media type")


def test_json_with_a_charset_is_fine(client, alice):
    response = client.post(TASKS, data='{"title": "ünï"}'.encode(), headers=alice,
                           content_type="application/json; charset=utf-8")
    assert response.status_code == 201


@pytest.mark.parametrize("body", [
    b"{", b'{"title": }', b"{'title': 'x'}", b'{"title": "x",}', b'{"title": "\xff\xfe"}',
    b'{"title": NaN}', b'{"title": "x", "done": Infinity}', b"[" * 100_000,
    b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
])
def test_malformed_json_is_400(client, alice, store, body):
    response = client.post(TASKS, data=body, content_type="application/json", headers=alice)
    body = assert_json_error(response, 400, "Bad request")
    assert body["message"] == "The request body is not valid JSON"


@pytest.mark.parametrize("body", [b"[1, 2]", b'"x"', b"42", b"true", b"null", b"[]",
                                  b'[{"title": "x"}]'])
@pytest.mark.parametrize("method, path", [("post", TASKS), ("put", "task")])
def test_json_that_is_not_an_object_is_400(client, alice, body, method, path):
    if path == "task":
        path = client.post(TASKS, json={"title": "t"}, headers=alice).headers["Location"]
    response = getattr(client, method)(path, data=body, content_type="application/json",
                                       headers=alice)
    body = assert_json_error(response, 400, "Bad request")
    assert body["message"] == "The request body must be a JSON object"


def test_a_body_over_one_mib_is_413(client, alice):
    body = b'{"title": "' + b"x" * (1024 * 1024) + b'"}'
    response = client.post(TASKS, data=body, content_type="application/json", headers=alice)
    assert_json_error(response, 413, "Payload too large")
    assert client.get(TASKS, headers=alice).get_json() == {"tasks": []}


def test_a_body_just_under_one_mib_is_read(client, alice):
    body = b'{"title": "t", "id": "' + b"x" * (1024 * 1024 - 40) + b'"}'
    response = client.post(TASKS, data=body, content_type="application/json", headers=alice)
    assert response.status_code == 201


@pytest.fixture
def broken(app, store, monkeypatch):
    """Make listing tasks blow up the way a bug would."""
    def explode(*args, **kwargs):
        raise RuntimeError("secret internal detail")
    monkeypatch.setattr(store, "find_tasks", explode)


@pytest.mark.parametrize("debug", [False, True])
def test_a_bug_is_a_json_500_without_details(app, client, alice, broken, debug, caplog):
    app.debug = debug
    response = client.get(TASKS, headers=alice)
    assert_json_error(response, 500, "Internal server error")
    assert b"secret internal detail" not in response.data
    assert b"Traceback" not in response.data
    assert "secret internal detail" in caplog.text   # logged for the operator


def test_a_store_that_went_away_is_a_503(client, alice, store, monkeypatch):
    def unavailable(*args, **kwargs):
        raise StoreUnavailable("connection refused")
    monkeypatch.setattr(store, "find_tasks", unavailable)
    response = client.get(TASKS, headers=alice)
    assert_json_error(response, 503, "Service unavailable")
    assert response.headers["Retry-After"]


def test_success_and_error_bodies_are_formatted_alike(client, alice):
    ok = client.post(TASKS, json={"title": "t"}, headers=alice).data
    error = client.get(f"{TASKS}/999", headers=alice).data
    for body in (ok, error):
        assert b": " not in body and b", " not in body   # compact
        assert body.endswith(b"}\n")
