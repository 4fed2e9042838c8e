"""Conditional requests (RFC 9110): ETags, If-None-Match on reads, If-Match on writes."""

import hashlib
import re
from functools import wraps

from flask import current_app, request
from flask_restful.utils import unpack

from todo.errors import ApiError
from todo.store import VersionMismatch

STALE = ("The task has changed since you read it: GET it again, and send its new ETag "
         "in If-Match")


def task_etag(task):
    """Return the strong ETag of a task: its id and version, so every process agrees."""
    return f'"{task["id"]}-{task["version"]}"'


def list_etag(tasks, total):
    """Return the strong ETag of a page of tasks, from what is stored and what was asked."""
    digest = hashlib.sha256(f"{request.full_path}|{total}".encode())
    for task in tasks:
        digest.update(b"|%d-%d" % (task["id"], task["version"]))
    return f'"{digest.hexdigest()[:32]}"'


def not_modified(view):
    """Answer 304, with no body, when If-None-Match names the ETag the view returns."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        data, code, headers = unpack(view(*args, **kwargs))
        etag = headers.get("ETag")
        # Most requests have no If-None-Match: spare them parsing one.
        if code == 200 and etag and "HTTP_IF_NONE_MATCH" in request.environ \
                and request.if_none_match.contains_weak(etag.strip('"')):
            return current_app.response_class(status=304, headers={"ETag": etag})
        return data, code, headers
    return wrapper


def if_match(method):
    """Pass the task versions If-Match allows as ``versions``; a stale tag is a 412.

    Without If-Match (the articles' clients) or with ``*``, ``versions`` is None
    and the write is unconditional.  The store checks the version in the same
    transaction as the write, so two processes cannot both pass the check.
    """
    @wraps(method)
    def wrapper(self, id, **kwargs):
        versions = None
        if "HTTP_IF_MATCH" in request.environ and not request.if_match.star_tag:
            # Strong tags only (weak ones never match); Werkzeug reads "" as None.
            tags = [tag for tag in request.if_match.as_set() if tag]
            versions = {int(m.group(1)) for m in
                        (re.fullmatch(rf"{id}-([0-9]{{1,9}})", tag) for tag in tags) if m}
        try:
            return method(self, id, versions=versions, **kwargs)
        except VersionMismatch:
            raise ApiError(412, STALE) from None
    return wrapper
