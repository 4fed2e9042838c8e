"""The Todo-Backend API: the same tasks, in the shape the standard to-do clients expect.

Todo-Backend's clients and test suite speak ``{"title", "completed", "order",
"url"}`` at a root that lists (a bare array), adds and empties, and at each
todo's ``url``. These resources are that shape over the same store, with the
same input rules (todo.inputs) and the same error shape as the main API: only
the field map and the parsers' member names differ.
"""

from flask import url_for

from todo import inputs
from todo.auth import login_or_public, current_user
from todo.errors import ApiError
from todo.fields import RecordUrl, Value, marshal_with
from todo.reqparse import JsonBody, Query, parser
from todo.resources import TaskResource, found, task_order, task_title

todo_fields = {
    "title": Value("string"),
    "completed": Value("boolean", attribute="done"),
    "order": Value("integer"),
    "url": RecordUrl("todo", absolute=True),
}
# Clients send back the todo they were given: its url is read-only, and ignored.
READ_ONLY = ("url",)

new_todo_parser = parser()
new_todo_parser.add_argument("title", type=task_title, required=True, location="json",
                             missing_message="No todo title provided")
new_todo_parser.add_argument("completed", dest="done", type=inputs.boolean, location="json")
new_todo_parser.add_argument("order", type=task_order, location="json")
new_todo = JsonBody(new_todo_parser, ignore=READ_ONLY)

# A change gives any of the same members: the title is no longer required.
todo_patch_parser = new_todo_parser.copy()
todo_patch_parser.replace_argument("title", type=task_title, location="json")
todo_patch = JsonBody(todo_patch_parser, ignore=READ_ONLY)
# The list takes no query arguments: one given is a mistake, refused as the main API does.
no_query = Query(parser())


class TodoResource(TaskResource):
    """A Todo-Backend resource: Basic or Bearer, or the public account if one is set."""

    decorators = [login_or_public]


class TodoListAPI(TodoResource):
    """The caller's todos: all of them in order, a new one, or none at all."""

    @marshal_with(todo_fields)
    def get(self):
        no_query.parse()
        todos, _ = self.store.find_tasks(current_user()["id"], sort=(("order", False),),
                                         limit=None)
        return todos

    @marshal_with(todo_fields)
    def post(self):
        todo = self.store.add_task(current_user()["id"], **new_todo.parse())
        return todo, 201, {"Location": url_for("todo", id=todo["id"], _external=True)}

    def delete(self):
        # No body is read: the suite sends Content-Type: application/json with none.
        deleted = self.store.delete_tasks(current_user()["id"])
        return {"deleted": deleted}, 200


class TodoAPI(TodoResource):
    """One of the caller's todos: read, change or delete it."""

    @marshal_with(todo_fields)
    def get(self, id):
        return self.owned_task(id)

    @marshal_with(todo_fields)
    def patch(self, id):
        changes = todo_patch.parse()
        if not changes:
            return self.owned_task(id)
        return found(self.store.update_task(current_user()["id"], id, dict(changes)))

    def delete(self, id):
        if not self.store.delete_task(current_user()["id"], id):
            raise ApiError(404)
        return {"result": True}, 200
