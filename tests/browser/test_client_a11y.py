"""Accessibility: axe-core in every state, the keyboard alone, 320 px, colour schemes,
reduced motion; and the README's screenshots (TODO_SCREENSHOTS=1 writes them to docs/)."""

import pytest

from pages import add_task, axe, expect, screenshot, sign_in, task_item

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_reports_nothing_in_any_state(new_context, user, console, scheme):
    console.allow(400, 401)
    page = new_context(color_scheme=scheme).new_page()
    page.goto("/")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    axe(page, "signed out")

    page.get_by_role("textbox", name="Username").fill(user.name)
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    axe(page, "sign-in error")

    sign_in(page, user)
    expect(page.get_by_text("Nothing to do yet")).to_be_visible()
    axe(page, "empty")

    page.get_by_role("textbox", name="Details (optional)").fill("Milk, Cheese, Pizza")
    add_task(page, "Buy groceries")
    add_task(page, "Learn Python")
    page.get_by_role("checkbox", name="Learn Python").check()
    expect(page.get_by_text("1 item left")).to_be_visible()
    axe(page, "list")

    page.get_by_role("button", name="Edit Buy groceries").click()
    title = page.get_by_role("textbox", name="Title", exact=True)
    expect(title).to_be_focused()
    axe(page, "editing")

    title.fill("")
    title.press("Enter")
    expect(title).to_have_accessible_description("Must not be empty")
    axe(page, "editing error")
    title.press("Escape")

    page.get_by_role("link", name="Completed").click()
    expect(page.get_by_role("link", name="Completed")).to_have_attribute("aria-current", "page")
    axe(page, "filtered")


def test_keyboard_alone(page, user):
    """Reach and operate everything with the keyboard; the focus is visible."""
    sign_in(page, user)
    keyboard = page.keyboard
    keyboard.type("Walk the dog")
    keyboard.press("Enter")
    keyboard.type("Water the plants")
    keyboard.press("Enter")
    expect(page.get_by_text("2 items left")).to_be_visible()

    def tab_to(locator, limit=30):
        for _ in range(limit):
            keyboard.press("Tab")
            if locator.evaluate("node => node === document.activeElement"):
                return
        pytest.fail(f"Tab never reached {locator}")

    checkbox = page.get_by_role("checkbox", name="Walk the dog")
    tab_to(checkbox)
    outline = checkbox.evaluate("n => getComputedStyle(n).outlineStyle")
    assert outline not in ("none", ""), "no visible focus"
    keyboard.press("Space")
    expect(checkbox).to_be_checked()
    expect(page.get_by_text("1 item left")).to_be_visible()

    keyboard.press("Tab")   # Move down (Move up is disabled: the task is the first)
    expect(page.get_by_role("button", name="Move down Walk the dog")).to_be_focused()
    keyboard.press("Tab")   # Edit
    expect(page.get_by_role("button", name="Edit Walk the dog")).to_be_focused()
    keyboard.press("Enter")
    expect(page.get_by_role("textbox", name="Title", exact=True)).to_be_focused()
    keyboard.press("Control+a")
    keyboard.type("Walk the cat")
    keyboard.press("Enter")
    expect(page.get_by_role("button", name="Edit Walk the cat")).to_be_focused()

    keyboard.press("Tab")   # Delete
    expect(page.get_by_role("button", name="Delete Walk the cat")).to_be_focused()
    keyboard.press("Enter")
    expect(page.get_by_role("checkbox", name="Walk the cat")).to_have_count(0)
    expect(page.get_by_role("checkbox", name="Water the plants")).to_be_focused()

    tab_to(page.get_by_role("link", name="Active"))
    keyboard.press("Enter")
    expect(page.get_by_role("link", name="Active")).to_have_attribute("aria-current", "page")
    tab_to(page.get_by_role("button", name="Sign out"))
    keyboard.press("Enter")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def test_320_pixels_wide(new_context, user):
    user.add("A task with a rather long title that has to wrap on a narrow phone screen",
             "And a description, too")
    page = new_context(viewport={"width": 320, "height": 640}).new_page()
    sign_in(page, user)
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    for control in (page.get_by_role("textbox", name="New task"),
                    page.get_by_role("checkbox", name="Mark all as complete"),
                    page.get_by_role("button", name="Delete A task with a rather long title",
                                     exact=False),
                    page.get_by_role("link", name="Completed")):
        box = control.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 320, control
    page.get_by_role("button", name="Edit A task", exact=False).click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    axe(page, "editing at 320 px")


@pytest.mark.parametrize("scheme, dark", [("light", False), ("dark", True)])
def test_follows_prefers_color_scheme(new_context, user, scheme, dark):
    page = new_context(color_scheme=scheme).new_page()
    page.goto("/")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    red = int(background.split("(")[1].split(",")[0])
    assert (red < 128) == dark, background


def test_respects_prefers_reduced_motion(new_context, user):
    page = new_context(reduced_motion="reduce").new_page()
    sign_in(page, user)
    add_task(page, "Still")
    duration = task_item(page, "Still").get_by_role("button", name="Edit Still").evaluate(
        "n => getComputedStyle(n).transitionDuration")
    assert duration == "0s"


def test_readme_screenshots(new_context, server):
    """The README's pictures: desktop and 320 px, light and dark (deterministic names)."""
    user = server.new_user("susan")
    user.add("Buy groceries", "Milk, Cheese, Pizza, Fruit, Tylenol")
    user.add("Learn Python", "Need to find a good Python tutorial on the web", done=True)
    user.add("Read a book")
    for width, height, size in ((1024, 560, "desktop"), (320, 720, "320px")):
        for scheme in ("light", "dark"):
            page = new_context(viewport={"width": width, "height": height},
                               color_scheme=scheme, reduced_motion="reduce").new_page()
            sign_in(page, user)
            expect(page.get_by_text("2 items left")).to_be_visible()
            page.get_by_role("textbox", name="New task").blur()
            screenshot(page, f"client-{size}-{scheme}")
            page.context.close()
