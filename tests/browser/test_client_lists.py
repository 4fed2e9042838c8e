"""Conflicts between two browsers, tasks deleted elsewhere, long lists and rendering."""

import pytest

from pages import expect, sign_in, task_item, Requests

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_two_browsers_editing_the_same_task(new_context, user, console):
    """Every change sends If-Match; a 412 re-reads and shows the newer version."""
    console.allow(412)
    uri = user.add("Shared task")
    first, second = new_context().new_page(), new_context().new_page()
    sign_in(first, user)
    sign_in(second, user)
    requests = Requests(second)

    # The first browser changes it; the second still shows the old title.
    first.get_by_role("button", name="Edit Shared task").click()
    first.get_by_role("textbox", name="Title", exact=True).fill("Changed in the first")
    first.get_by_role("textbox", name="Title", exact=True).press("Enter")
    expect(first.get_by_role("checkbox", name="Changed in the first")).to_be_visible()

    # The second reads the task before its first change, sees it changed, saves nothing.
    second.get_by_role("button", name="Edit Shared task").click()
    second.get_by_role("textbox", name="Title", exact=True).fill("Changed in the second")
    second.get_by_role("textbox", name="Title", exact=True).press("Enter")
    expect(second.get_by_role("status")).to_contain_text("was changed elsewhere")
    expect(second.get_by_role("textbox", name="Title", exact=True)).to_have_value(
        "Changed in the first")
    assert not any(method == "PUT" for method, _ in requests.seen)
    second.get_by_role("textbox", name="Title", exact=True).press("Escape")

    # Both now hold an ETag; the first changes it again, the second's PUT gets a 412.
    first.get_by_role("checkbox", name="Changed in the first").check()
    expect(first.get_by_text("0 items left")).to_be_visible()
    requests.clear()
    second.get_by_role("button", name="Delete Changed in the first").click()
    expect(second.get_by_role("status")).to_contain_text("“Changed in the first” was changed "
                                                        "elsewhere")
    expect(second.get_by_role("checkbox", name="Changed in the first")).to_be_checked()
    expect(second.get_by_text("0 items left")).to_be_visible()
    deletes = [path for method, path in requests.seen if method == "DELETE"]
    assert deletes == ["/" + uri]
    assert user.tasks()[0] == {**user.tasks()[0], "title": "Changed in the first", "done": True}

    # The same for a toggle: the second's ETag is stale, so its PUT gets a 412.
    first.get_by_role("checkbox", name="Changed in the first").uncheck()
    expect(first.get_by_text("1 item left")).to_be_visible()
    second.get_by_role("status").evaluate("node => node.textContent = ''")
    requests.clear()
    second.get_by_role("checkbox", name="Changed in the first").uncheck()
    expect(second.get_by_role("status")).to_contain_text("was changed elsewhere")
    expect(second.get_by_role("checkbox", name="Changed in the first")).not_to_be_checked()
    expect(second.get_by_text("1 item left")).to_be_visible()
    assert [(m, status) for m, _, status in requests.answers] == [("PUT", 412), ("GET", 200)]
    assert user.tasks()[0]["done"] is False


def test_a_task_deleted_elsewhere_leaves_the_list(page, user, console):
    console.allow(404)
    gone = user.add("Deleted elsewhere")
    user.add("Stays")
    sign_in(page, user)
    # Deleted only once it is shown: the list may still be loading when sign-in is done.
    expect(page.get_by_role("checkbox", name="Deleted elsewhere")).to_be_visible()
    user.call("DELETE", gone)
    # click(), not check(): the checkbox leaves with its task, and check() would wait
    # for it to come back to read its state.
    page.get_by_role("checkbox", name="Deleted elsewhere").click()
    expect(page.get_by_role("status")).to_have_text(
        "“Deleted elsewhere” was deleted elsewhere, so it has left the list.")
    expect(page.get_by_role("checkbox", name="Deleted elsewhere")).to_have_count(0)
    expect(page.get_by_text("1 item left")).to_be_visible()


def test_counter_comes_from_the_total_over_all_pages(page, user):
    user.add_many(150)
    sign_in(page, user)
    expect(page.get_by_text("150 items left")).to_be_visible()
    expect(page.get_by_role("checkbox", name="Task 100", exact=True)).to_be_visible()
    expect(page.get_by_role("checkbox", name="Task 101", exact=True)).to_have_count(0)


def test_long_lists_load_the_next_page_on_demand(page, user):
    user.add_many(230)
    sign_in(page, user)
    requests = Requests(page)
    more = page.get_by_role("button", name="Load more tasks")
    more.click()
    expect(page.get_by_role("checkbox", name="Task 200", exact=True)).to_be_visible()
    assert requests.seen == [("GET", "/tasks?sort=order&page=2")]
    more.click()
    expect(page.get_by_role("checkbox", name="Task 230", exact=True)).to_be_visible()
    expect(more).to_be_hidden()
    assert page.locator("#todo-list > li").count() == 230


def test_load_more_after_tasks_left_the_first_page_skips_none(page, user):
    user.add_many(105)
    sign_in(page, user, "/#/active")
    for n in (1, 2, 3):
        page.get_by_role("checkbox", name=f"Task {n}", exact=True).check()
        expect(page.get_by_role("checkbox", name=f"Task {n}", exact=True)).to_have_count(0)
    page.get_by_role("button", name="Load more tasks").click()
    expect(page.get_by_role("checkbox", name="Task 105", exact=True)).to_be_visible()
    shown = page.locator("#todo-list .title").all_text_contents()
    assert shown == [f"Task {n}" for n in range(4, 106)]


def test_toggling_one_of_a_thousand_re_renders_only_that_task(page, user):
    user.add_many(1000)
    sign_in(page, user)
    more = page.get_by_role("button", name="Load more tasks")
    for pages in range(2, 11):
        more.click()
        expect(page.locator("#todo-list > li")).to_have_count(100 * pages)
    expect(more).to_be_hidden()
    assert page.locator("#todo-list > li").count() == 1000
    # Mark every item node, and watch the list for every change.
    page.evaluate("""() => {
        for (const li of document.querySelectorAll('#todo-list > li')) li.marked = true;
        window.changed = new Set();
        new MutationObserver((records) => {
            for (const r of records) {
                const li = (r.target.nodeType === 1 ? r.target : r.target.parentElement)
                    .closest('#todo-list > li');
                window.changed.add(li ? li.querySelector('.title').textContent : 'the list');
            }
        }).observe(document.getElementById('todo-list'),
                   {subtree: true, childList: true, attributes: true, characterData: true});
    }""")
    handles = page.locator("#todo-list > li").element_handles()[495:505]
    page.get_by_role("checkbox", name="Task 500", exact=True).check()
    expect(page.get_by_text("999 items left")).to_be_visible()
    expect(task_item(page, "Task 500")).to_have_class("task completed")
    assert page.evaluate("[...document.querySelectorAll('#todo-list > li')]"
                         ".every((li) => li.marked === true)")
    assert page.evaluate("document.querySelectorAll('#todo-list > li').length") == 1000
    assert page.evaluate("[...window.changed]") == ["Task 500"]
    assert [h.evaluate("li => li.isConnected && li.marked") for h in handles] == [True] * 10
