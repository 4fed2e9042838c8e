"""The first article's To-Do API, as "Designing a RESTful API with Python and Flask" writes it.

This is the code the service grew from, written as the article writes it:
plain Flask routes, ``jsonify``, a list of dicts in memory searched by a list
comprehension, Flask-HTTPAuth's HTTPBasicAuth with a plaintext password from
``get_password``, and ``make_public_task`` swapping each task's id for a ``uri``
from ``url_for``. It has none of the service's validation, paging, conditional
requests or throttling, so the ratio against it is what all of those cost.

Two departures, for the benchmark's sake: the app is built by a factory over a
list of tasks the caller gives (each gunicorn worker holds its own, as the
article's list would), and every response that carries a task makes it public,
as the article's ``get_tasks`` does, because the service sends a uri in each.
"""

from flask import Flask, abort, jsonify, make_response, request, url_for
from flask_httpauth import HTTPBasicAuth


def create_article_app(tasks):
    """Build the article's API over ``tasks``, dicts with id, title, description and done."""
    app = Flask(__name__)
    auth = HTTPBasicAuth()

    @auth.get_password
    def get_password(username):
        if username == "miguel":
            return "python"
        return None

    @auth.error_handler
    def unauthorized():
        return make_response(jsonify({"error": "Unauthorized access"}), 401)

    @app.errorhandler(404)
    def not_found(error):
        return make_response(jsonify({"error": "Not found"}), 404)

    def make_public_task(task):
        new_task = {}
        for field in task:
            if field == "id":
                new_task["uri"] = url_for("get_task", task_id=task["id"], _external=True)
            else:
                new_task[field] = task[field]
        return new_task

    def find_task(task_id):
        task = [task for task in tasks if task["id"] == task_id]
        if len(task) == 0:
            abort(404)
        return task[0]

    @app.route("/todo/api/v1.0/tasks", methods=["GET"])
    @auth.login_required
    def get_tasks():
        return jsonify({"tasks": [make_public_task(task) for task in tasks]})

    @app.route("/todo/api/v1.0/tasks/<int:task_id>", methods=["GET"])
    @auth.login_required
    def get_task(task_id):
        return jsonify({"task": make_public_task(find_task(task_id))})

    @app.route("/todo/api/v1.0/tasks", methods=["POST"])
    @auth.login_required
    def create_task():
        if not request.json or "title" not in request.json:
            abort(400)
        task = {
            "id": tasks[-1]["id"] + 1,
            "title": request.json["title"],
            "description": request.json.get("description", ""),
            "done": False,
        }
        tasks.append(task)
        return jsonify({"task": make_public_task(task)}), 201

    @app.route("/todo/api/v1.0/tasks/<int:task_id>", methods=["PUT"])
    @auth.login_required
    def update_task(task_id):
        task = find_task(task_id)
        if not request.json:
            abort(400)
        for name, kind in (("title", str), ("description", str), ("done", bool)):
            if name in request.json and type(request.json[name]) is not kind:
                abort(400)
        task["title"] = request.json.get("title", task["title"])
        task["description"] = request.json.get("description", task["description"])
        task["done"] = request.json.get("done", task["done"])
        return jsonify({"task": make_public_task(task)})

    @app.route("/todo/api/v1.0/tasks/<int:task_id>", methods=["DELETE"])
    @auth.login_required
    def delete_task(task_id):
        tasks.remove(find_task(task_id))
        return jsonify({"result": True})

    return app
