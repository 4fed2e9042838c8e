"""TaskListAPI's query string: pages, filters and sorting, with Link and X-Total-Count."""

import re

import pytest

from support import TASKS


@pytest.fixture
def many(store, user_id):
    """25 tasks of alice's: 'Task 01'..'Task 25', every third one done."""
    owner = user_id("alice")
    return [store.add_task(owner, f"Task {i:02d}", f"number {i}", i % 3 == 0)
            for i in range(1, 26)]


def links(response):
    """Parse the Link header into {rel: url}."""
    return {rel: url for url, rel in
            re.findall(r'<([^>]+)>; rel="([a-z]+)"', response.headers.get("Link", ""))}


def titles(response):
    return [t["title"] for t in response.get_json()["tasks"]]


def test_without_arguments_the_whole_small_list_as_before(client, alice, many):
    response = client.get(TASKS, headers=alice)
    assert len(titles(response)) == 25
    assert response.headers["X-Total-Count"] == "25"
    assert links(response) == {"first": f"http://localhost{TASKS}?page=1",
                               "last": f"http://localhost{TASKS}?page=1"}


def test_pages_with_links_that_keep_the_other_arguments(client, alice, many):
    response = client.get(f"{TASKS}?per_page=10&page=2&sort=-id", headers=alice)
    assert titles(response) == [f"Task {i:02d}" for i in range(15, 5, -1)]
    assert response.headers["X-Total-Count"] == "25"
    base = f"http://localhost{TASKS}?per_page=10&page={{}}&sort=-id"
    assert links(response) == {"first": base.format(1), "prev": base.format(1),
                               "next": base.format(3), "last": base.format(3)}


def test_the_last_page_has_no_next_and_the_first_no_prev(client, alice, many):
    first = client.get(f"{TASKS}?per_page=10", headers=alice)
    last = client.get(f"{TASKS}?per_page=10&page=3", headers=alice)
    assert set(links(first)) == {"first", "next", "last"}
    assert set(links(last)) == {"first", "prev", "last"}
    assert titles(last) == [f"Task {i}" for i in range(21, 26)]


def test_following_next_visits_every_task_once(client, alice, many):
    seen, url = [], f"{TASKS}?per_page=7"
    while url:
        response = client.get(url, headers=alice)
        seen += titles(response)
        url = links(response).get("next")
    assert seen == [f"Task {i:02d}" for i in range(1, 26)]


def test_a_page_past_the_end_is_empty_with_links_back(client, alice, many):
    response = client.get(f"{TASKS}?per_page=10&page=9", headers=alice)
    assert response.status_code == 200
    assert titles(response) == []
    assert links(response)["prev"].endswith("page=3")


@pytest.mark.parametrize("query, expected", [
    ("done=true", [f"Task {i:02d}" for i in range(3, 26, 3)]),
    ("done=false&per_page=3", ["Task 01", "Task 02", "Task 04"]),
    ("startswith=task%202", [f"Task {i}" for i in range(20, 26)]),
    ("q=NUMBER%2012", ["Task 12"]),
    ("q=number%201&done=true", ["Task 12", "Task 15", "Task 18"]),
    ("sort=-done,-id&per_page=4", ["Task 24", "Task 21", "Task 18", "Task 15"]),
    ("sort=title&per_page=2", ["Task 01", "Task 02"]),
    ("startswith=nothing", []),
])
def test_filters_and_sorting(client, alice, many, query, expected):
    assert titles(client.get(f"{TASKS}?{query}", headers=alice)) == expected


def test_the_total_counts_what_the_filters_keep(client, alice, many):
    response = client.get(f"{TASKS}?done=true&per_page=2", headers=alice)
    assert response.headers["X-Total-Count"] == "8"
    assert links(response)["last"].endswith("page=4")


@pytest.mark.parametrize("query, errors", [
    ("page=0", {"page": "Must be a whole number from 1 to 1000000000"}),
    ("page=-1", {"page": "Must be a whole number from 1 to 1000000000"}),
    ("page=abc", {"page": "Must be a whole number from 1 to 1000000000"}),
    ("page=1.5", {"page": "Must be a whole number from 1 to 1000000000"}),
    ("page=99999999999999999999999", {"page": "Must be a whole number from 1 to 1000000000"}),
    ("per_page=0", {"per_page": "Must be a whole number from 1 to 1000"}),
    ("per_page=1001", {"per_page": "Must be a whole number from 1 to 1000"}),
    ("per_page=", {"per_page": "Must be a whole number from 1 to 1000"}),
    ("done=yes", {"done": "Must be true or false"}),
    ("done=1", {"done": "Must be true or false"}),
    ("done=True", {"done": "Must be true or false"}),
    ("sort=priority", {"sort": "Unknown sort key 'priority'; use id, title, done, order, each "
                               "optionally prefixed with '-'"}),
    ("sort=id,", {"sort": "Unknown sort key ''; use id, title, done, order, each optionally "
                          "prefixed with '-'"}),
    ("q=" + "x" * 201, {"q": "Must be at most 200 characters"}),
    ("q=a%00b", {"q": "Must be text without NUL characters or lone surrogates"}),
    ("pgae=2", {"pgae": "Unknown query argument"}),
    ("page=1&page=2", {"page": "Given more than once"}),
    ("page=0&done=maybe&color=red", {"page": "Must be a whole number from 1 to 1000000000",
                                     "done": "Must be true or false",
                                     "color": "Unknown query argument"}),
])
def test_bad_arguments_are_400s_naming_them(client, alice, many, query, errors):
    response = client.get(f"{TASKS}?{query}", headers=alice)
    assert response.status_code == 400
    assert response.get_json() == {"error": "Bad request", "message": errors}


def test_the_largest_page_is_served(client, alice, many):
    response = client.get(f"{TASKS}?page=1000000000&per_page=1000", headers=alice)
    assert response.status_code == 200
    assert titles(response) == []


def test_arguments_need_credentials_first(client, many):
    assert client.get(f"{TASKS}?page=abc").status_code == 401


def test_per_page_is_capped_at_1000(client, alice, store, user_id):
    owner = user_id("alice")
    for i in range(1005):
        store.add_task(owner, f"t{i}")
    response = client.get(f"{TASKS}?per_page=1000", headers=alice)
    assert len(titles(response)) == 1000
    assert response.headers["X-Total-Count"] == "1005"
    assert len(titles(client.get(TASKS, headers=alice))) == 100
