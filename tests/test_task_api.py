"""TaskAPI at /todo/api/v1.0/tasks/<id>: GET, PUT (partial update) and DELETE one task."""

import pytest

from support import TASKS, task_url


@pytest.fixture
def task(client, alice):
    """A task of alice's, as the API shows it."""
    response = client.post(TASKS, json={"title": "Learn Python",
                                        "description": "Find a good tutorial"}, headers=alice)
    return response.get_json()["task"]


def test_get_one(client, alice, task):
    response = client.get(task["uri"], headers=alice)
    assert response.status_code == 200
    assert response.get_json() == {"task": task}


def test_head_answers_what_get_would_without_the_body(client, alice, task):
    got, head = client.get(task["uri"], headers=alice), client.head(task["uri"], headers=alice)
    assert head.status_code == 200
    assert head.headers["ETag"] == got.headers["ETag"]
    assert head.data == b""


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_a_missing_task_is_a_json_404(client, alice, method):
    kwargs = {"json": {"done": True}} if method == "put" else {}
    response = getattr(client, method)(f"{TASKS}/999", headers=alice, **kwargs)
    assert response.status_code == 404
    assert response.mimetype == "application/json"
    assert response.get_json() == {"error": "Not found"}


@pytest.mark.parametrize("body, changed", [
    ({"done": True}, {"done": True}),
    ({"title": "Learn Flask"}, {"title": "Learn Flask"}),
    ({"title": "  padded  "}, {"title": "padded"}),
    ({"description": ""}, {"description": ""}),
    ({"title": "a", "description": "b", "done": True}, {"title": "a", "description": "b",
                                                        "done": True}),
    ({}, {}),
])
def test_put_changes_only_the_fields_sent(client, alice, task, body, changed):
    response = client.put(task["uri"], json=body, headers=alice)
    assert response.status_code == 200
    assert response.get_json() == {"task": {**task, **changed}}
    assert client.get(task["uri"], headers=alice).get_json() == {"task": {**task, **changed}}


def test_put_can_undo_done(client, alice, task):
    client.put(task["uri"], json={"done": True}, headers=alice)
    response = client.put(task["uri"], json={"done": False}, headers=alice)
    assert response.get_json()["task"]["done"] is False


def test_put_ignores_the_read_only_fields_a_client_sends_back(client, alice, task):
    body = {**task, "done": True, "id": 12345, "uri": "http://elsewhere/tasks/1"}
    response = client.put(task["uri"], json=body, headers=alice)
    assert response.status_code == 200
    assert response.get_json() == {"task": {**task, "done": True}}


@pytest.mark.parametrize("body, errors", [
    ({"done": "false"}, {"done": "Must be true or false, not a string"}),
    ({"done": 1}, {"done": "Must be true or false, not a number"}),
    ({"done": None}, {"done": "Must be true or false, not null"}),
    ({"title": None}, {"title": "Must be a string, not null"}),
    ({"title": ""}, {"title": "Must not be empty"}),
    ({"title": 5}, {"title": "Must be a string, not a number"}),
    ({"title": "x" * 201}, {"title": "Must be at most 200 characters"}),
    ({"description": []}, {"description": "Must be a string, not an array"}),
    ({"descripton": "typo"}, {"descripton": "Unknown field"}),
    ({"title": "ok", "done": "yes"}, {"done": "Must be true or false, not a string"}),
])
def test_put_with_bad_fields_changes_nothing(client, alice, task, body, errors):
    response = client.put(task["uri"], json=body, headers=alice)
    assert response.status_code == 400
    assert response.get_json() == {"error": "Bad request", "message": errors}
    assert client.get(task["uri"], headers=alice).get_json() == {"task": task}


def test_delete(client, alice, task):
    response = client.delete(task["uri"], headers=alice)
    assert response.status_code == 200
    assert response.get_json() == {"result": True}
    assert client.get(task["uri"], headers=alice).status_code == 404
    assert client.delete(task["uri"], headers=alice).status_code == 404


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_another_users_task_is_not_found(client, alice, bob, task, method):
    kwargs = {"json": {"title": "mine now"}} if method == "put" else {}
    response = getattr(client, method)(task["uri"], headers=bob, **kwargs)
    assert response.status_code == 404
    assert response.get_json() == {"error": "Not found"}
    assert client.get(task["uri"], headers=alice).get_json() == {"task": task}


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_an_id_too_large_for_any_database_is_a_404(client, alice, method):
    kwargs = {"json": {"id": 1}} if method == "put" else {}
    response = getattr(client, method)(f"{TASKS}/{10**24}", headers=alice, **kwargs)
    assert response.status_code == 404


@pytest.mark.parametrize("path", ["abc", "1.5", "-1", "1/extra", ""])
def test_non_integer_ids_and_odd_paths_are_json_404s(client, alice, path):
    response = client.get(f"{TASKS}/{path}", headers=alice)
    assert response.status_code == 404
    assert response.get_json()["error"] == "Not found"


def test_the_uri_is_absolute_and_points_at_the_task(client, alice, task, store, user_id):
    task_id = int(task["uri"].rsplit("/", 1)[1])
    assert task["uri"] == task_url(task_id)
    assert store.get_task(user_id("alice"), task_id)["title"] == task["title"]
