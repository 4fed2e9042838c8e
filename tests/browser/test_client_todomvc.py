"""TodoMVC's behaviours (its app-spec and Cypress spec, one by one) on this API."""

import pytest

from pages import add_task, expect, sign_in, task_item, Requests

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def titles(page):
    return page.locator("#todo-list .title").all_text_contents()


# --- No todos

def test_no_tasks_hides_main_and_footer(signed_in):
    page = signed_in
    expect(page.get_by_role("checkbox", name="Mark all as complete")).to_be_hidden()
    expect(page.get_by_role("list", name="Tasks")).to_be_hidden()
    expect(page.get_by_role("link", name="All")).to_be_hidden()
    expect(page.get_by_text("Nothing to do yet")).to_be_visible()


# --- New todo

def test_new_task_is_focused_on_load(page, user):
    sign_in(page, user)
    page.reload()
    expect(page.get_by_role("textbox", name="New task")).to_be_focused()


def test_add_tasks_in_order_and_clear_the_field(signed_in, user):
    page = signed_in
    for title in ("Buy some cheese", "Feed the cat", "Book a doctors appointment"):
        add_task(page, title)
    assert titles(page) == ["Buy some cheese", "Feed the cat", "Book a doctors appointment"]
    assert [t["title"] for t in user.tasks()] == titles(page)
    expect(page.get_by_text("3 items left")).to_be_visible()


def test_add_trims_and_ignores_empty_input(signed_in, user):
    page = signed_in
    field = page.get_by_role("textbox", name="New task")
    field.fill("   ")
    field.press("Enter")
    expect(page.get_by_role("list", name="Tasks")).to_be_hidden()
    add_task(page, "   Buy milk   ")
    assert titles(page) == ["Buy milk"]
    assert [t["title"] for t in user.tasks()] == ["Buy milk"]


def test_add_with_a_description(signed_in, user):
    page = signed_in
    page.get_by_role("textbox", name="Details (optional)").fill("Two litres")
    add_task(page, "Buy milk")
    expect(task_item(page, "Buy milk")).to_contain_text("Two litres")
    expect(page.get_by_role("textbox", name="Details (optional)")).to_have_value("")
    assert user.tasks()[0]["description"] == "Two litres"


def test_main_and_footer_show_once_there_is_a_task(signed_in):
    page = signed_in
    add_task(page, "Buy milk")
    expect(page.get_by_role("checkbox", name="Mark all as complete")).to_be_visible()
    expect(page.get_by_role("link", name="All")).to_be_visible()


def test_the_list_shows_title_description_and_done(page, user):
    user.add("Buy groceries", "Milk, Cheese", done=True)
    user.add("Learn Python")
    sign_in(page, user)
    expect(task_item(page, "Buy groceries")).to_contain_text("Milk, Cheese")
    expect(page.get_by_role("checkbox", name="Buy groceries", exact=True)).to_be_checked()
    expect(page.get_by_role("checkbox", name="Learn Python")).not_to_be_checked()
    expect(task_item(page, "Learn Python").locator(".description")).to_be_hidden()


def test_field_errors_appear_next_to_their_input(signed_in, console):
    console.allow(400)
    page = signed_in
    field = page.get_by_role("textbox", name="New task")
    field.fill("x" * 201)
    field.press("Enter")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description("Must be at most 200 characters")
    expect(field).to_have_value("x" * 201)   # nothing typed is lost


# --- Mark all as completed

def test_mark_all_as_complete_and_back(page, user):
    for title in ("One", "Two", "Three"):
        user.add(title)
    sign_in(page, user)
    toggle_all = page.get_by_role("checkbox", name="Mark all as complete")
    toggle_all.check()
    for title in ("One", "Two", "Three"):
        expect(page.get_by_role("checkbox", name=title, exact=True)).to_be_checked()
    expect(page.get_by_text("0 items left")).to_be_visible()
    assert all(t["done"] for t in user.tasks())
    toggle_all.uncheck()
    for title in ("One", "Two", "Three"):
        expect(page.get_by_role("checkbox", name=title, exact=True)).not_to_be_checked()
    expect(page.get_by_text("3 items left")).to_be_visible()
    assert not any(t["done"] for t in user.tasks())


def test_mark_all_follows_the_single_toggles(page, user):
    user.add("One")
    user.add("Two")
    sign_in(page, user)
    toggle_all = page.get_by_role("checkbox", name="Mark all as complete")
    page.get_by_role("checkbox", name="One").check()
    expect(toggle_all).not_to_be_checked()
    page.get_by_role("checkbox", name="Two").check()
    expect(toggle_all).to_be_checked()
    page.get_by_role("checkbox", name="One").uncheck()
    expect(toggle_all).not_to_be_checked()


# --- Item

