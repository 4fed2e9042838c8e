"""What the browser tests do with a page: sign in, add and find tasks, run axe, watch the
API requests. Fixtures live in conftest.py; tests import these plain names from here."""

import os

# playwright and pytest-playwright come with the test extra; without Chromium,
# conftest.py skips the browser tests (and fails them under CI=true).
from playwright.sync_api import expect

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
AXE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "axe-core", "axe.min.js")
API = "/todo/api/v1.0"
PASSWORD = "browser-secret"


def sign_in(page, user, path="/", loaded=True):
    """Open the client and sign in through its form; ``loaded``: wait for the first page."""
    page.goto(path)
    page.get_by_role("textbox", name="Username").fill(user.name)
    page.get_by_label("Password").fill(user.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_role("textbox", name="New task")).to_be_focused()
    if loaded:   # the list (hidden while empty) is busy until its first page is shown
        expect(page.get_by_role("list", name="Tasks", include_hidden=True)).to_have_attribute(
            "aria-busy", "false")


def add_task(page, title):
    field = page.get_by_role("textbox", name="New task")
    field.fill(title)
    field.press("Enter")
    expect(field).to_have_value("")
    expect(task_item(page, title.strip())).to_be_visible()


def task_item(page, title):
    """The list item of a task, found by its checkbox's name."""
    return page.get_by_role("listitem").filter(
        has=page.get_by_role("checkbox", name=title, exact=True))


def axe(page, state):
    """Run axe-core on the page as it is; fail with every violation it reports."""
    if not page.evaluate("typeof window.axe === 'object'"):
        with open(AXE, encoding="utf-8") as file:
            page.evaluate(file.read())   # evaluated, not a <script>: the page's CSP stays on
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    violations = [(v["id"], v["help"], [n["target"] for n in v["nodes"]])
                  for v in result["violations"]]
    assert violations == [], f"axe-core, {state}: {violations}"
    return result


SCREENSHOTS = os.path.join(ROOT, "docs")


def screenshot(page, name):
    """Save a README screenshot to docs/ when TODO_SCREENSHOTS=1 (deterministic names)."""
    if os.environ.get("TODO_SCREENSHOTS") == "1":
        page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True,
                        animations="disabled", caret="hide")


class Requests:
    """The API requests a page makes, as (method, path with query)."""

    def __init__(self, page):
        self.seen = []
        self.answers = []   # (method, path, status), as the answers come
        page.on("request", self.record)
        page.on("response", self.answer)

    @staticmethod
    def path(request):
        path = request.url.split("://", 1)[1]
        path = path[path.index("/"):]
        return path[len(API):] if path.startswith(API) else None

    def record(self, request):
        path = self.path(request)
        if path is not None:
            self.seen.append((request.method, path))

    def answer(self, response):
        path = self.path(response.request)
        if path is not None:
            self.answers.append((response.request.method, path, response.status))

    def clear(self):
        self.seen.clear()
        self.answers.clear()
