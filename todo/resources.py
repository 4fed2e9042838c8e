"""The task resources: TaskListAPI and TaskAPI, with the parsers they validate with.

A request's path: the route table (todo/__init__.py) names the resource; the
resource's ``decorators`` log the caller in (todo.auth); the method parses its
input, asks the store, and returns the record with its status and headers;
``marshal_with`` applies the field map (todo.fields) and the Api encodes it.
What goes wrong on the way is an exception, turned into the one error shape in
one place (todo.errors).
"""

from flask import current_app, url_for
from flask_restful import Resource

from todo import inputs
from todo.auth import current_user, multi_auth
from todo.converters import ID_MAX
from todo.conditional import abort_if_not_modified, if_match_versions, list_etag, task_etag
from todo.errors import ApiError, allowed
from todo.fields import marshal_with, task_fields
from todo.pagination import page_headers
from todo.reqparse import JsonBody, Query, parser
from todo.store import SORT_KEYS, VersionMismatch
from todo.store.ordering import MAX_ORDER, MIN_ORDER

TITLE_MAX = 200
DESCRIPTION_MAX = 4000
PER_PAGE, PER_PAGE_MAX = 100, 1000
# Clients may send back what they received; these are read-only and ignored.
READ_ONLY = ("id", "uri")
MERGE_PATCH = "application/merge-patch+json"
# Stored text is NFC; a title must show something (not only blanks or zero-width marks).
task_title = inputs.text(TITLE_MAX, strip=True, required=True, nfc=True)
task_description = inputs.text(DESCRIPTION_MAX, nfc=True)
# Where a task stands in its list: any integer JavaScript reads exactly.
task_order = inputs.integer(MIN_ORDER, MAX_ORDER)

new_task_parser = parser()
new_task_parser.add_argument("title", type=task_title, required=True, location="json",
                             missing_message="No task title provided")
new_task_parser.add_argument("description", type=task_description, default="",
                             store_missing=True, location="json")
new_task_parser.add_argument("done", type=inputs.boolean, default=False, store_missing=True,
                             location="json")
# Without one, the store puts the new task last.
new_task_parser.add_argument("order", type=task_order, location="json")
new_task = JsonBody(new_task_parser, ignore=READ_ONLY)

task_update_parser = parser()
task_update_parser.add_argument("title", type=task_title, location="json")
task_update_parser.add_argument("description", type=task_description, location="json")
task_update_parser.add_argument("done", type=inputs.boolean, location="json")
task_update_parser.add_argument("order", type=task_order, location="json")
task_update = JsonBody(task_update_parser, ignore=READ_ONLY)

# RFC 7396: members replace, and null removes, which for a description means "".
task_patch_parser = task_update_parser.copy()
task_patch_parser.replace_argument("description", location="json",
                                   type=inputs.text(DESCRIPTION_MAX, null_as="", nfc=True))
task_patch = JsonBody(task_patch_parser, ignore=READ_ONLY, media_types=(MERGE_PATCH, "application/json"))

task_list_parser = parser()
for name, kind, default in (("page", inputs.whole_number(1, 10**9), 1),
                            ("per_page", inputs.whole_number(1, PER_PAGE_MAX), PER_PAGE)):
    task_list_parser.add_argument(name, type=kind, default=default, store_missing=True,
                                  location="args")
task_list_parser.add_argument("done", type=inputs.query_boolean, location="args")
task_list_parser.add_argument("startswith", type=inputs.text(TITLE_MAX, nfc=True), location="args")
task_list_parser.add_argument("q", type=inputs.text(TITLE_MAX, nfc=True), location="args")
task_list_parser.add_argument("sort", type=inputs.sort_keys(SORT_KEYS), location="args")
task_list_query = Query(task_list_parser)

# A move names the one task to go just before, or just after: {"before": id} or {"after": id}.
task_move_parser = parser()
for side in ("before", "after"):
    task_move_parser.add_argument(side, type=inputs.integer(0, ID_MAX), location="json")
