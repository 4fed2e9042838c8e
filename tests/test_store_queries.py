"""The store contract for queries and conditional writes, over every backend."""

import pytest

from todo.store import VersionMismatch, open_store


@pytest.fixture
def store(store_url):
    store = open_store(store_url)
    yield store
    store.close()


@pytest.fixture
def owner(store):
    return store.add_user("owner", "h")["id"]


@pytest.fixture
def tasks(store, owner):
    """Six tasks, by title: (title, description, done)."""
    rows = [("Buy groceries", "Milk, Cheese", False), ("buy a bike", "", True),
            ("Learn Python", "find a TUTORIAL", False), ("Ébauche", "brouillon", True),
            ("100% done", "with_underscore", False), ("Read a book", "maybe python", True)]
    return {title: store.add_task(owner, title, description, done)
            for title, description, done in rows}


def titles(page):
    return [t["title"] for t in page[0]]


def test_by_default_the_first_100_in_id_order_and_the_total(store, owner, tasks):
    assert store.find_tasks(owner) == (list(tasks.values()), 6)


def test_offset_and_limit_page_through(store, owner, tasks):
    every = list(tasks.values())
    assert store.find_tasks(owner, offset=0, limit=4) == (every[:4], 6)
    assert store.find_tasks(owner, offset=4, limit=4) == (every[4:], 6)
    assert store.find_tasks(owner, offset=10, limit=4) == ([], 6)
    assert store.find_tasks(owner, limit=None) == (every, 6)


@pytest.mark.parametrize("query, expected", [
    ({"done": True}, ["buy a bike", "Ébauche", "Read a book"]),
    ({"done": False}, ["Buy groceries", "Learn Python", "100% done"]),
    ({"startswith": "buy"}, ["Buy groceries", "buy a bike"]),
    ({"startswith": "BUY G"}, ["Buy groceries"]),
    ({"startswith": "é"}, ["Ébauche"]),
    ({"startswith": "100%"}, ["100% done"]),
    ({"startswith": "_"}, []),
    ({"startswith": "%"}, []),
    ({"q": "python"}, ["Learn Python", "Read a book"]),
    ({"q": "tutorial"}, ["Learn Python"]),
    ({"q": "_"}, ["100% done"]),
    ({"q": "%"}, ["100% done"]),
    ({"q": "BROUILLON"}, ["Ébauche"]),
    ({"q": "python", "done": True}, ["Read a book"]),
    ({"startswith": "b", "q": "bike"}, ["buy a bike"]),
    ({"q": "nothing like this"}, []),
])
def test_filters_ignore_case_take_text_literally_and_combine(store, owner, tasks, query, expected):
    page = store.find_tasks(owner, **query)
    assert titles(page) == expected
    assert page[1] == len(expected)


def test_filters_combine_with_paging_and_the_total(store, owner, tasks):
    assert store.find_tasks(owner, done=False, offset=1, limit=1) == (
        [tasks["Learn Python"]], 3)


@pytest.mark.parametrize("sort, expected", [
    ((("id", True),), ["Read a book", "100% done", "Ébauche", "Learn Python", "buy a bike",
                       "Buy groceries"]),
    ((("title", False),), ["100% done", "buy a bike", "Buy groceries", "Learn Python",
                           "Read a book", "Ébauche"]),
    ((("title", True),), ["Ébauche", "Read a book", "Learn Python", "Buy groceries",
                          "buy a bike", "100% done"]),
    ((("done", False),), ["Buy groceries", "Learn Python", "100% done", "buy a bike",
                          "Ébauche", "Read a book"]),
    ((("done", True), ("title", False)), ["buy a bike", "Read a book", "Ébauche",
                                          "100% done", "Buy groceries", "Learn Python"]),
])
def test_sorting_by_several_keys(store, owner, tasks, sort, expected):
    assert titles(store.find_tasks(owner, sort=sort)) == expected


def test_equal_titles_fall_back_to_id_order(store, owner):
    ids = [store.add_task(owner, title)["id"] for title in ("same", "SAME", "Same")]
    assert [t["id"] for t in store.find_tasks(owner, sort=(("title", False),))[0]] == ids


def test_queries_see_only_the_owners_tasks(store, owner, tasks):
    other = store.add_user("other", "h")["id"]
    store.add_task(other, "Buy milk")
    assert store.find_tasks(other) == ([store.find_tasks(other)[0][0]], 1)
    assert store.find_tasks(owner, startswith="buy")[1] == 2


def test_the_total_follows_adds_deletes_and_user_removal(store, owner, tasks):
    store.delete_task(owner, tasks["Ébauche"]["id"])
    store.add_task(owner, "new")
    assert store.find_tasks(owner, limit=1)[1] == 6
    store.remove_user("owner")
    assert store.find_tasks(owner) == ([], 0)


def test_update_with_the_current_version_succeeds(store, owner):
    task = store.add_task(owner, "t")
    assert store.update_task(owner, task["id"], {"done": True}, versions={1})["version"] == 2


@pytest.mark.parametrize("versions", [{2}, set(), {0, 5}])
def test_update_with_a_stale_version_changes_nothing(store, owner, versions):
    task = store.add_task(owner, "t")
    with pytest.raises(VersionMismatch):
        store.update_task(owner, task["id"], {"done": True}, versions=versions)
    assert store.get_task(owner, task["id"]) == task


def test_delete_with_versions(store, owner):
    task = store.add_task(owner, "t")
    with pytest.raises(VersionMismatch):
        store.delete_task(owner, task["id"], versions={7})
    assert store.get_task(owner, task["id"]) == task
    assert store.delete_task(owner, task["id"], versions={1, 7}) is True


def test_a_missing_task_is_missing_whatever_the_versions(store, owner):
    assert store.update_task(owner, 424242, {"done": True}, versions={1}) is None
    assert store.delete_task(owner, 424242, versions={1}) is False
