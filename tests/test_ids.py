"""Ids in URLs: ASCII digits without leading zeros, so each task and account has one URL."""

import pytest
from flask import url_for

from support import TASKS
from todo import openapi
from todo.converters import ID_MAX

USERS = "/todo/api/v1.0/users"


def spellings(number):
    """Other ways to write ``number`` that int() would take, none of them ours."""
    digits = str(number)
    return [
        digits.translate({ord("0") + d: 0x0660 + d for d in range(10)}),   # Arabic-Indic
        digits.translate({ord("0") + d: 0xFF10 + d for d in range(10)}),   # full-width
        digits.translate({ord("0") + d: 0x0966 + d for d in range(10)}),   # Devanagari
        "0" + digits, "000" + digits, "+" + digits, digits + ".0", f" {digits}", f"{digits}_",
    ]


@pytest.fixture
def task_id(client, alice):
    response = client.post(TASKS, json={"title": "only one URL"}, headers=alice)
    return int(response.headers["Location"].rsplit("/", 1)[1])


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE", "HEAD"])
@pytest.mark.parametrize("index", range(9))
def test_a_task_id_spelled_otherwise_is_404(client, alice, task_id, method, index):
    path = f"{TASKS}/{spellings(task_id)[index]}"
    response = client.open(path, method=method, json={"title": "changed"}, headers=alice)
    assert response.status_code == 404
    got = client.get(f"{TASKS}/{task_id}", headers=alice)
    assert got.status_code == 200 and got.get_json()["task"]["title"] == "only one URL"


def test_a_percent_encoded_arabic_indic_digit_deletes_nothing(client, alice, task_id):
    # DELETE /tasks/%D9%A4 used to delete task 4.
    digit = "".join(f"%{byte:02X}" for byte in chr(0x0660 + task_id).encode())
    assert client.delete(f"{TASKS}/{digit}", headers=alice).status_code == 404
    assert client.get(f"{TASKS}/{task_id}", headers=alice).status_code == 200


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
@pytest.mark.parametrize("index", range(9))
def test_an_account_id_spelled_otherwise_is_404(client, alice, user_id, store, method, index):
    path = f"{USERS}/{spellings(user_id('alice'))[index]}"
    response = client.open(path, method=method, json={"password": "a new password"},
                           headers=alice)
    assert response.status_code == 404
    assert store.get_user("alice") is not None
    assert client.get(TASKS, headers=alice).status_code == 200   # the password is unchanged


@pytest.mark.parametrize("path", [f"{TASKS}/0", f"{TASKS}/{ID_MAX}", f"{TASKS}/{ID_MAX + 1}",
                                  f"{TASKS}/{'9' * 20}", f"{TASKS}/{'9' * 5000}",
                                  f"{TASKS}/-1", f"{USERS}/0", f"{USERS}/{'9' * 30}"])
def test_ids_out_of_range_are_404(client, alice, path):
    assert client.get(path, headers=alice).status_code == 404


def test_the_plain_spelling_still_works(client, alice, task_id, user_id):
    assert client.get(f"{TASKS}/{task_id}", headers=alice).status_code == 200
    assert client.get(f"{USERS}/{user_id('alice')}", headers=alice).status_code == 200


def test_uris_are_built_with_the_plain_spelling(memory_app):
    with memory_app.test_request_context():
        assert url_for("task", id=7) == f"{TASKS}/7"
        assert url_for("user", id=1234567890) == f"{USERS}/1234567890"


def test_the_openapi_document_describes_the_id_parameter(memory_app):
    document = openapi.build(memory_app)
    for path in (f"{TASKS}/{{id}}", f"{USERS}/{{id}}"):
        assert document["paths"][path]["parameters"] == [{
            "name": "id", "in": "path", "required": True, "example": 1,
            "schema": {"type": "integer", "minimum": 0, "maximum": ID_MAX}}]
