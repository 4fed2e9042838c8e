"""The task resources: TaskListAPI and TaskAPI, with the parsers they validate with."""

from flask import url_for
from flask_restful import Resource, marshal_with

from todo import inputs
from todo.auth import basic_auth, current_user
from todo.errors import ApiError
from todo.fields import task_fields
from todo.reqparse import JsonBodyParser

TITLE_MAX = 200
DESCRIPTION_MAX = 4000
# Clients may send back what they received; these are read-only and ignored.
READ_ONLY = ("id", "uri")

new_task_parser = JsonBodyParser(ignore=READ_ONLY)
new_task_parser.add_argument("title", type=inputs.text(TITLE_MAX, strip=True, required=True),
                             required=True, missing_message="No task title provided")
new_task_parser.add_argument("description", type=inputs.text(DESCRIPTION_MAX),
                             default="", store_missing=True)
new_task_parser.add_argument("done", type=inputs.boolean, default=False, store_missing=True)

task_update_parser = JsonBodyParser(ignore=READ_ONLY)
task_update_parser.add_argument("title", type=inputs.text(TITLE_MAX, strip=True, required=True))
task_update_parser.add_argument("description", type=inputs.text(DESCRIPTION_MAX))
task_update_parser.add_argument("done", type=inputs.boolean)


class TaskResource(Resource):
    """What both task resources share: authentication and the store."""

    decorators = [basic_auth.login_required]

    def __init__(self, store):
        self.store = store

    def owned_task(self, id):
        """Return the caller's task ``id``, or answer 404 (also for other users' tasks)."""
        task = self.store.get_task(current_user()["id"], id)
        if task is None:
            raise ApiError(404)
        return task


class TaskListAPI(TaskResource):
    """The caller's task list: read it, or add to it."""

    @marshal_with(task_fields, envelope="tasks")
    def get(self):
        return self.store.list_tasks(current_user()["id"])

    @marshal_with(task_fields, envelope="task")
    def post(self):
        args = new_task_parser.parse_args()
        task = self.store.add_task(current_user()["id"], **args)
        return task, 201, {"Location": url_for("task", id=task["id"], _external=True)}


class TaskAPI(TaskResource):
    """One of the caller's tasks: read, change or delete it."""

    @marshal_with(task_fields, envelope="task")
    def get(self, id):
        return self.owned_task(id)

    @marshal_with(task_fields, envelope="task")
    def put(self, id):
        changes = task_update_parser.parse_args()
        if not changes:
            return self.owned_task(id)
        task = self.store.update_task(current_user()["id"], id, dict(changes))
        if task is None:
            raise ApiError(404)
        return task

    def delete(self, id):
        if not self.store.delete_task(current_user()["id"], id):
            raise ApiError(404)
        return {"result": True}
