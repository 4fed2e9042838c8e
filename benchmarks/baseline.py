"""The same API hand-written in plain Flask: routes, jsonify, the same store and auth.

This is what the Flask-RESTful service is measured against, so it does the
work the service does for the requests the benchmark sends, the way a careful
hand-written version would:

- Basic auth against the store's scrypt hashes through the same credential
  cache (or, with ``plaintext``, a plain comparison against a dict of
  passwords, the article's own scheme), Bearer tokens looked up by their hash,
  and the same failed-login throttle;
- request bodies checked by the same validators (todo.inputs), unknown fields
  refused, nothing coerced;
- the same headers: ETag, Accept-Patch, Location, Link and X-Total-Count;
- a uri per task from url_for, and jsonify.

It reuses the service's Flask-free parts (store, the login path of
todo.logins with its cache, hash and throttle, validators) and its helpers for ETags and page links, so that what differs is
what Flask-RESTful, Flask-HTTPAuth and the service's own plumbing add.
"""

import hmac
from functools import wraps

from flask import Flask, g, jsonify, request, url_for

from todo import inputs, throttle
from todo.authorization import presented
from todo.conditional import list_etag, task_etag
from todo.credentials import PasswordHashing, VerifiedCredentials
from todo.logins import Logins, Throttled
from todo.pagination import page_headers
from todo.resources import DESCRIPTION_MAX, PER_PAGE_MAX, TITLE_MAX
from todo.store import open_store

PLAINTEXT_PASSWORDS = {"miguel": "python"}


class PlaintextPasswords:
    """In place of the credential cache and the hash: the first article's plain comparison."""

    def known(self, user, password):
        return hmac.compare_digest(PLAINTEXT_PASSWORDS.get(user["username"], ""), password)

    def remember(self, user, password):
        pass

    def check(self, password_hash, password):
        return False   # reached only when known() said no
TITLE = inputs.text(TITLE_MAX, strip=True, required=True)
DESCRIPTION = inputs.text(DESCRIPTION_MAX)
VALIDATORS = {"title": TITLE, "description": DESCRIPTION, "done": inputs.boolean}
PER_PAGE = inputs.whole_number(1, PER_PAGE_MAX)
PAGE = inputs.whole_number(1, 10**9)


def error(status, message, **headers):
    response = jsonify({"error": {400: "Bad request", 401: "Unauthorized access",
                                  404: "Not found", 415: "Unsupported media type",
                                  429: "Too many requests"}[status], "message": message})
    response.status_code = status
    response.headers.update(headers)
    return response


def create_baseline_app(store_url, plaintext=False, login_failures="10/minute"):
    """Build the plain-Flask twin of todo over the store at ``store_url``."""
    app = Flask(__name__)
    store = open_store(store_url)
    app.extensions["todo.store"] = store
    plain = PlaintextPasswords() if plaintext else None
    limiter = throttle.limiter()
    logins = Logins(store, plain or VerifiedCredentials(), plain or PasswordHashing(),
                    throttle.LoginThrottle(login_failures, "50/minute", limiter)
                    if login_failures else None)

    def login_required(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            credential = presented(request.headers.get("Authorization"))
            address = request.remote_addr or "-"
            try:
                if credential is None:
                    user = None
                elif credential.scheme == "bearer":
                    user = logins.with_token(address, credential.token)
                else:
                    user = logins.with_password(address, credential.username, credential.password)
            except Throttled as exc:
                return error(429, "Too many failed logins; try again later",
                             **{"Retry-After": str(exc.wait)})
            if user is None:
                return error(401, "Send a valid username and password, or a token",
                             **{"WWW-Authenticate": 'Basic realm="Authentication Required"'})
            g.user = user
            return view(*args, **kwargs)
        return wrapper

    def body(required=()):
        """The request's JSON object, validated: (values, None) or (None, error response)."""
        if request.mimetype != "application/json":
            return None, error(415, "Send the body as JSON with Content-Type: application/json")
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            return None, error(400, "The request body must be a JSON object")
        values, errors = {}, {}
        for name, value in data.items():
            if name in VALIDATORS:
                try:
                    values[name] = VALIDATORS[name](value)
                except ValueError as exc:
                    errors[name] = str(exc)
            elif name not in ("id", "uri"):
                errors[name] = "Unknown field"
        errors.update({name: "Missing required field" for name in required if name not in data})
        return (None, error(400, errors)) if errors else (values, None)

    def public(task):
        return {"title": task["title"], "description": task["description"],
                "done": task["done"],
                "uri": url_for("get_task", id=task["id"], _external=True)}

    def task_response(task, status=200, **headers):
        response = jsonify({"task": public(task)})
        response.status_code = status
        response.headers["ETag"] = task_etag(task)
        response.headers.update(headers)
        return response

    @app.get("/todo/api/v1.0/tasks")
    @login_required
    def get_tasks():
        try:
            page = PAGE(request.args.get("page", "1"))
            per_page = PER_PAGE(request.args.get("per_page", "100"))
        except ValueError as exc:
            return error(400, str(exc))
        tasks, total = store.find_tasks(g.user["id"], offset=(page - 1) * per_page,
                                        limit=per_page)
        response = jsonify({"tasks": [public(t) for t in tasks]})
        response.headers.update(page_headers(page, per_page, total))
        response.headers["ETag"] = list_etag(tasks, total)
        return response

    @app.post("/todo/api/v1.0/tasks")
    @login_required
    def create_task():
        values, failure = body(required=("title",))
        if failure:
            return failure
        task = store.add_task(g.user["id"], values["title"], values.get("description", ""),
                              values.get("done", False))
        return task_response(task, 201,
                             Location=url_for("get_task", id=task["id"], _external=True))

    @app.get("/todo/api/v1.0/tasks/<int:id>")
    @login_required
    def get_task(id):
        task = store.get_task(g.user["id"], id)
        if task is None:
            return error(404, "No such task")
        if request.if_none_match.contains(task_etag(task).strip('"')):
            return app.response_class(status=304, headers={"ETag": task_etag(task)})
        return task_response(task, **{"Accept-Patch": "application/merge-patch+json"})

    @app.put("/todo/api/v1.0/tasks/<int:id>")
    @login_required
    def update_task(id):
        changes, failure = body()
        if failure:
            return failure
        task = store.update_task(g.user["id"], id, changes) if changes else \
            store.get_task(g.user["id"], id)
        if task is None:
            return error(404, "No such task")
        return task_response(task, **{"Accept-Patch": "application/merge-patch+json"})

    return app