def test_toggle_done(page, user):
    user.add("One")
    user.add("Two")
    sign_in(page, user)
    page.get_by_role("checkbox", name="One").check()
    expect(task_item(page, "One")).to_have_class("task completed")
    expect(page.get_by_text("1 item left")).to_be_visible()
    assert [t["done"] for t in user.tasks()] == [True, False]
    page.get_by_role("checkbox", name="One").uncheck()
    expect(page.get_by_text("2 items left")).to_be_visible()
    assert [t["done"] for t in user.tasks()] == [False, False]


# --- Editing

def test_double_click_edits_and_enter_saves(page, user):
    user.add("Buy milk")
    sign_in(page, user)
    page.locator("#todo-list .title", has_text="Buy milk").dblclick()
    title = page.get_by_role("textbox", name="Title", exact=True)
    expect(title).to_be_focused()
    expect(page.get_by_role("checkbox", name="Buy milk")).to_be_hidden()
    title.fill("  Buy oat milk  ")
    title.press("Enter")
    expect(page.get_by_role("checkbox", name="Buy oat milk")).to_be_visible()
    expect(title).to_be_hidden()
    assert user.tasks()[0]["title"] == "Buy oat milk"


def test_edit_button_edits_title_and_description(page, user):
    user.add("Buy milk", "One litre")
    sign_in(page, user)
    page.get_by_role("button", name="Edit Buy milk").click()
    page.get_by_role("textbox", name="Title", exact=True).fill("Buy cheese")
    description = page.get_by_role("textbox", name="Description", exact=True)
    expect(description).to_have_value("One litre")
    description.fill("Gouda")
    description.press("Enter")
    expect(task_item(page, "Buy cheese")).to_contain_text("Gouda")
    assert user.tasks()[0]["title"] == "Buy cheese"
    assert user.tasks()[0]["description"] == "Gouda"


def test_blur_saves_the_edit(page, user):
    user.add("Buy milk")
    sign_in(page, user)
    page.get_by_role("button", name="Edit Buy milk").click()
    page.get_by_role("textbox", name="Title", exact=True).fill("Buy bread")
    page.get_by_role("searchbox", name="Search").click()
    expect(page.get_by_role("checkbox", name="Buy bread")).to_be_visible()
    assert user.tasks()[0]["title"] == "Buy bread"


def test_escape_cancels_and_restores(page, user):
    user.add("Buy milk")
    sign_in(page, user)
    requests = Requests(page)
    page.get_by_role("button", name="Edit Buy milk").click()
    title = page.get_by_role("textbox", name="Title", exact=True)
    title.fill("Something else")
    title.press("Escape")
    expect(page.get_by_role("checkbox", name="Buy milk")).to_be_visible()
    expect(page.get_by_role("button", name="Edit Buy milk")).to_be_focused()
    assert requests.seen == []
    assert user.tasks()[0]["title"] == "Buy milk"


def test_empty_title_is_refused_with_the_servers_message(page, user, console):
    console.allow(400)
    user.add("Buy milk")
    sign_in(page, user)
    requests = Requests(page)
    page.get_by_role("button", name="Edit Buy milk").click()
    title = page.get_by_role("textbox", name="Title", exact=True)
    title.fill("   ")
    title.press("Enter")
    expect(title).to_have_accessible_description("Must not be empty")
    expect(title).to_be_visible()
    assert all(method != "DELETE" for method, _ in requests.seen)
    assert [t["title"] for t in user.tasks()] == ["Buy milk"]


# --- Delete

def test_delete_button(page, user):
    user.add("One")
    user.add("Two")
    sign_in(page, user)
    page.get_by_role("button", name="Delete One").click()
    expect(page.get_by_role("checkbox", name="One")).to_have_count(0)
    assert [t["title"] for t in user.tasks()] == ["Two"]
    expect(page.get_by_text("1 item left")).to_be_visible()


def test_delete_and_edit_show_on_keyboard_focus(page, user):
    user.add("One")
    sign_in(page, user)
    page.mouse.move(1000, 700)   # nothing hovered
    page.get_by_role("checkbox", name="One").focus()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Edit One")).to_be_focused()
    expect(page.get_by_role("button", name="Edit One")).to_be_visible()
    page.keyboard.press("Tab")
    delete = page.get_by_role("button", name="Delete One")
    expect(delete).to_be_focused()
    box = delete.bounding_box()
    assert box["width"] > 20 and box["height"] > 20


# --- Counter

def test_counter_is_pluralised(signed_in):
    page = signed_in
    add_task(page, "One")
    expect(page.get_by_text("1 item left", exact=True)).to_be_visible()
    add_task(page, "Two")
    expect(page.get_by_text("2 items left", exact=True)).to_be_visible()
    page.get_by_role("checkbox", name="One").check()
    page.get_by_role("checkbox", name="Two").check()
    expect(page.get_by_text("0 items left", exact=True)).to_be_visible()


# --- Clear completed

