"""A task's order in the main API: set it, change it, sort by it, and move a task."""

import pytest

from support import TASKS
from todo.store.ordering import MAX_ORDER, MIN_ORDER


def titles_in_order(client, headers):
    response = client.get(f"{TASKS}?sort=order", headers=headers)
    return [task["title"] for task in response.get_json()["tasks"]]


@pytest.fixture
def listed(client, alice):
    """alice's tasks a, b, c, d, added in that order; returns {title: id}."""
    ids = {}
    for title in "abcd":
        response = client.post(TASKS, json={"title": title}, headers=alice)
        ids[title] = int(response.headers["Location"].rsplit("/", 1)[1])
    return ids


def move(client, headers, task_id, body, **kwargs):
    return client.post(f"{TASKS}/{task_id}/move", json=body, headers=headers, **kwargs)


def test_new_tasks_go_last_a_gap_apart(client, alice, listed):
    tasks = client.get(TASKS, headers=alice).get_json()["tasks"]
    assert [task["order"] for task in tasks] == [1000, 2000, 3000, 4000]


def test_a_new_task_may_say_where_it_goes(client, alice, listed):
    response = client.post(TASKS, json={"title": "first", "order": 0}, headers=alice)
    assert response.status_code == 201
    assert response.get_json()["task"]["order"] == 0
    assert titles_in_order(client, alice) == ["first", "a", "b", "c", "d"]
    # The default sort is still by id, as in the articles.
    assert [t["title"] for t in client.get(TASKS, headers=alice).get_json()["tasks"]] == \
        ["a", "b", "c", "d", "first"]


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_put_and_patch_change_the_order(client, alice, listed, method):
    response = client.open(f"{TASKS}/{listed['d']}", method=method, json={"order": 1500},
                           headers=alice)
    assert response.status_code == 200
    assert response.get_json()["task"]["order"] == 1500
    assert titles_in_order(client, alice) == ["a", "d", "b", "c"]


def test_equal_orders_break_ties_by_id(client, alice, listed):
    client.put(f"{TASKS}/{listed['c']}", json={"order": 1000}, headers=alice)
    assert titles_in_order(client, alice) == ["a", "c", "b", "d"]
    assert client.get(f"{TASKS}?sort=-order", headers=alice).get_json()["tasks"][0]["title"] == "d"


@pytest.mark.parametrize("order", [MIN_ORDER, -1, 0, MAX_ORDER])
def test_orders_in_range_are_kept_exactly(client, alice, order):
    response = client.post(TASKS, json={"title": "t", "order": order}, headers=alice)
    assert response.get_json()["task"]["order"] == order


@pytest.mark.parametrize("sent, kept", [(3.0, 3), (-0.0, 0), (1e15, 10**15)])
def test_a_whole_number_written_with_a_point_is_that_integer(client, alice, sent, kept):
    # JSON has one kind of number: JavaScript and JSON Schema read 3.0 as the integer 3.
    response = client.post(TASKS, json={"title": "t", "order": sent}, headers=alice)
    assert response.status_code == 201
    order = response.get_json()["task"]["order"]
    assert order == kept and type(order) is int


@pytest.mark.parametrize("order, message", [
    (True, "Must be an integer, not a boolean"),
    (1.5, "Must be an integer, not a fraction"),
    (-0.25, "Must be an integer, not a fraction"),
    ("1", "Must be an integer, not a string"),
    (None, "Must be an integer, not null"),
    ([1], "Must be an integer, not an array"),
    (MAX_ORDER + 1, f"Must be an integer from {MIN_ORDER} to {MAX_ORDER}"),
    (MIN_ORDER - 1, f"Must be an integer from {MIN_ORDER} to {MAX_ORDER}"),
    (10**400, f"Must be an integer from {MIN_ORDER} to {MAX_ORDER}"),
    (2.0**60, f"Must be an integer from {MIN_ORDER} to {MAX_ORDER}"),
])
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
def test_an_order_must_be_a_json_integer_in_range(client, alice, listed, method, order,
                                                  message):
    url = TASKS if method == "POST" else f"{TASKS}/{listed['a']}"
    before = client.get(TASKS, headers=alice).get_json()
    response = client.open(url, method=method, json={"title": "x", "order": order},
                           headers=alice)
    assert response.status_code == 400
    assert response.get_json() == {"error": "Bad request", "message": {"order": message}}
    assert client.get(TASKS, headers=alice).get_json() == before


@pytest.mark.parametrize("title, body, expected", [
    ("d", {"before": "b"}, ["a", "d", "b", "c"]),
    ("d", {"before": "a"}, ["d", "a", "b", "c"]),
    ("a", {"after": "d"}, ["b", "c", "d", "a"]),
    ("a", {"after": "b"}, ["b", "a", "c", "d"]),
    ("b", {"after": "a"}, ["a", "b", "c", "d"]),   # already there
])
def test_a_move_puts_the_task_next_to_another(client, alice, listed, title, body, expected):
    (side, other), = body.items()
    response = move(client, alice, listed[title], {side: listed[other]})
    assert response.status_code == 200
    task = response.get_json()["task"]
    assert task["title"] == title
    assert response.headers["ETag"] == client.get(task["uri"], headers=alice).headers["ETag"]
    assert titles_in_order(client, alice) == expected


