"""Conditional requests: ETags, If-None-Match (304) and If-Match (412)."""

import pytest

from support import SHARED_STORES, TASKS, on_stores
from todo import create_app


@pytest.fixture
def task(client, alice):
    return client.post(TASKS, json={"title": "t"}, headers=alice)


def test_reads_and_writes_carry_strong_etags(client, alice, task):
    uri = task.headers["Location"]
    assert task.headers["ETag"].startswith('"')
    get = client.get(uri, headers=alice)
    assert get.headers["ETag"] == task.headers["ETag"]
    put = client.put(uri, json={"done": True}, headers=alice)
    assert put.headers["ETag"] not in (get.headers["ETag"], None)
    assert client.get(uri, headers=alice).headers["ETag"] == put.headers["ETag"]
    assert client.get(TASKS, headers=alice).headers["ETag"].startswith('"')


@pytest.mark.parametrize("path", ["task", TASKS])
def test_if_none_match_with_the_current_tag_is_304_without_a_body(client, alice, task, path):
    path = task.headers["Location"] if path == "task" else path
    etag = client.get(path, headers=alice).headers["ETag"]
    for method in (client.get, client.head):
        response = method(path, headers={**alice, "If-None-Match": etag})
        assert response.status_code == 304
        assert response.data == b""
        assert response.headers["ETag"] == etag
    assert client.get(path, headers={**alice, "If-None-Match": f'"other", {etag}'}).status_code == 304
    assert client.get(path, headers={**alice, "If-None-Match": "*"}).status_code == 304


def test_a_changed_task_or_list_is_sent_again(client, alice, task):
    uri = task.headers["Location"]
    task_tag = client.get(uri, headers=alice).headers["ETag"]
    list_tag = client.get(TASKS, headers=alice).headers["ETag"]
    client.put(uri, json={"title": "changed"}, headers=alice)
    assert client.get(uri, headers={**alice, "If-None-Match": task_tag}).status_code == 200
    assert client.get(TASKS, headers={**alice, "If-None-Match": list_tag}).status_code == 200
    list_tag = client.get(TASKS, headers=alice).headers["ETag"]
    client.post(TASKS, json={"title": "another"}, headers=alice)
    assert client.get(TASKS, headers={**alice, "If-None-Match": list_tag}).status_code == 200


def test_the_list_tag_depends_on_the_query(client, alice, task):
    assert client.get(f"{TASKS}?per_page=5", headers=alice).headers["ETag"] != \
        client.get(TASKS, headers=alice).headers["ETag"]


@pytest.mark.parametrize("method, body", [("put", {"done": True}), ("patch", {"done": True}),
                                          ("delete", None), ("put", {})])
def test_writes_with_the_current_tag_succeed(client, alice, task, method, body):
    uri, etag = task.headers["Location"], task.headers["ETag"]
    kwargs = {"json": body} if body is not None else {}
    response = getattr(client, method)(uri, headers={**alice, "If-Match": etag}, **kwargs)
    assert response.status_code == 200


@pytest.mark.parametrize("method, body", [("put", {"done": True}), ("patch", {"done": True}),
                                          ("delete", None), ("put", {})])
@pytest.mark.parametrize("if_match", ["the old tag", "the current tag, weak", '"999-1"',
                                      '"garbage"', '""', '"", W/"x", "a#b"'])
def test_writes_with_a_stale_tag_are_412_and_change_nothing(client, alice, task, method, body,
                                                            if_match):
    uri = task.headers["Location"]
    client.put(uri, json={"title": "moved on"}, headers=alice)   # the first tag is now stale
    current = client.get(uri, headers=alice)
    if_match = {"the old tag": task.headers["ETag"],
                "the current tag, weak": "W/" + current.headers["ETag"]}.get(if_match, if_match)
    kwargs = {"json": body} if body is not None else {}
    response = getattr(client, method)(uri, headers={**alice, "If-Match": if_match}, **kwargs)
    assert response.status_code == 412
    assert response.get_json()["error"] == "Precondition failed"
    assert client.get(uri, headers=alice).get_json() == current.get_json()


def test_if_match_star_and_lists(client, alice, task):
    uri, etag = task.headers["Location"], task.headers["ETag"]
    assert client.put(uri, json={"done": True}, headers={**alice, "If-Match": "*"}).status_code == 200
    fresh = client.get(uri, headers=alice).headers["ETag"]
    response = client.put(uri, json={"done": False}, headers={**alice, "If-Match": f"{etag}, {fresh}"})
    assert response.status_code == 200


def test_a_missing_task_is_404_whatever_if_match_says(client, alice):
    response = client.put(f"{TASKS}/4242", json={"done": True}, headers={**alice, "If-Match": "*"})
    assert response.status_code == 404


def test_without_if_match_writes_are_unconditional_as_in_the_articles(client, alice, task):
    uri = task.headers["Location"]
    client.put(uri, json={"title": "one"}, headers=alice)
    assert client.put(uri, json={"title": "two"}, headers=alice).status_code == 200


@on_stores(*SHARED_STORES)
def test_two_processes_sharing_a_database_agree_on_tags(store_url, app, alice):
    other = create_app({"STORE": store_url})   # as a second server process would
    one, two = app.test_client(), other.test_client()
    created = one.post(TASKS, json={"title": "shared"}, headers=alice)
    uri, etag = created.headers["Location"], created.headers["ETag"]
    assert two.get(uri, headers=alice).headers["ETag"] == etag
    assert two.put(uri, json={"done": True}, headers={**alice, "If-Match": etag}).status_code == 200
    # The first server's client still holds the old tag: its write must fail.
    assert one.put(uri, json={"title": "lost?"}, headers={**alice, "If-Match": etag}).status_code == 412
    assert one.get(uri, headers=alice).get_json()["task"]["title"] == "shared"
    other.extensions["todo.store"].close()
