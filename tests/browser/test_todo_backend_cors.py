"""The Todo-Backend root from a page of another origin, as its clients and test suite use
it: Chromium enforces CORS, so these calls pass only if the server's answers allow them.

The page is served by a second local server on 127.0.0.2; the calls are the page's own
fetch()es (page.evaluate runs in the page, with its origin).
"""

import base64
import functools
import http.server
import threading

import pytest

from pages import expect
from servers import free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGE = b"<!doctype html><html lang=en><title>Another origin</title><h1>Another origin</h1>"


class PageHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args):
        pass


@pytest.fixture
def other_origin():
    """A page served from http://127.0.0.2:<port>/, by a server thread stopped after."""
    port = free_port()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.2", port), PageHandler)
    thread = threading.Thread(target=functools.partial(httpd.serve_forever, 0.05),
                              daemon=True)
    thread.start()
    yield f"http://127.0.0.2:{port}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def basic_header(user):
    return "Basic " + base64.b64encode(f"{user.name}:{user.password}".encode()).decode()


# The calls Todo-Backend's clients make, each with Content-Type: application/json (so
# each is preflighted), the Authorization header and no cookies.
CALLS = """async ({root, auth}) => {
  const headers = {"Content-Type": "application/json", Authorization: auth};
  const send = async (method, url, body) => {
    const response = await fetch(url, {method, headers, body: body && JSON.stringify(body)});
    return {status: response.status, location: response.headers.get("Location"),
            body: await response.json()};
  };
  const steps = {};
  steps.emptied = await send("DELETE", root);
  steps.created = await send("POST", root, {title: "from another origin", order: 523});
  const url = steps.created.body.url;
  steps.patched = await send("PATCH", url, {title: "changed", completed: true, order: 95});
  steps.listed = await send("GET", root);
  steps.deleted = await send("DELETE", url);
  steps.after = await send("GET", root);
  return steps;
}"""


def test_another_origin_drives_the_root(browser, server, user, other_origin):
    # No context.route() here: with interception on, Playwright answers CORS preflights
    # itself, and the server's answers would go untested. The page asks nothing else.
    context = browser.new_context()
    page = context.new_page()
    seen = []
    page.on("request", lambda request: seen.append(request.url))
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(other_origin + "/")
    expect(page.get_by_role("heading", name="Another origin")).to_be_visible()

    user.add("already there")
    auth = basic_header(user)
    steps = page.evaluate(CALLS, {"root": server.url + "/todo-backend/todos", "auth": auth})

    assert steps["emptied"]["status"] == 200
    created = steps["created"]
    assert created["status"] == 201
    assert created["body"]["order"] == 523
    assert created["location"] == created["body"]["url"]   # an exposed header
    assert steps["patched"]["body"] == {**created["body"], "title": "changed",
                                        "completed": True, "order": 95}
    assert steps["listed"]["body"] == [steps["patched"]["body"]]
    assert steps["deleted"] == {"status": 200, "location": None, "body": {"result": True}}
    assert steps["after"]["body"] == []
    # Chromium asked first, without credentials (Playwright does not report preflights:
    # the server's access log shows them).
    server.log.flush()
    with open(server.log.name, encoding="utf-8") as log:
        preflights = [line for line in log if "OPTIONS /todo-backend/todos" in line]
    assert len(preflights) >= 2, "Chromium sent no preflight"
    assert all(" 200" in line or "status=200" in line for line in preflights)
    assert user.tasks() == []
    assert not errors
    assert all(url.startswith((server.url + "/", other_origin + "/")) for url in seen)
    context.close()


def test_the_main_api_stays_closed_to_other_origins(browser, server, user, other_origin):
    """Without TODO_CORS_ORIGINS the articles' API allows no other origin: the same
    browser refuses the page's call, so the test above shows CORS at work."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(other_origin + "/")
    auth = basic_header(user)
    outcome = page.evaluate("""async ({url, auth}) => {
      try {
        await fetch(url, {headers: {Authorization: auth}});
        return "answered";
      } catch (error) {
        return error.name;
      }
    }""", {"url": server.url + "/todo/api/v1.0/tasks", "auth": auth})
    assert outcome == "TypeError"
    context.close()
