"""TaskListAPI at /todo/api/v1.0/tasks: GET the caller's list, POST a new task."""

import pytest

from support import TASKS, task_url


def post(client, headers, body):
    return client.post(TASKS, json=body, headers=headers)


def test_an_empty_list(client, alice):
    response = client.get(TASKS, headers=alice)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() == {"tasks": []}


def test_the_list_shows_uris_not_ids_in_id_order(client, alice, store, user_id):
    first = store.add_task(user_id("alice"), "Buy groceries", "Milk, Cheese")
    second = store.add_task(user_id("alice"), "Learn Python", "", True)
    response = client.get(TASKS, headers=alice)
    assert response.get_json() == {"tasks": [
        {"title": "Buy groceries", "description": "Milk, Cheese", "done": False,
         "order": 1000, "uri": task_url(first["id"])},
        {"title": "Learn Python", "description": "", "done": True,
         "order": 2000, "uri": task_url(second["id"])},
    ]}


def test_the_uri_follows_the_request_host(client, alice, store, user_id):
    task = store.add_task(user_id("alice"), "t")
    response = client.get(TASKS, headers=alice, base_url="http://todo.example:8080")
    assert response.get_json()["tasks"][0]["uri"] == \
        f"http://todo.example:8080{TASKS}/{task['id']}"


def test_uris_follow_each_requests_host_inside_one_app_context(app, client, alice, store,
                                                              user_id):
    task = store.add_task(user_id("alice"), "t")
    with app.app_context():
        first = client.get(TASKS, headers=alice, base_url="http://one.example")
        second = client.get(TASKS, headers=alice, base_url="http://two.example")
    assert first.get_json()["tasks"][0]["uri"] == f"http://one.example{TASKS}/{task['id']}"
    assert second.get_json()["tasks"][0]["uri"] == f"http://two.example{TASKS}/{task['id']}"


def test_post_creates_a_task_with_the_articles_defaults(client, alice):
    response = post(client, alice, {"title": "Read a book"})
    assert response.status_code == 201
    task = response.get_json()["task"]
    assert task["title"] == "Read a book"
    assert task["description"] == ""
    assert task["done"] is False
    assert response.headers["Location"] == task["uri"]
    assert client.get(task["uri"], headers=alice).get_json() == {"task": task}


def test_post_accepts_every_field(client, alice):
    response = post(client, alice, {"title": "t", "description": "d", "done": True,
                                    "order": -7})
    assert response.status_code == 201
    assert response.get_json()["task"] == {
        "title": "t", "description": "d", "done": True, "order": -7,
        "uri": response.headers["Location"]}


def test_titles_are_stored_trimmed(client, alice):
    response = post(client, alice, {"title": "  Read a book \n"})
    assert response.get_json()["task"]["title"] == "Read a book"


def test_read_only_fields_sent_back_are_ignored(client, alice):
    response = post(client, alice, {"title": "t", "id": 999, "uri": "http://elsewhere/x"})
    assert response.status_code == 201
    assert not response.headers["Location"].endswith("/999")
    assert response.get_json()["task"]["uri"] == response.headers["Location"]


def test_each_new_task_gets_a_new_id_even_after_deleting_the_newest(client, alice):
    first = post(client, alice, {"title": "one"}).headers["Location"]
    second = post(client, alice, {"title": "two"}).headers["Location"]
    client.delete(second, headers=alice)
    third = post(client, alice, {"title": "three"}).headers["Location"]
    assert len({first, second, third}) == 3


def test_a_missing_title_gets_the_articles_message(client, alice):
    response = post(client, alice, {"description": "no title"})
    assert response.status_code == 400
    assert response.get_json() == {"error": "Bad request",
                                   "message": {"title": "No task title provided"}}


# Each row: a body, and the field errors it must produce.
BAD_BODIES = [
    ({"title": None}, {"title": "Must be a string, not null"}),
    ({"title": 123}, {"title": "Must be a string, not a number"}),
    ({"title": {"a": 1}}, {"title": "Must be a string, not an object"}),
    ({"title": ["x"]}, {"title": "Must be a string, not an array"}),
    ({"title": True}, {"title": "Must be a string, not a boolean"}),
    ({"title": ""}, {"title": "Must not be empty"}),
    ({"title": "   "}, {"title": "Must not be empty"}),
    ({"title": "x" * 201}, {"title": "Must be at most 200 characters"}),
    ({"title": "nul\x00"}, {"title": "Must be text without NUL characters or lone surrogates"}),
    ({"title": "half \ud83d"}, {"title": "Must be text without NUL characters or lone surrogates"}),
    ({"title": "t", "description": "\udc00"},
     {"description": "Must be text without NUL characters or lone surrogates"}),
    ({"title": "t", "description": None}, {"description": "Must be a string, not null"}),
    ({"title": "t", "description": 5}, {"description": "Must be a string, not a number"}),
    ({"title": "t", "description": "x" * 4001},
     {"description": "Must be at most 4000 characters"}),
    ({"title": "t", "done": "false"}, {"done": "Must be true or false, not a string"}),
    ({"title": "t", "done": "true"}, {"done": "Must be true or false, not a string"}),
    ({"title": "t", "done": 1}, {"done": "Must be true or false, not a number"}),
    ({"title": "t", "done": 0}, {"done": "Must be true or false, not a number"}),
    ({"title": "t", "done": None}, {"done": "Must be true or false, not null"}),
    ({"titel": "typo"}, {"titel": "Unknown field", "title": "No task title provided"}),
    ({"title": 1, "description": 2, "done": "no", "extra": 3},
     {"title": "Must be a string, not a number", "description": "Must be a string, not a number",
      "done": "Must be true or false, not a string", "extra": "Unknown field"}),
]


@pytest.mark.parametrize("body, errors", BAD_BODIES)
def test_bad_fields_are_all_reported_and_nothing_is_stored(client, alice, body, errors):
    response = post(client, alice, body)
    assert response.status_code == 400
    assert response.get_json() == {"error": "Bad request", "message": errors}
    assert client.get(TASKS, headers=alice).get_json() == {"tasks": []}


@pytest.mark.parametrize("title", ["x" * 200, " " + "x" * 200 + " ", "ünïcødé ✓ 中文",
                                   "astral \U0001F600"])
def test_limits_count_characters_after_trimming(client, alice, title):
    response = post(client, alice, {"title": title})
    assert response.status_code == 201
    assert response.get_json()["task"]["title"] == title.strip()


def test_a_long_description_at_the_limit_is_fine(client, alice):
    response = post(client, alice, {"title": "t", "description": "d" * 4000})
    assert response.status_code == 201


def test_a_user_sees_only_their_own_list(client, alice, bob):
    post(client, alice, {"title": "alice's"})
    post(client, bob, {"title": "bob's"})
    assert [t["title"] for t in client.get(TASKS, headers=alice).get_json()["tasks"]] == \
        ["alice's"]
    assert [t["title"] for t in client.get(TASKS, headers=bob).get_json()["tasks"]] == ["bob's"]


def test_head_answers_like_get_without_a_body(client, alice):
    get = client.get(TASKS, headers=alice)
    head = client.head(TASKS, headers=alice)
    assert head.status_code == 200
    assert head.data == b""
    assert head.headers["Content-Length"] == get.headers["Content-Length"]
