"""The store contract for queries and conditional writes, over every backend."""

import pytest

from todo.store import VersionMismatch


@pytest.fixture
def owner(any_store):
    return any_store.add_user("owner", "h")["id"]


@pytest.fixture
def tasks(any_store, owner):
    """Six tasks, by title: (title, description, done)."""
    rows = [("Buy groceries", "Milk, Cheese", False), ("buy a bike", "", True),
            ("Learn Python", "find a TUTORIAL", False), ("Ébauche", "brouillon", True),
            ("100% done", "with_underscore", False), ("Read a book", "maybe python", True)]
    return {title: any_store.add_task(owner, title, description, done)
            for title, description, done in rows}


def titles(page):
    return [t["title"] for t in page[0]]


def test_by_default_the_first_100_in_id_order_and_the_total(any_store, owner, tasks):
    assert any_store.find_tasks(owner) == (list(tasks.values()), 6)


def test_offset_and_limit_page_through(any_store, owner, tasks):
    every = list(tasks.values())
    assert any_store.find_tasks(owner, offset=0, limit=4) == (every[:4], 6)
    assert any_store.find_tasks(owner, offset=4, limit=4) == (every[4:], 6)
    assert any_store.find_tasks(owner, offset=10, limit=4) == ([], 6)
    assert any_store.find_tasks(owner, limit=None) == (every, 6)


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
    # Text indexes (trigrams) look up three characters or more: shorter needles, and
    # needles holding what their query languages treat specially, still match literally.
    ({"q": "py"}, ["Learn Python", "Read a book"]),
    ({"q": "h_u"}, ["100% done"]),
    ({"q": "0% d"}, ["100% done"]),
    ({"q": 'a "b'}, []),
    ({"q": "\\"}, []),
    ({"q": "ÉBAU"}, ["Ébauche"]),
    ({"startswith": "read a book"}, ["Read a book"]),
    ({"startswith": "read a book!"}, []),
    ({"startswith": "bux"}, []),
])
def test_filters_ignore_case_take_text_literally_and_combine(any_store, owner, tasks, query,
                                                             expected):
    page = any_store.find_tasks(owner, **query)
    assert titles(page) == expected
    assert page[1] == len(expected)


def test_filters_combine_with_paging_and_the_total(any_store, owner, tasks):
    assert any_store.find_tasks(owner, done=False, offset=1, limit=1) == (
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
def test_sorting_by_several_keys(any_store, owner, tasks, sort, expected):
    assert titles(any_store.find_tasks(owner, sort=sort)) == expected


def test_equal_titles_fall_back_to_id_order(any_store, owner):
    ids = [any_store.add_task(owner, title)["id"] for title in ("same", "SAME", "Same")]
    assert [t["id"] for t in any_store.find_tasks(owner, sort=(("title", False),))[0]] == ids


def test_queries_see_only_the_owners_tasks(any_store, owner, tasks):
    other = any_store.add_user("other", "h")["id"]
    milk = any_store.add_task(other, "Buy milk")
    assert any_store.find_tasks(other) == ([milk], 1)
    assert any_store.find_tasks(other, startswith="buy") == ([milk], 1)
    assert titles(any_store.find_tasks(owner, startswith="buy")) == ["Buy groceries", "buy a bike"]


def test_the_total_follows_adds_deletes_and_user_removal(any_store, owner, tasks):
    any_store.delete_task(owner, tasks["Ébauche"]["id"])
    any_store.add_task(owner, "new")
    assert any_store.find_tasks(owner, limit=1)[1] == 6
    any_store.remove_user("owner")
    assert any_store.find_tasks(owner) == ([], 0)


def test_update_with_the_current_version_succeeds(any_store, owner):
    task = any_store.add_task(owner, "t")
    assert any_store.update_task(owner, task["id"], {"done": True}, versions={1})["version"] == 2


@pytest.mark.parametrize("versions", [{2}, set(), {0, 5}])
def test_update_with_a_stale_version_changes_nothing(any_store, owner, versions):
    task = any_store.add_task(owner, "t")
    with pytest.raises(VersionMismatch):
        any_store.update_task(owner, task["id"], {"done": True}, versions=versions)
    assert any_store.get_task(owner, task["id"]) == task


def test_delete_with_versions(any_store, owner):
    task = any_store.add_task(owner, "t")
    with pytest.raises(VersionMismatch):
        any_store.delete_task(owner, task["id"], versions={7})
    assert any_store.get_task(owner, task["id"]) == task
    assert any_store.delete_task(owner, task["id"], versions={1, 7}) is True


def test_a_missing_task_is_missing_whatever_the_versions(any_store, owner):
    assert any_store.update_task(owner, 424242, {"done": True}, versions={1}) is None
    assert any_store.delete_task(owner, 424242, versions={1}) is False


def test_a_prefix_is_found_by_code_point_next_to_the_largest_and_the_surrogates(any_store, owner):
    for title in ("a\U0010ffffz", "a\U0010ffff", "b", "\ud7ffx", "\ue000"):
        any_store.add_task(owner, title)
    assert titles(any_store.find_tasks(owner, startswith="a\U0010ffff")) == [
        "a\U0010ffffz", "a\U0010ffff"]
    assert titles(any_store.find_tasks(owner, startswith="\ud7ff")) == ["\ud7ffx"]


def test_text_search_follows_changes_and_deletes(any_store, owner, tasks):
    learn = tasks["Learn Python"]
    any_store.update_task(owner, learn["id"], {"title": "Learn Rust", "description": "soon"})
    assert titles(any_store.find_tasks(owner, q="python")) == ["Read a book"]
    assert titles(any_store.find_tasks(owner, q="rust")) == ["Learn Rust"]
    any_store.delete_task(owner, tasks["Read a book"]["id"])
    assert any_store.find_tasks(owner, q="python") == ([], 0)


def test_done_totals_follow_changes_deletes_and_user_removal(any_store, owner, tasks):
    def totals():
        return (any_store.find_tasks(owner, done=True, limit=1)[1],
                any_store.find_tasks(owner, done=False, limit=1)[1])
    assert totals() == (3, 3)
    any_store.update_task(owner, tasks["Buy groceries"]["id"], {"done": True})
    any_store.update_task(owner, tasks["buy a bike"]["id"], {"done": True})   # no change
    assert totals() == (4, 2)
    any_store.delete_task(owner, tasks["Ébauche"]["id"])
    any_store.add_task(owner, "new", done=True)
    any_store.add_task(owner, "newer")
    assert totals() == (4, 3)
    any_store.remove_user("owner")
    assert totals() == (0, 0)


@pytest.mark.parametrize("query", [
    {}, {"done": False}, {"sort": (("title", True),)}, {"sort": (("done", True), ("title", False))},
    {"q": "o"}, {"startswith": "b", "sort": (("id", True),)},
])
def test_every_page_is_its_slice_of_the_whole_list(any_store, owner, tasks, query):
    """Pages past the middle are read from the end: they are still the same slices."""
    every, total = any_store.find_tasks(owner, limit=None, **query)
    for limit in (1, 2, 4):
        for offset in range(total + 2):
            assert any_store.find_tasks(owner, offset=offset, limit=limit, **query) == (
                every[offset:offset + limit], total), (offset, limit)