task_move = JsonBody(task_move_parser, one_of=("before", "after"))


class StoreResource(Resource):
    """A resource over the store, protected by Basic or Bearer authentication."""

    decorators = [multi_auth.login_required]
    # One instance serves every request (Flask's View): it holds nothing but the store.
    init_every_request = False

    def __init__(self, store):
        self.store = store

    def options(self, **kwargs):
        """Answer with Allow and no body; no credentials needed (CORS preflights)."""
        response = current_app.make_default_options_response()
        del response.headers["Content-Type"]
        response.headers["Allow"] = allowed(response.allow)
        return response


class TaskResource(StoreResource):
    """What both task resources share."""

    def owned_task(self, id):
        """Return the caller's task ``id``, or answer 404 (also for other users' tasks)."""
        return found(self.store.get_task(current_user()["id"], id))


def found(record):
    """Return ``record``; a store's None (no such record, or not the caller's) is a 404."""
    if record is None:
        raise ApiError(404)
    return record


class TaskListAPI(TaskResource):
    """The caller's task list: read it a page at a time, or add to it."""

    @marshal_with(task_fields, envelope="tasks")
    def get(self):
        args = task_list_query.parse()
        tasks, total = self.store.find_tasks(
            current_user()["id"], done=args.get("done"), startswith=args.get("startswith"),
            q=args.get("q"), sort=args.get("sort") or (("id", False),),
            offset=(args.page - 1) * args.per_page, limit=args.per_page)
        etag = list_etag(tasks, total)
        abort_if_not_modified(etag)
        return tasks, 200, {**page_headers(args.page, args.per_page, total), "ETag": etag}

    @marshal_with(task_fields, envelope="task")
    def post(self):
        args = new_task.parse()
        task = self.store.add_task(current_user()["id"], **args)
        return task, 201, {"Location": url_for("task", id=task["id"], _external=True),
                           "ETag": task_etag(task)}


class TaskAPI(TaskResource):
    """One of the caller's tasks: read, change or delete it.

    Every answer says, in Accept-Patch, that PATCH takes a JSON merge patch.
    """

    headers = {"Accept-Patch": MERGE_PATCH}

    @marshal_with(task_fields, envelope="task")
    def get(self, id):
        task = self.owned_task(id)
        etag = task_etag(task)
        abort_if_not_modified(etag)
        return task, 200, {**self.headers, "ETag": etag}

    @marshal_with(task_fields, envelope="task")
    def put(self, id):
        return self.change(id, task_update.parse())

    @marshal_with(task_fields, envelope="task")
    def patch(self, id):
        return self.change(id, task_patch.parse())

    def delete(self, id):
        if not self.store.delete_task(current_user()["id"], id, if_match_versions(id)):
            raise ApiError(404)
        return {"result": True}, 200, self.headers

    def options(self, id):
        response = super().options()
        response.headers.update(self.headers)
        return response

    def change(self, id, changes):
        """Apply the parsed ``changes`` (maybe none) if If-Match allows; return the task."""
        versions = if_match_versions(id)
        if changes:
            task = found(self.store.update_task(current_user()["id"], id, dict(changes), versions))
        else:
            # Nothing to change: still a 404 for no such task, a 412 for a stale tag.
            task = self.owned_task(id)
            if versions is not None and task["version"] not in versions:
                raise VersionMismatch(id)
        return task, 200, {**self.headers, "ETag": task_etag(task)}


class TaskMoveAPI(TaskResource):
    """Put one of the caller's tasks just before or just after another of theirs.

    The store writes the task and, only when its new neighbours leave no room,
    a few of them (todo.store.ordering): never the whole list.
    """

    @marshal_with(task_fields, envelope="task")
    def post(self, id):
        # Next to itself, a task stays where it is (as a drop onto itself does).
        (side, other), = task_move.parse().items()
        task = found(self.store.move_task(current_user()["id"], id, **{side: other},
                                          versions=if_match_versions(id)))
        return task, 200, {"ETag": task_etag(task)}
