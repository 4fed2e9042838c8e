"""The store contract for task order: every backend keeps each list in (order, id) order,
and a move writes the moved task and, only when there is no room, a few neighbours."""

import random
import threading

import pytest

from support import SHARED_STORES, on_stores
from todo.store import NoSuchNeighbour, VersionMismatch, open_store
from todo.store.ordering import GAP, MAX_ORDER, MIN_ORDER

BY_ORDER = [("order", False)]


@pytest.fixture
def owner(any_store):
    return any_store.add_user("owner", "h")["id"]


def titles(store, owner, sort=BY_ORDER):
    return [t["title"] for t in store.find_tasks(owner, sort=sort, limit=None)[0]]


def add(store, owner, *names, **kwargs):
    """Add tasks by title; return their ids by title."""
    return {name: store.add_task(owner, name, **kwargs)["id"] for name in names}


def versions(store, owner):
    return {t["id"]: t["version"] for t in store.list_tasks(owner)}


def rows_written(store, owner, move):
    """Run ``move()``; return how many tasks it wrote (each write bumps a version)."""
    before = versions(store, owner)
    move()
    after = versions(store, owner)
    return sum(after[i] != before[i] for i in before)


def test_new_tasks_go_last_gap_apart(any_store, owner):
    ids = add(any_store, owner, "a", "b", "c")
    assert [t["order"] for t in any_store.list_tasks(owner)] == [GAP, 2 * GAP, 3 * GAP]
    any_store.update_task(owner, ids["a"], {"order": 10 * GAP})
    assert any_store.add_task(owner, "d")["order"] == 11 * GAP
    assert titles(any_store, owner) == ["b", "c", "a", "d"]


def test_a_given_order_is_kept_and_ties_break_by_id(any_store, owner):
    add(any_store, owner, "first", order=5)
    add(any_store, owner, "early", order=-7)
    add(any_store, owner, "tied", order=5)
    assert titles(any_store, owner) == ["early", "first", "tied"]
    # Descending too, ids break ties in their own order: the one tie-breaker.
    assert titles(any_store, owner, [("order", True)]) == ["first", "tied", "early"]
    assert [t["order"] for t in any_store.find_tasks(owner, sort=BY_ORDER)[0]] == [-7, 5, 5]


def test_at_the_top_of_the_range_a_new_task_is_still_last(any_store, owner):
    add(any_store, owner, "top", order=MAX_ORDER - 1)
    add(any_store, owner, "next", "after")
    assert [t["order"] for t in any_store.list_tasks(owner)] == [MAX_ORDER - 1, MAX_ORDER,
                                                                  MAX_ORDER]
    assert titles(any_store, owner) == ["top", "next", "after"]


def test_changing_the_order_moves_the_task_and_its_version(any_store, owner):
    ids = add(any_store, owner, "a", "b", "c")
    task = any_store.update_task(owner, ids["c"], {"order": 1})
    assert (task["order"], task["version"]) == (1, 2)
    assert titles(any_store, owner) == ["c", "a", "b"]


@pytest.mark.parametrize("move, expected", [
    ({"after": "a"}, ["a", "d", "b", "c"]),
    ({"before": "a"}, ["d", "a", "b", "c"]),
    ({"after": "b"}, ["a", "b", "d", "c"]),
    ({"before": "c"}, ["a", "b", "d", "c"]),
    ({"after": "c"}, ["a", "b", "c", "d"]),
])
def test_a_move_puts_the_task_just_before_or_after_another(any_store, owner, move, expected):
    ids = add(any_store, owner, "a", "b", "c", "d")
    (side, other), = move.items()
    moved = any_store.move_task(owner, ids["d"], **{side: ids[other]})
    assert titles(any_store, owner) == expected
    assert moved == any_store.get_task(owner, ids["d"])


def test_a_move_to_where_the_task_is_writes_nothing(any_store, owner):
    ids = add(any_store, owner, "a", "b", "c")
    assert rows_written(any_store, owner,
                        lambda: any_store.move_task(owner, ids["b"], after=ids["a"])) == 0
    assert rows_written(any_store, owner,
                        lambda: any_store.move_task(owner, ids["b"], before=ids["c"])) == 0


def test_a_move_into_a_gap_writes_one_row_however_long_the_list(any_store, owner):
    ids = add(any_store, owner, *(f"t{n}" for n in range(300)))
    assert rows_written(any_store, owner,
                        lambda: any_store.move_task(owner, ids["t299"], after=ids["t0"])) == 1
    assert titles(any_store, owner)[:3] == ["t0", "t299", "t1"]


def test_moves_into_the_same_spot_respace_only_a_few_neighbours(any_store, owner):
    """The worst case of halving: each move lands in the gap the last one halved."""
    ids = add(any_store, owner, *(f"t{n}" for n in range(200)))
    written = []
    for n in range(60):
        moved = ids[f"t{199 - n}"]
        written.append(rows_written(any_store, owner,
                                    lambda: any_store.move_task(owner, moved, after=ids["t100"])))
    order = titles(any_store, owner)
    # Each one went just after t100, ahead of the ones moved before it.
    assert order[order.index("t100") + 1:][:60] == [f"t{140 + n}" for n in range(60)]
    assert max(written) <= 16
    assert sum(written) <= 2 * len(written)


