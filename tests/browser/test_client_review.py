"""Review of issue 13: the items whose tests would still pass without the behaviour."""

import pytest

from pages import API, add_task, expect, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_token_lives_only_in_this_tabs_session_storage(new_context, user):
    """Not in localStorage, not in a cookie: another tab of the same browser is signed out."""
    context = new_context()
    page = context.new_page()
    sign_in(page, user)
    token = page.evaluate("sessionStorage.getItem('todo.token')")
    assert token
    assert page.evaluate("localStorage.length") == 0
    assert context.cookies() == []
    assert page.evaluate("document.cookie") == ""
    other = context.new_page()
    other.goto("/")
    expect(other.get_by_role("button", name="Sign in")).to_be_visible()
    expect(other.get_by_role("button", name="Sign out")).to_be_hidden()
    assert token not in other.evaluate("JSON.stringify(Object.entries(sessionStorage))")


def test_429_shows_the_servers_retry_after(signed_in, user, console):
    """The wait comes from Retry-After (7 s here), not from a default."""
    console.allow(429)
    page = signed_in

    def throttled(route):
        if route.request.method == "POST":
            route.fulfill(status=429, headers={"Retry-After": "7"},
                          content_type="application/json",
                          body='{"error":"Too many requests","message":"Slow down"}')
        else:
            route.continue_()

    page.route(f"**{API}/tasks", throttled)
    field = page.get_by_role("textbox", name="New task")
    field.fill("Later")
    field.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("Wait 7 seconds")
    expect(field).to_have_value("Later")   # nothing typed is lost
    assert user.tasks() == []


def test_reduced_motion_stops_every_transition_and_animation(new_context, user):
    """Under reduce, nothing on the page moves, in the list and while editing; and the
    stylesheet has a reduce rule (the computed styles alone pass with no motion at all)."""
    page = new_context(reduced_motion="reduce").new_page()
    sign_in(page, user)
    add_task(page, "Still")
    page.get_by_role("button", name="Edit Still").click()
    moving = page.evaluate("""() => [...document.querySelectorAll('*')].filter((n) => {
        const s = getComputedStyle(n);
        return s.transitionDuration.split(',').some((d) => parseFloat(d) > 0)
            || s.animationDuration.split(',').some((d) => parseFloat(d) > 0)
            || s.scrollBehavior === 'smooth';
    }).map((n) => n.tagName + '.' + n.className)""")
    assert moving == []
    assert page.evaluate("""() => [...document.styleSheets].some((sheet) =>
        [...sheet.cssRules].some((rule) => rule instanceof CSSMediaRule
            && /prefers-reduced-motion:\\s*reduce/.test(rule.conditionText)
            && matchMedia(rule.conditionText).matches))""")


def test_static_files_revalidate_in_the_browser(browser, server, user):
    """A second visit asks again with the validators and gets 304 for the script and the
    stylesheet (routing disables Chromium's cache, so this context routes nothing; it
    checks the origin of every request itself)."""
    context = browser.new_context(base_url=server.url)
    try:
        page = context.new_page()
        seen = []
        page.on("response", lambda r: seen.append((r.url.split(server.url, 1)[-1], r.status,
                                                   r.request.url.startswith(server.url + "/"))))
        page.goto("/")
        expect(page.get_by_role("button", name="Sign in")).to_be_visible()
        page.wait_for_load_state("networkidle")
        seen.clear()
        page.goto("/")
        expect(page.get_by_role("button", name="Sign in")).to_be_visible()
        page.wait_for_load_state("networkidle")
        assert all(same for _, _, same in seen), seen
        statuses = {path: status for path, status, _ in seen}
        assert statuses.get("/static/app.js") == 304, seen
        assert statuses.get("/static/app.css") == 304, seen
        assert statuses.get("/") in (200, 304), seen
    finally:
        context.close()


def test_a_task_added_while_the_list_loads_stays(page, user):
    """The list's first answers, read before the add but arriving after it, do not undo it."""
    held = []

    def late(route):
        # The first two list reads (page and count) are answered by the server now and
        # delivered only after the add; later reads go through.
        if route.request.method == "GET" and len(held) < 2:
            held.append((route, route.fetch()))
        else:
            route.continue_()

    page.route(f"**{API}/tasks?*", late)
    sign_in(page, user, loaded=False)
    expect(page.get_by_role("list", name="Tasks", include_hidden=True)).to_have_attribute(
        "aria-busy", "true")
    add_task(page, "Added early")
    expect(page.get_by_text("1 item left")).to_be_visible()
    assert len(held) == 2
    for route, response in held:
        route.fulfill(response=response)
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("list", name="Tasks")).to_have_attribute("aria-busy", "false")
    expect(page.get_by_role("checkbox", name="Added early")).to_be_visible()
    expect(page.get_by_text("1 item left")).to_be_visible()