def test_clear_completed_deletes_them_and_hides_itself(page, user):
    user.add("One", done=True)
    user.add("Two")
    user.add("Three", done=True)
    sign_in(page, user)
    # Every text the status shows, in order: the progress, then the outcome.
    page.evaluate("""() => {
        const status = document.querySelector('[role="status"]');
        window.notices = [];
        new MutationObserver(() => window.notices.push(status.textContent))
            .observe(status, {childList: true, characterData: true, subtree: true});
    }""")
    clear = page.get_by_role("button", name="Clear completed")
    clear.click()
    expect(page.get_by_role("status")).to_have_text("Deleted 2 completed tasks.")
    assert [text for text in page.evaluate("window.notices") if text] == [
        "Deleting completed tasks: 1 of 2…", "Deleting completed tasks: 2 of 2…",
        "Deleted 2 completed tasks."]
    assert titles(page) == ["Two"]
    assert [t["title"] for t in user.tasks()] == ["Two"]
    expect(clear).to_be_hidden()


def test_clear_completed_is_hidden_when_nothing_is_completed(page, user):
    user.add("One")
    sign_in(page, user)
    clear = page.get_by_role("button", name="Clear completed")
    expect(clear).to_be_hidden()
    page.get_by_role("checkbox", name="One").check()
    expect(clear).to_be_visible()


def test_clear_completed_reports_failures(page, user, console):
    console.allow(404)
    one = user.add("One", done=True)
    user.add("Two", done=True)
    sign_in(page, user)
    requests = Requests(page)

    def delete_elsewhere(route):
        if route.request.method == "GET":   # the read before the delete: gone by then
            user.call("DELETE", one)
        route.continue_()

    page.route(f"**/todo/api/v1.0/{one}", delete_elsewhere)
    page.get_by_role("button", name="Clear completed").click()
    expect(page.get_by_role("status")).to_contain_text("Deleted 1 completed task.")
    expect(page.get_by_role("alert")).to_contain_text("1 task could not be deleted: “One”")
    assert ("DELETE", "/" + one) not in requests.seen
    assert user.tasks() == []


# --- Persistence

def test_reload_keeps_tasks_and_states(page, user):
    sign_in(page, user)
    add_task(page, "One")
    add_task(page, "Two")
    page.get_by_role("checkbox", name="One").check()
    expect(page.get_by_text("1 item left")).to_be_visible()
    page.reload()
    expect(page.get_by_role("checkbox", name="One")).to_be_checked()
    expect(page.get_by_role("checkbox", name="Two")).not_to_be_checked()


# --- Routing

def test_filters_are_routes_done_by_the_api(page, user):
    user.add("One", done=True)
    user.add("Two")
    sign_in(page, user)
    requests = Requests(page)
    page.get_by_role("link", name="Active").click()
    expect(page).to_have_url(f"{user.server.url}/#/active")
    expect(page.get_by_role("link", name="Active")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("link", name="All")).not_to_have_attribute("aria-current", "page")
    expect(page.get_by_role("checkbox", name="One")).to_have_count(0)
    assert titles(page) == ["Two"]
    assert ("GET", "/tasks?done=false&sort=order") in requests.seen
    page.get_by_role("link", name="Completed").click()
    expect(page.get_by_role("checkbox", name="Two")).to_have_count(0)
    assert titles(page) == ["One"]
    assert ("GET", "/tasks?done=true&sort=order") in requests.seen
    page.reload()   # the route is kept
    expect(page.get_by_role("link", name="Completed")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("checkbox", name="One")).to_be_visible()
    expect(page.get_by_role("checkbox", name="Two")).to_have_count(0)
    page.go_back()
    expect(page.get_by_role("link", name="Active")).to_have_attribute("aria-current", "page")
    page.get_by_role("link", name="All").click()
    expect(page.get_by_role("checkbox")).to_have_count(3)   # with Mark all as complete


def test_toggling_on_the_active_route_removes_the_task(page, user):
    user.add("One")
    user.add("Two")
    sign_in(page, user, "/#/active")
    page.get_by_role("checkbox", name="One").check()
    expect(page.get_by_role("checkbox", name="One")).to_have_count(0)
    expect(page.get_by_text("1 item left")).to_be_visible()
    expect(page.get_by_role("button", name="Clear completed")).to_be_visible()


# --- Search

def test_search_filters_through_the_api(page, user):
    user.add("Buy milk")
    user.add("Walk the dog", "and buy treats")
    user.add("Read a book")
    sign_in(page, user)
    requests = Requests(page)
    page.get_by_role("searchbox", name="Search").fill("buy")
    expect(page.get_by_role("checkbox", name="Read a book")).to_have_count(0)
    assert titles(page) == ["Buy milk", "Walk the dog"]
    assert ("GET", "/tasks?q=buy&sort=order") in requests.seen
    page.get_by_role("searchbox", name="Search").fill("nothing like it")
    expect(page.get_by_text("No tasks match “nothing like it”.")).to_be_visible()
    page.get_by_role("searchbox", name="Search").fill("")
    expect(page.get_by_role("checkbox", name="Read a book")).to_be_visible()
