"""The task resources: TaskListAPI and TaskAPI, with the parsers they validate with."""

from functools import wraps

from flask import current_app, request, url_for
from flask_restful import Resource
from flask_restful.utils import unpack
from werkzeug.wrappers import Response

from todo import inputs
from todo.auth import current_user, multi_auth
from todo.conditional import if_match, list_etag, not_modified, task_etag
from todo.errors import ApiError
from todo.fields import marshal_with, task_fields
from todo.pagination import page_headers
from todo.reqparse import JsonBodyParser, QueryParser
from todo.store import SORT_KEYS, VersionMismatch

TITLE_MAX = 200
DESCRIPTION_MAX = 4000
PER_PAGE, PER_PAGE_MAX = 100, 1000
# Clients may send back what they received; these are read-only and ignored.
READ_ONLY = ("id", "uri")
MERGE_PATCH = "application/merge-patch+json"
# Stored text is NFC; a title must show something (not only blanks or zero-width marks).
task_title = inputs.text(TITLE_MAX, strip=True, required=True, nfc=True)
task_description = inputs.text(DESCRIPTION_MAX, nfc=True)

new_task_parser = JsonBodyParser(ignore=READ_ONLY)
new_task_parser.add_argument("title", type=task_title, required=True,
                             missing_message="No task title provided")
new_task_parser.add_argument("description", type=task_description, default="",
                             store_missing=True)
new_task_parser.add_argument("done", type=inputs.boolean, default=False, store_missing=True)

task_update_parser = JsonBodyParser(ignore=READ_ONLY)
task_update_parser.add_argument("title", type=task_title)
task_update_parser.add_argument("description", type=task_description)
task_update_parser.add_argument("done", type=inputs.boolean)

# RFC 7396: members replace, and null removes, which for a description means "".
task_patch_parser = JsonBodyParser(ignore=READ_ONLY, media_types=(MERGE_PATCH, "application/json"))
task_patch_parser.add_argument("title", type=task_title)
task_patch_parser.add_argument("description",
                               type=inputs.text(DESCRIPTION_MAX, null_as="", nfc=True))
task_patch_parser.add_argument("done", type=inputs.boolean)

task_list_parser = QueryParser()
task_list_parser.add_argument("page", type=inputs.whole_number(1, 10**9), default=1,
                              store_missing=True)
task_list_parser.add_argument("per_page", type=inputs.whole_number(1, PER_PAGE_MAX),
                              default=PER_PAGE, store_missing=True)
task_list_parser.add_argument("done", type=inputs.query_boolean)
task_list_parser.add_argument("startswith", type=inputs.text(TITLE_MAX, nfc=True))
task_list_parser.add_argument("q", type=inputs.text(TITLE_MAX, nfc=True))
task_list_parser.add_argument("sort", type=inputs.sort_keys(SORT_KEYS))


def with_headers(**headers):
    """Add ``headers`` to every response of a view, errors it raises included."""
    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            try:
                rv = view(*args, **kwargs)
            except ApiError as exc:
                exc.headers = {**headers, **dict(exc.headers)}
                raise
            if isinstance(rv, Response):
                rv.headers.update(headers)
                return rv
            data, code, extra = unpack(rv)
            return data, code, {**headers, **extra}
        return wrapper
    return decorator


class StoreResource(Resource):
    """A resource over the store, protected by Basic or Bearer authentication."""

    decorators = [multi_auth.login_required]
    # One instance serves every request (Flask's View): it holds nothing but the store.
    init_every_request = False

    def __init__(self, store):
        self.store = store

    def dispatch_request(self, *args, **kwargs):
        """Call the method named by the request.

        Flask-RESTful's would first parse the Accept header to choose among the
        resource's own representations; these have none (the Api encodes every
        response as JSON), so that answer is known before any request.
        """
        method = getattr(self, request.method.lower(), None)
        if method is None and request.method == "HEAD":
            method = self.get
        return method(*args, **kwargs)

    def options(self, **kwargs):
        """Answer with Allow and no body; no credentials needed (CORS preflights)."""
        response = current_app.make_default_options_response()
        del response.headers["Content-Type"]
        return response


class TaskResource(StoreResource):
    """What both task resources share."""

    def owned_task(self, id):
        """Return the caller's task ``id``, or answer 404 (also for other users' tasks)."""
        task = self.store.get_task(current_user()["id"], id)
        if task is None:
            raise ApiError(404)
        return task


class TaskListAPI(TaskResource):
    """The caller's task list: read it a page at a time, or add to it."""

    @not_modified
    @marshal_with(task_fields, envelope="tasks")
    def get(self):
        args = task_list_parser.parse_args()
        tasks, total = self.store.find_tasks(
            current_user()["id"], done=args.get("done"), startswith=args.get("startswith"),
            q=args.get("q"), sort=args.get("sort") or (("id", False),),
            offset=(args.page - 1) * args.per_page, limit=args.per_page)
        return tasks, 200, {**page_headers(args.page, args.per_page, total),
                            "ETag": list_etag(tasks, total)}

    @marshal_with(task_fields, envelope="task")
    def post(self):
        args = new_task_parser.parse_args()
        task = self.store.add_task(current_user()["id"], **args)
        return task, 201, {"Location": url_for("task", id=task["id"], _external=True),
                           "ETag": task_etag(task)}


class TaskAPI(TaskResource):
    """One of the caller's tasks: read, change or delete it."""

    decorators = StoreResource.decorators + [with_headers(**{"Accept-Patch": MERGE_PATCH})]

    @not_modified
    @marshal_with(task_fields, envelope="task")
    def get(self, id):
        task = self.owned_task(id)
        return task, 200, {"ETag": task_etag(task)}

    @if_match
    @marshal_with(task_fields, envelope="task")
    def put(self, id, versions=None):
        return self.change(id, task_update_parser.parse_args(), versions)

    @if_match
    @marshal_with(task_fields, envelope="task")
    def patch(self, id, versions=None):
        return self.change(id, task_patch_parser.parse_args(), versions)

    @if_match
    def delete(self, id, versions=None):
        if not self.store.delete_task(current_user()["id"], id, versions):
            raise ApiError(404)
        return {"result": True}

    def change(self, id, changes, versions):
        """Apply the parsed ``changes`` (maybe none) if the version allows; return the task."""
        if changes:
            task = self.store.update_task(current_user()["id"], id, dict(changes), versions)
            if task is None:
                raise ApiError(404)
        else:
            task = self.owned_task(id)
            if versions is not None and task["version"] not in versions:
                raise VersionMismatch(id)
        return task, 200, {"ETag": task_etag(task)}
