"""Reordering in the web client: the Move up and Move down buttons, dragging with a
pointer, and the order kept by the server across reloads."""

import time

import pytest

from pages import expect, sign_in, task_item, Requests

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def titles(page):
    return page.get_by_role("list", name="Tasks").locator(".title")


def stored(user):
    return [task["title"] for task in user.tasks(sort="order")]


def test_move_buttons_reorder_from_the_keyboard(page, user):
    for title in ("First", "Second", "Third"):
        user.add(title)
    requests = Requests(page)
    sign_in(page, user)
    expect(titles(page)).to_have_text(["First", "Second", "Third"])
    expect(page.get_by_role("button", name="Move up First")).to_be_disabled()
    expect(page.get_by_role("button", name="Move down Third")).to_be_disabled()

    page.get_by_role("button", name="Move up Third").focus()
    page.keyboard.press("Enter")
    expect(titles(page)).to_have_text(["First", "Third", "Second"])
    expect(page.get_by_role("button", name="Move up Third")).to_be_focused()

    # Again, to the top: Move up can go no further, so the focus goes to Move down.
    page.keyboard.press("Enter")
    expect(titles(page)).to_have_text(["Third", "First", "Second"])
    expect(page.get_by_role("button", name="Move up Third")).to_be_disabled()
    expect(page.get_by_role("button", name="Move down Third")).to_be_focused()
    page.keyboard.press("Enter")
    expect(titles(page)).to_have_text(["First", "Third", "Second"])

    page.get_by_role("button", name="Move down First").click()
    expect(titles(page)).to_have_text(["Third", "First", "Second"])
    expect(page.get_by_role("button", name="Move down Second")).to_be_disabled()
    _wait_until_stored(user, ["Third", "First", "Second"], requests)

    page.reload()
    expect(titles(page)).to_have_text(["Third", "First", "Second"])


@pytest.mark.parametrize("half, expected", [
    ("top", ["First", "Third", "Second"]),
    ("bottom", ["First", "Second", "Third"]),
])
def test_dragging_puts_a_task_by_the_half_it_is_dropped_on(page, user, half, expected):
    for title in ("Third", "First", "Second"):
        user.add(title)
    sign_in(page, user)
    # "Third" goes from the top to just before, or just after, "Second".
    target = task_item(page, "Second")
    box = target.bounding_box()
    y = 3 if half == "top" else box["height"] - 3
    task_item(page, "Third").drag_to(target, target_position={"x": box["width"] / 2, "y": y})
    expect(titles(page)).to_have_text(expected)
    _wait_until_stored(user, expected)

    page.reload()
    expect(titles(page)).to_have_text(expected)


def test_dragging_an_item_onto_itself_changes_nothing(page, user):
    for title in ("First", "Second"):
        user.add(title)
    sign_in(page, user)
    requests = Requests(page)
    task_item(page, "First").drag_to(task_item(page, "First"))
    task_item(page, "First").drag_to(task_item(page, "Second"),
                                     target_position={"x": 20, "y": 3})
    expect(titles(page)).to_have_text(["First", "Second"])
    assert not [method for method, _ in requests.seen if method == "POST"]


def test_a_task_respaced_by_a_move_can_still_be_changed(page, user, console):
    """Three tasks of one order (ids break the tie) leave no room between them: the move
    rewrites neighbours too, with new versions, and the client reads their ETags afresh
    instead of meeting a 412."""
    console.allow(412)
    for title in ("First", "Second", "Third"):
        status, _, body = user.call("POST", "tasks", {"title": title, "order": 5})
        assert status == 201, body
    sign_in(page, user)
    page.get_by_role("checkbox", name="Second").check()   # the client holds its ETag now
    expect(page.get_by_text("2 items left")).to_be_visible()
    before = {task["title"]: task["order"] for task in user.tasks()}

    page.get_by_role("button", name="Move up Third").click()
    expect(titles(page)).to_have_text(["First", "Third", "Second"])
    _wait_until_stored(user, ["First", "Third", "Second"])
    after = {task["title"]: task["order"] for task in user.tasks()}
    assert after["Second"] != before["Second"] or after["First"] != before["First"]

    requests = Requests(page)
    page.get_by_role("checkbox", name="Second").uncheck()
    expect(page.get_by_text("3 items left")).to_be_visible()
    assert _wait_for(lambda: not any(task["done"] for task in user.tasks()))
    assert all(status != 412 for _, _, status in requests.answers)


def test_a_move_next_to_a_task_deleted_elsewhere_shows_the_list_as_it_is(page, user, console):
    console.allow(404)
    user.add("First")
    second = user.add("Second")
    sign_in(page, user)
    status, _, _ = user.call("DELETE", second)
    assert status == 200
    page.get_by_role("button", name="Move down First").click()
    expect(page.get_by_role("status")).to_contain_text("“Second” was deleted elsewhere")
    expect(titles(page)).to_have_text(["First"])


def _wait_for(condition, seconds=10):
    """Poll the server until ``condition()`` holds (a move is sent after it is shown)."""
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()


def _wait_until_stored(user, expected, requests=None):
    """Wait until the server lists ``expected`` in order; if it never does, say what it
    holds and what the page asked and was answered."""
    if not _wait_for(lambda: stored(user) == expected):
        held = [(task["title"], task["order"]) for task in user.tasks(sort="order")]
        answers = requests.answers if requests else "not recorded"
        assert stored(user) == expected, f"the server holds {held}; the page's answers: {answers}"
