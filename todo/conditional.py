"""Conditional requests (RFC 9110): ETags, If-None-Match on reads, If-Match on writes."""

import hashlib
import re

from flask import abort, current_app, request


def task_etag(task):
    """Return the strong ETag of a task: its id and version, so every process agrees."""
    return f'"{task["id"]}-{task["version"]}"'


def list_etag(tasks, total):
    """Return the strong ETag of a page of tasks, from what is stored and what was asked."""
    digest = hashlib.sha256(f"{request.full_path}|{total}".encode())
    for task in tasks:
        digest.update(b"|%d-%d" % (task["id"], task["version"]))
    return f'"{digest.hexdigest()[:32]}"'


def abort_if_not_modified(etag):
    """Stop with 304 and no body when the request's If-None-Match names ``etag``."""
    # Most requests have no If-None-Match: spare them parsing one.
    if "HTTP_IF_NONE_MATCH" in request.environ \
            and request.if_none_match.contains_weak(etag.strip('"')):
        abort(current_app.response_class(status=304, headers={"ETag": etag}))


def if_match_versions(id):
    """Return the versions of task ``id`` that If-Match allows, or None for any.

    Without If-Match (the articles' clients) or with ``*`` the write is
    unconditional. The store checks the version in the same transaction as the
    write, so two processes cannot both pass; a stale one is a VersionMismatch
    (412, todo.errors).
    """
    if "HTTP_IF_MATCH" not in request.environ or request.if_match.star_tag:
        return None
    # Strong tags only (weak ones never match); Werkzeug reads "" as None.
    tags = [tag for tag in request.if_match.as_set() if tag]
    return {int(m.group(1)) for m in
            (re.fullmatch(rf"{id}-([0-9]{{1,9}})", tag) for tag in tags) if m}