def test_orders_a_client_set_one_apart_are_respaced_once_then_moves_write_a_row(any_store,
                                                                                owner):
    """No integer lies between 200 and 201: the first move that cannot tie respaces (up
    to the nearer end of the list, where there is room), and leaves room for the next."""
    names = [f"t{n}" for n in range(400)]
    ids = {name: any_store.add_task(owner, name, order=n)["id"] for n, name in enumerate(names)}
    written = []
    for n in range(30):
        moved = ids[names[-1 - n % 2]]
        written.append(rows_written(any_store, owner,
                                    lambda: any_store.move_task(owner, moved, after=ids["t200"])))
    # Each went just after t200, ahead of the other.
    assert titles(any_store, owner) == [*names[:201], "t398", "t399", *names[201:398]]
    respaces = [count for count in written if count > 2]
    assert len(respaces) == 1 and respaces[0] <= len(names)


def test_a_move_between_tied_tasks_follows_their_ids(any_store, owner):
    ids = add(any_store, owner, "a", "b", "c", order=7)
    add(any_store, owner, "z", order=7)
    any_store.move_task(owner, ids["c"], before=ids["a"])
    assert titles(any_store, owner) == ["c", "a", "b", "z"]
    any_store.move_task(owner, ids["c"], after=ids["b"])
    assert titles(any_store, owner) == ["a", "b", "c", "z"]


def test_moves_reach_the_ends_of_the_range(any_store, owner):
    ids = add(any_store, owner, "low", order=MIN_ORDER)
    ids.update(add(any_store, owner, "high", order=MAX_ORDER))
    ids.update(add(any_store, owner, "a", "b", order=0))
    any_store.move_task(owner, ids["a"], before=ids["low"])
    any_store.move_task(owner, ids["b"], after=ids["high"])
    assert titles(any_store, owner) == ["a", "low", "high", "b"]
    assert all(MIN_ORDER <= t["order"] <= MAX_ORDER for t in any_store.list_tasks(owner))


def test_random_moves_keep_every_task_once_in_the_order_asked(any_store, owner):
    rng = random.Random(15)
    names = [f"t{n}" for n in range(40)]
    ids = add(any_store, owner, *names)
    expected = list(names)
    for _ in range(150):
        moved, other = rng.sample(names, 2)
        side = rng.choice(["before", "after"])
        any_store.move_task(owner, ids[moved], **{side: ids[other]})
        expected.remove(moved)
        expected.insert(expected.index(other) + (side == "after"), moved)
    assert titles(any_store, owner) == expected


def test_a_move_needs_both_tasks_to_be_the_owners(any_store, owner):
    ids = add(any_store, owner, "a", "b")
    stranger = any_store.add_user("stranger", "h")["id"]
    theirs = any_store.add_task(stranger, "theirs")["id"]
    assert any_store.move_task(owner, theirs, after=ids["a"]) is None
    assert any_store.move_task(owner, 10**6, after=ids["a"]) is None
    with pytest.raises(NoSuchNeighbour) as refused:
        any_store.move_task(owner, ids["a"], after=theirs)
    assert refused.value.side == "after"
    with pytest.raises(NoSuchNeighbour):
        any_store.move_task(owner, ids["a"], before=2**70)
    assert titles(any_store, stranger) == ["theirs"]


def test_a_move_with_a_stale_version_changes_nothing(any_store, owner):
    ids = add(any_store, owner, "a", "b")
    with pytest.raises(VersionMismatch):
        any_store.move_task(owner, ids["b"], before=ids["a"], versions={7})
    assert titles(any_store, owner) == ["a", "b"]
    assert any_store.move_task(owner, ids["b"], before=ids["a"], versions={1})["version"] == 2


def test_deleting_a_list_takes_only_the_owners_tasks(any_store, owner):
    add(any_store, owner, "a", "b", "c")
    other = any_store.add_user("other", "h")["id"]
    add(any_store, other, "keep")
    assert any_store.delete_tasks(owner) == 3
    assert any_store.find_tasks(owner) == ([], 0)
    assert any_store.find_tasks(owner, done=False) == ([], 0)
    assert titles(any_store, other) == ["keep"]
    assert any_store.delete_tasks(owner) == 0
    assert any_store.add_task(owner, "again")["order"] == GAP


@on_stores(*SHARED_STORES)
def test_concurrent_moves_of_one_list_never_share_a_place(store_url):
    """Every move reads its neighbours and writes in one step, so moves at once into the
    same spot each land there, and no task is lost or left between them."""
    stores = [open_store(store_url) for _ in range(4)]
    try:
        owner = stores[0].add_user("owner", "h")["id"]
        ids = [stores[0].add_task(owner, f"t{n}")["id"] for n in range(40)]
        start = threading.Barrier(len(stores))
        failures = []

        def mover(store, moved):
            try:
                start.wait(timeout=10)
                for task_id in moved:
                    store.move_task(owner, task_id, after=ids[0])
            except Exception as exc:   # reported below, with the test's own assert
                failures.append(exc)
        threads = [threading.Thread(target=mover, args=(store, ids[30 + n::-4][:6]))
                   for n, store in enumerate(stores)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert failures == []
        tasks = stores[0].find_tasks(owner, sort=BY_ORDER, limit=None)[0]
        moved = {task_id for n in range(4) for task_id in ids[30 + n::-4][:6]}
        assert sorted(t["id"] for t in tasks) == ids
        # All of them landed just after the first task, ahead of every task not moved.
        assert {t["id"] for t in tasks[1:1 + len(moved)]} == moved
    finally:
        for store in stores:
            store.close()
