"""RFC 9457 problem details, for clients that ask for them."""

import pytest

from support import TASKS

PROBLEM = {"Accept": "application/problem+json"}


def test_a_field_error_as_problem_details(client, alice):
    response = client.post(TASKS, json={"done": "no"}, headers={**alice, **PROBLEM})
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert response.get_json() == {
        "type": "about:blank", "title": "Bad request", "status": 400,
        "detail": "Some inputs are not valid; see errors.",
        "errors": {"title": "No task title provided",
                   "done": "Must be true or false, not a string"}}


@pytest.mark.parametrize("path, headers, status, title", [
    (f"{TASKS}/999", "alice", 404, "Not found"),
    (TASKS, {}, 401, "Unauthorized access"),
    ("/nowhere", {}, 404, "Not found"),
])
def test_other_errors_as_problem_details(client, alice, path, headers, status, title):
    headers = alice if headers == "alice" else headers
    response = client.get(path, headers={**headers, **PROBLEM})
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert response.get_json() == {"type": "about:blank", "title": title, "status": status}


def test_a_sentence_is_the_detail(client, alice):
    response = client.post(TASKS, data=b"[]", content_type="application/json",
                           headers={**alice, **PROBLEM})
    assert response.get_json()["detail"] == "The request body must be a JSON object"


@pytest.mark.parametrize("accept", [None, "*/*", "application/json",
                                    "application/json, application/problem+json;q=0.5"])
def test_everyone_else_keeps_the_articles_shape(client, alice, accept):
    headers = {**alice, "Accept": accept} if accept else alice
    response = client.get(f"{TASKS}/999", headers=headers)
    assert response.mimetype == "application/json"
    assert response.get_json() == {"error": "Not found"}


def test_success_bodies_stay_json(client, alice):
    response = client.get(TASKS, headers={**alice, **PROBLEM})
    assert response.status_code == 200
    assert response.mimetype == "application/json"


@pytest.mark.parametrize("headers", [{}, PROBLEM])
def test_errors_say_they_vary_with_accept(client, alice, headers):
    response = client.get(f"{TASKS}/999", headers={**alice, **headers})
    assert response.status_code == 404
    assert "Accept" in response.vary


def test_successes_do_not_vary_with_accept(client, alice):
    assert "Accept" not in client.get(TASKS, headers=alice).vary
