"""The page itself: its headers, its weight, what it loads, and how many calls show the list."""

import os
import re

import pytest
from werkzeug.test import Client

from openapi_check import CheckedClient

from pages import API, add_task, expect, sign_in, task_item, Requests
from todo import create_app

STATIC = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "todo", "static")


def plain_client(**config):
    """A test client that is not checked against the OpenAPI document (static files are
    Flask's own route, outside the document)."""
    return Client(create_app({"TESTING": True, "STORE": "memory://", **config}))


def test_page_headers():
    response = plain_client().get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    policy = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-cache"
    etag = response.headers["ETag"]
    again = plain_client().get("/", headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_page_has_no_inline_script_or_style():
    with open(os.path.join(STATIC, "index.html"), encoding="utf-8") as file:
        html = file.read()
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert "<style" not in html and " style=" not in html
    assert not re.search(r"\son[a-z]+=", html)   # no event handler attributes


@pytest.mark.parametrize("name, mimetype", [("app.js", "text/javascript"),
                                            ("app.css", "text/css")])
def test_static_files_are_cacheable_with_validators(name, mimetype):
    client = plain_client()
    response = client.get(f"/static/{name}")
    assert response.status_code == 200 and response.mimetype == mimetype
    assert response.headers["ETag"] and response.headers["Last-Modified"]
    assert client.get(f"/static/{name}",
                      headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
    assert client.get(f"/static/{name}", headers={
        "If-Modified-Since": response.headers["Last-Modified"]}).status_code == 304


@pytest.mark.parametrize("setting, shown", [("open", "open"), ("closed", "closed")])
def test_page_says_whether_registration_is_open(setting, shown):
    html = plain_client(REGISTRATION=setting).get("/").get_data(as_text=True)
    assert f'<meta name="todo-registration" content="{shown}">' in html


def test_page_route_is_in_the_openapi_document(memory_app):
    """The CheckedClient checks GET / against the document."""
    memory_app.test_client_class = CheckedClient
    client = memory_app.test_client()
    response = client.get("/")
    assert response.status_code == 200
    assert client.get("/", headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


@pytest.mark.browser
@pytest.mark.slow
def test_page_weight_and_static_requests(page, server):
    """HTML, JS and CSS: at most 3 requests and 64 KB, all from the app's origin."""
    loads = []
    page.on("requestfinished", lambda request: loads.append(request))
    page.goto("/")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    page.wait_for_load_state("networkidle")
    static = [r for r in loads if not r.url.split(server.url, 1)[1].startswith(API)]
    # The stylesheet and the script load side by side: either may finish first.
    assert sorted(r.url.split(server.url, 1)[1] for r in static) == \
        ["/", "/static/app.css", "/static/app.js"]
    weight = sum(r.sizes()["responseBodySize"] for r in static)
    assert weight <= 64 * 1024, weight
    files = sum(os.path.getsize(os.path.join(STATIC, n)) for n in ("index.html", "app.js", "app.css"))
    assert files <= 64 * 1024, files


@pytest.mark.browser
@pytest.mark.slow
def test_showing_the_list_takes_two_api_calls(page, user):
    """The first page and the count of tasks still to do; nothing else."""
    for n in range(3):
        user.add(f"Task {n}", done=n == 0)
    requests = Requests(page)
    sign_in(page, user)
    expect(page.get_by_text("2 items left")).to_be_visible()
    page.wait_for_load_state("networkidle")
    calls = [call for call in requests.seen if call != ("POST", "/tokens")]
    assert sorted(calls) == [("GET", "/tasks?done=false&per_page=1"), ("GET", "/tasks?sort=order")]
    requests.clear()
    page.reload()
    expect(page.get_by_text("2 items left")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert len(requests.seen) == 2


@pytest.mark.browser
@pytest.mark.slow
def test_task_text_is_text_never_html(signed_in, console):
    page = signed_in
    title = "<img src=x onerror=alert(1)>"
    description = "<script>alert(2)</script><b>bold</b>"
    page.on("dialog", lambda dialog: pytest.fail(f"a dialog opened: {dialog.message}"))
    page.get_by_role("textbox", name="Details (optional)").fill(description)
    add_task(page, title)
    item = task_item(page, title)
    expect(item).to_contain_text(title)
    expect(item).to_contain_text(description)
    assert item.locator("img, script, b").count() == 0
    expect(page.get_by_role("button", name=f"Edit {title}")).to_be_attached()
    page.reload()
    expect(task_item(page, title)).to_contain_text(title)
    assert page.locator("#todo-list img").count() == 0


@pytest.mark.browser
@pytest.mark.slow
def test_csp_blocks_inline_script(signed_in, console):
    """The policy is in force: an inline script added to the page does not run."""
    page = signed_in
    console.allow("csp")
    page.evaluate("""() => {
        const s = document.createElement('script');
        s.textContent = 'window.inlineRan = true';
        document.body.append(s);
    }""")
    assert page.evaluate("window.inlineRan === undefined")
    console.errors[:] = [e for e in console.errors if "Content Security Policy" not in e]
