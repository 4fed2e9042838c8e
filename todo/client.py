"""The web client: ``GET /`` answers the page; its script and stylesheet are static files.

The page (todo/static/index.html) loads one stylesheet and one ES module from the
app's static folder, and nothing from anywhere else. It is served here rather than
as a static file so that it carries a strict Content-Security-Policy, and so that
it can say whether registration is open: in a ``<meta>`` element, since the CSP
allows no inline script.
"""

import hashlib
import os

from flask import current_app, request

STATIC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static")

# Only this origin, for everything; no inline script or style; never framed. Images may
# also be data: URLs, for the page's empty favicon (else Chromium asks for /favicon.ico).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'none'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'")

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",   # for browsers that predate frame-ancestors
}

REGISTRATION_CLOSED = '<meta name="todo-registration" content="closed">'
REGISTRATION_OPEN = '<meta name="todo-registration" content="open">'


def _page(registration_open):
    """Return the page's bytes and ETag, read once per process and setting."""
    key = f"todo.client.page.{registration_open}"
    cached = current_app.extensions.get(key)
    if cached is None:
        with open(os.path.join(STATIC, "index.html"), encoding="utf-8") as file:
            html = file.read()
        if registration_open:
            html = html.replace(REGISTRATION_CLOSED, REGISTRATION_OPEN)
        body = html.encode("utf-8")
        cached = current_app.extensions[key] = (body, hashlib.sha256(body).hexdigest()[:32])
    return cached


def page():
    """GET /: the web client's page, never cached without asking (``no-cache``)."""
    body, etag = _page(current_app.config["REGISTRATION"] == "open")
    response = current_app.response_class(body, mimetype="text/html", headers=SECURITY_HEADERS)
    response.set_etag(etag)
    response.cache_control.no_cache = True
    return response.make_conditional(request)


def add_client(app):
    """Add the page's route to ``app`` (its files are under the app's /static/)."""
    app.add_url_rule("/", endpoint="client", view_func=page, methods=["GET"])
