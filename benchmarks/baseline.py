"""The same API hand-written in plain Flask: routes, jsonify, the same store and auth.

This is what the Flask-RESTful service is measured against. It does the same
work a careful hand-written version would: Basic auth against the store's
scrypt hashes through the same credential cache (or, with ``plaintext``, a
plain comparison against a dict of passwords, the article's own scheme), the
store's paging, a uri per task from url_for, and jsonify.
"""

import hmac
from functools import wraps

from flask import Flask, abort, g, jsonify, request, url_for

from todo.credentials import VerifiedCredentials
from todo.store import open_store

PLAINTEXT_PASSWORDS = {"miguel": "python"}


def create_baseline_app(store_url, plaintext=False):
    """Build the plain-Flask twin of todo over the store at ``store_url``."""
    app = Flask(__name__)
    store = open_store(store_url)
    app.extensions["todo.store"] = store
    credentials = VerifiedCredentials()

    def login_required(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            auth = request.authorization
            user = store.get_user(auth.username) if auth and auth.username else None
            if user is None:
                ok = False
            elif plaintext:
                ok = hmac.compare_digest(PLAINTEXT_PASSWORDS.get(auth.username, ""),
                                         auth.password or "")
            else:
                ok = credentials.verify(user, auth.password or "")
            if not ok:
                response = jsonify({"error": "Unauthorized access"})
                response.status_code = 401
                response.headers["WWW-Authenticate"] = 'Basic realm="Authentication Required"'
                return response
            g.user = user
            return view(*args, **kwargs)
        return wrapper

    def public(task):
        return {"title": task["title"], "description": task["description"],
                "done": task["done"],
                "uri": url_for("get_task", id=task["id"], _external=True)}

    @app.get("/todo/api/v1.0/tasks")
    @login_required
    def get_tasks():
        page = request.args.get("page", 1, type=int)
        per_page = min(request.args.get("per_page", 100, type=int), 1000)
        tasks, total = store.find_tasks(g.user["id"], offset=(page - 1) * per_page,
                                        limit=per_page)
        response = jsonify({"tasks": [public(t) for t in tasks]})
        response.headers["X-Total-Count"] = str(total)
        return response

    @app.post("/todo/api/v1.0/tasks")
    @login_required
    def create_task():
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("title"), str):
            abort(400)
        task = store.add_task(g.user["id"], body["title"].strip(),
                              body.get("description", ""), body.get("done", False))
        response = jsonify({"task": public(task)})
        response.status_code = 201
        response.headers["Location"] = url_for("get_task", id=task["id"], _external=True)
        return response

    @app.get("/todo/api/v1.0/tasks/<int:id>")
    @login_required
    def get_task(id):
        task = store.get_task(g.user["id"], id)
        if task is None:
            abort(404)
        return jsonify({"task": public(task)})

    @app.put("/todo/api/v1.0/tasks/<int:id>")
    @login_required
    def update_task(id):
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            abort(400)
        changes = {k: body[k] for k in ("title", "description", "done") if k in body}
        task = store.update_task(g.user["id"], id, changes) if changes else \
            store.get_task(g.user["id"], id)
        if task is None:
            abort(404)
        return jsonify({"task": public(task)})

    return app
