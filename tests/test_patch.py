"""PATCH /todo/api/v1.0/tasks/<id>: JSON merge patch (RFC 7396)."""

import pytest

from support import TASKS

MERGE_PATCH = "application/merge-patch+json"


@pytest.fixture
def task(client, alice):
    response = client.post(TASKS, json={"title": "Learn Python", "description": "soon"},
                           headers=alice)
    return response.get_json()["task"]


@pytest.mark.parametrize("content_type", [MERGE_PATCH, "application/json"])
@pytest.mark.parametrize("patch, changed", [
    ({"done": True}, {"done": True}),
    ({"title": " Learn Flask "}, {"title": "Learn Flask"}),
    ({"description": None}, {"description": ""}),
    ({"description": "later", "done": True}, {"description": "later", "done": True}),
    ({}, {}),
    ({"uri": "ignored", "id": 1}, {}),
])
def test_members_replace_and_a_null_description_clears(client, alice, task, content_type,
                                                       patch, changed):
    response = client.patch(task["uri"], json=patch, content_type=content_type, headers=alice)
    assert response.status_code == 200
    assert response.get_json() == {"task": {**task, **changed}}
    assert client.get(task["uri"], headers=alice).get_json() == {"task": {**task, **changed}}


@pytest.mark.parametrize("patch, errors", [
    ({"title": None}, {"title": "Must be a string, not null"}),
    ({"done": None}, {"done": "Must be true or false, not null"}),
    ({"done": "true"}, {"done": "Must be true or false, not a string"}),
    ({"title": ""}, {"title": "Must not be empty"}),
    ({"description": 5}, {"description": "Must be a string, not a number"}),
    ({"colour": "red"}, {"colour": "Unknown field"}),
])
def test_the_rules_of_put_apply(client, alice, task, patch, errors):
    response = client.patch(task["uri"], json=patch, content_type=MERGE_PATCH, headers=alice)
    assert response.status_code == 400
    assert response.get_json() == {"error": "Bad request", "message": errors}
    assert client.get(task["uri"], headers=alice).get_json() == {"task": task}


@pytest.mark.parametrize("content_type", ["application/json-patch+json", "text/plain", None])
def test_other_media_types_are_415_and_say_what_is_accepted(client, alice, task, content_type):
    headers = dict(alice)
    if content_type:
        headers["Content-Type"] = content_type
    response = client.patch(task["uri"], data=b'{"done": true}', headers=headers)
    assert response.status_code == 415
    assert response.headers["Accept-Patch"] == MERGE_PATCH
    assert MERGE_PATCH in response.get_json()["message"]


@pytest.mark.parametrize("method", ["get", "options", "put", "delete"])
def test_task_responses_advertise_accept_patch(client, alice, task, method):
    kwargs = {"json": {}} if method == "put" else {}
    response = getattr(client, method)(task["uri"], headers=alice, **kwargs)
    assert response.headers["Accept-Patch"] == MERGE_PATCH


def test_patch_on_someone_elses_task_is_404(client, bob, task):
    response = client.patch(task["uri"], json={"done": True}, content_type=MERGE_PATCH, headers=bob)
    assert response.status_code == 404


def test_patch_is_in_allow(client, task):
    assert "PATCH" in client.options(task["uri"]).headers["Allow"]