def test_a_move_writes_one_task_when_there_is_room(client, alice, listed, store, user_id):
    versions = {t["id"]: t["version"] for t in store.find_tasks(user_id("alice"))[0]}
    move(client, alice, listed["d"], {"after": listed["a"]})
    changed = [t["id"] for t in store.find_tasks(user_id("alice"))[0]
               if t["version"] != versions[t["id"]]]
    assert changed == [listed["d"]]


def test_moves_into_one_gap_keep_the_order_defined(client, alice, listed):
    # Twenty moves into the gap after a: the gap runs out, and the store respaces.
    for n in range(20):
        title = "bcd"[n % 3]
        assert move(client, alice, listed[title], {"after": listed["a"]}).status_code == 200
    orders = [t["order"] for t in client.get(f"{TASKS}?sort=order", headers=alice)
              .get_json()["tasks"]]
    assert orders == sorted(orders) and len(set(orders)) == 4
    assert titles_in_order(client, alice)[0] == "a"


@pytest.mark.parametrize("body, message", [
    ({}, "Give exactly one of before and after"),
    ({"before": 1, "after": 2}, "Give exactly one of before and after"),
    ({"before": "1"}, {"before": "Must be an integer, not a string"}),
    ({"after": None}, {"after": "Must be an integer, not null"}),
    ({"after": -1}, {"after": f"Must be an integer from 0 to {2**63 - 1}"}),
    ({"to": 1}, {"to": "Unknown field"}),
])
def test_a_move_names_exactly_one_other_task(client, alice, listed, body, message):
    response = move(client, alice, listed["a"], body)
    assert response.status_code == 400
    assert response.get_json() == {"error": "Bad request", "message": message}


@pytest.mark.parametrize("side", ["before", "after"])
def test_a_task_moved_next_to_itself_stays_where_it_is(client, alice, listed, side):
    etag = client.get(f"{TASKS}/{listed['b']}", headers=alice).headers["ETag"]
    response = move(client, alice, listed["b"], {side: listed["b"]})
    assert response.status_code == 200
    assert response.headers["ETag"] == etag
    assert titles_in_order(client, alice) == ["a", "b", "c", "d"]


def test_moving_a_task_that_does_not_exist_is_a_404(client, alice, listed):
    for other in (listed["a"], 10**12):
        assert move(client, alice, 10**12, {"after": other}).status_code == 404


def test_a_move_next_to_another_users_task_is_refused(client, alice, bob, listed):
    theirs = client.post(TASKS, json={"title": "bob's"}, headers=bob).get_json()["task"]
    other = int(theirs["uri"].rsplit("/", 1)[1])
    for side, other_id in (("before", other), ("after", 10**12)):
        response = move(client, alice, listed["a"], {side: other_id})
        assert response.status_code == 404
        assert response.get_json()["message"] == {side: "No such task of yours"}
    assert titles_in_order(client, alice) == ["a", "b", "c", "d"]


def test_moving_another_users_task_is_a_404(client, alice, bob, listed):
    response = move(client, bob, listed["a"], {"after": listed["b"]})
    assert response.status_code == 404
    assert titles_in_order(client, alice) == ["a", "b", "c", "d"]


def test_a_move_honours_if_match(client, alice, listed):
    etag = client.get(f"{TASKS}/{listed['a']}", headers=alice).headers["ETag"]
    client.patch(f"{TASKS}/{listed['a']}", json={"done": True}, headers=alice)
    stale = move(client, {**alice, "If-Match": etag}, listed["a"], {"after": listed["d"]})
    assert stale.status_code == 412
    current = client.get(f"{TASKS}/{listed['a']}", headers=alice).headers["ETag"]
    assert move(client, {**alice, "If-Match": current}, listed["a"],
                {"after": listed["d"]}).status_code == 200
    assert titles_in_order(client, alice) == ["b", "c", "d", "a"]


def test_a_move_needs_credentials(client, listed):
    assert move(client, {}, listed["a"], {"after": listed["b"]}).status_code == 401


@pytest.mark.parametrize("raw", ["1e400", "-1e400", "1e-400"])
def test_numbers_past_a_float_are_refused_or_read_as_written(client, alice, raw):
    # Python reads 1e400 as infinity and 1e-400 as 0.0: the first is out of range.
    response = client.post(TASKS, data=f'{{"title": "t", "order": {raw}}}',
                           content_type="application/json", headers=alice)
    if raw == "1e-400":
        assert response.get_json()["task"]["order"] == 0
    else:
        assert response.status_code == 400
        assert response.get_json()["message"] == {
            "order": f"Must be an integer from {MIN_ORDER} to {MAX_ORDER}"}
