"""Signing in and out, accounts, expiry, throttling, and a server that goes away."""

import re
import time

import pytest

from pages import PASSWORD, add_task, expect, sign_in, task_item

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def storage(page):
    return page.evaluate("""() => JSON.stringify([Object.entries(sessionStorage),
                                                  Object.entries(localStorage)])""")


def test_sign_in_keeps_only_the_token(page, user):
    sign_in(page, user)
    kept = storage(page)
    assert user.password not in kept
    token = page.evaluate("sessionStorage.getItem('todo.token')")
    assert token and user.call("GET", "tasks")[0] == 200
    status, _, _ = user.server.call("GET", "tasks", token=token)
    assert status == 200
    assert page.get_by_label("Password").input_value() == ""
    page.reload()   # a reload keeps you signed in
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_role("textbox", name="New task")).to_be_focused()


def test_wrong_password_says_so_without_a_browser_dialog(page, user, console):
    console.allow(401)
    page.on("dialog", lambda dialog: pytest.fail("a dialog opened"))
    page.goto("/")
    page.get_by_role("textbox", name="Username").fill(user.name)
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    expect(page.get_by_role("textbox", name="Username")).to_have_value(user.name)


def test_sign_out_revokes_the_token(page, user, console):
    sign_in(page, user)
    token = page.evaluate("sessionStorage.getItem('todo.token')")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("Signed out.")
    assert page.evaluate("sessionStorage.getItem('todo.token')") is None
    assert user.server.call("GET", "tasks", token=token)[0] == 401
    page.reload()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def test_create_an_account(page, server):
    page.goto("/")
    page.get_by_role("textbox", name="Username").fill("newcomer")
    page.get_by_label("Password").fill("long enough")
    page.get_by_role("button", name="Create an account").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("your account is ready")
    add_task(page, "First task")
    assert server.call("POST", "tokens", basic=("newcomer", "long enough"))[0] == 200


def test_account_errors_show_next_to_the_field(page, user, console):
    console.allow(400, 409)
    page.goto("/")
    username = page.get_by_role("textbox", name="Username")
    password = page.get_by_label("Password")
    username.fill(user.name)
    password.fill("long enough")
    page.get_by_role("button", name="Create an account").click()
    expect(username).to_have_accessible_description("Already taken")
    expect(username).to_have_attribute("aria-invalid", "true")
    username.fill("someone-else")
    password.fill("short")
    page.get_by_role("button", name="Create an account").click()
    expect(password).to_have_accessible_description("Must be at least 8 characters")
    expect(username).not_to_have_attribute("aria-invalid", "true")


@pytest.fixture
def strict_server(start_server):
    """Registration closed, and two failed logins a minute allowed."""
    return start_server(TODO_REGISTRATION="closed", TODO_LOGIN_FAILURES="2/minute")


def test_no_account_button_when_registration_is_closed(new_context, strict_server):
    page = new_context(on=strict_server).new_page()
    page.goto("/")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page.get_by_role("button", name="Create an account")).to_have_count(0)



@pytest.fixture
def allow_401_429(console):
    console.allow(401, 429)


@pytest.mark.usefixtures("allow_401_429")
def test_too_many_failed_logins_show_how_long_to_wait(new_context, strict_server):
    page = new_context(on=strict_server).new_page()
    page.goto("/")
    page.get_by_role("textbox", name="Username").fill("someone")
    for _ in range(3):
        page.get_by_label("Password").fill("wrong password")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("button", name="Sign in")).to_be_enabled()
    expect(page.get_by_role("alert")).to_have_text(re.compile(
        r"Could not sign in: Too many failed logins; try again later\. "
        r"Wait (60|59|58) seconds before trying again\."))


def test_expired_token_brings_back_the_form_and_keeps_the_text(new_context, start_server,
                                                              console):
    console.allow(401)
    server = start_server(TODO_TOKEN_TTL="2")
    user = server.new_user("shortlived")
    user.add("Existing")
    page = new_context(on=server).new_page()
    sign_in(page, user)
    started = time.monotonic()
    field = page.get_by_role("textbox", name="New task")
    field.fill("Typed before expiry")
    time.sleep(max(0.0, 2.5 - (time.monotonic() - started)))
    field.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("Your session has ended")
    # Refused, so it comes back into the field (hidden with the list until signed in).
    expect(page.locator("#new-title")).to_have_value("Typed before expiry")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page.get_by_role("textbox", name="Username")).to_have_value(user.name)
    expect(page.get_by_label("Password")).to_be_focused()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(field).to_have_value("Typed before expiry")
    field.press("Enter")
    expect(task_item(page, "Typed before expiry")).to_be_visible()
    assert [t["title"] for t in user.tasks()] == ["Existing", "Typed before expiry"]


def test_server_stopped_and_started_again(new_context, start_server, console):
    console.allow("refused")
    server = start_server()
    user = server.new_user("resilient")
    page = new_context(on=server).new_page()
    sign_in(page, user)
    add_task(page, "Before the outage")
    server.stop()
    field = page.get_by_role("textbox", name="New task")
    field.fill("During the outage")
    field.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("The server can't be reached. Retrying")
    field.fill("Typed while it is down")   # the field is free for the next task
    server.start()   # same port, same SQLite file: the token is still good
    expect(task_item(page, "During the outage")).to_be_visible(timeout=15_000)
    expect(field).to_have_value("Typed while it is down")
    expect(page.get_by_role("alert")).to_have_count(0)   # the message is gone
    expect(page.get_by_role("status")).to_have_text("Connected to the server again.")
    assert [t["title"] for t in user.tasks()] == ["Before the outage", "During the outage"]


def test_503_says_the_server_cant_be_reached_and_retries(signed_in, user, console):
    console.allow(503)
    page = signed_in
    answers = []

    def busy_once(route):
        if route.request.method == "POST" and not answers:
            answers.append(503)
            route.fulfill(status=503, headers={"Retry-After": "1"},
                          content_type="application/json",
                          body='{"error":"Service unavailable","message":"The database is busy"}')
        else:
            route.continue_()

    page.route("**/todo/api/v1.0/tasks", busy_once)
    field = page.get_by_role("textbox", name="New task")
    field.fill("Patience")
    field.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("Retrying in 1 second")
    expect(task_item(page, "Patience")).to_be_visible()
    assert [t["title"] for t in user.tasks()] == ["Patience"]
