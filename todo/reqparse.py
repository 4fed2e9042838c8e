"""Strict input through reqparse: a JSON body read once and checked first, every error at once.

The parsers are Flask-RESTful's own ``RequestParser`` with ``bundle_errors``,
their arguments typed by the strict validators of todo.inputs, so ``copy()``
and ``replace_argument()`` work as documented. What reqparse does not do is
done around ``parse_args`` by ``JsonBody`` and ``Query``:

- the body must be a JSON object, in UTF-8, with each member named once
  (reqparse would take whatever ``request.get_json`` makes of it);
- a JSON null reaches the validator, which refuses it or gives its meaning
  (reqparse passes it through as None);
- a missing required field gets its own message, and a name no argument knows
  is an error rather than silently dropped.
"""

import json
import re

from flask import request
from flask_restful import reqparse
from werkzeug.exceptions import HTTPException

from todo.errors import MESSAGES, ApiError

UNKNOWN_FIELD = "Unknown field"
UNKNOWN_QUERY_ARGUMENT = "Unknown query argument"
JSON = "application/json"


class Argument(reqparse.Argument):
    """reqparse's Argument, with the message for a required one that is missing.

    Only what the client sent ends up in the namespace (``store_missing`` is
    False unless asked for): a PUT changes the fields it names and no others.
    """

    def __init__(self, name, *args, missing_message="Missing required field", **kwargs):
        kwargs.setdefault("store_missing", False)
        super().__init__(name, *args, **kwargs)
        self.missing_message = missing_message


def parser():
    """Return a new RequestParser of this module's Arguments, reporting every error at once."""
    return reqparse.RequestParser(argument_class=Argument, bundle_errors=True)


class DecodedBody:
    """What ``parse_args(req=...)`` reads ``location="json"`` arguments from: the body,
    decoded and checked once."""

    def __init__(self, json):
        self.json = json


class JsonBody:
    """A JSON object body: a parser's arguments; ``ignore`` names accepted and dropped
    (a task's ``id`` and ``uri`` sent back); ``media_types`` the Content-Types taken;
    ``one_of`` names arguments of which the body must give exactly one."""

    def __init__(self, parser, ignore=(), media_types=(JSON,), one_of=()):
        self.parser = parser
        self.ignore = frozenset(ignore)
        self.media_types = tuple(media_types)
        self.one_of = tuple(one_of)

    def parse(self):
        """Return the request body's arguments, or raise a 400 naming every error."""
        body = json_object_body(self.media_types)
        args = parse(self.parser, DecodedBody(body), body, ignore=self.ignore)
        if self.one_of and sum(name in args for name in self.one_of) != 1:
            raise ApiError(400, f"Give exactly one of {' and '.join(self.one_of)}")
        return args


class Query:
    """A query string: a parser's arguments, each given at most once."""

    def __init__(self, parser):
        self.parser = parser

    def parse(self):
        """Return the query string's arguments, or raise a 400 naming every error."""
        repeated = {name: "Given more than once" for name, given in request.args.lists()
                    if len(given) > 1}
        return parse(self.parser, request, request.args, read_errors=repeated,
                     unknown=UNKNOWN_QUERY_ARGUMENT)


def parse(parser, req, given, ignore=frozenset(), read_errors=None, unknown=UNKNOWN_FIELD):
    """Run ``parser.parse_args(req=req)`` over the values ``given``; raise one 400 for all
    that is wrong: reqparse's errors, nulls the validator refuses, missing and unknown names.
    """
    errors = {}
    try:
        args = parser.parse_args(req=req)
        found = {}
    except HTTPException as exc:
        # bundle_errors: flask_restful.abort(400, message={name: message}).
        args, found = None, exc.data["message"]
    for arg in parser.args:
        name = arg.name
        if name not in given:
            if arg.required:
                errors[name] = arg.missing_message
        elif name in found:
            errors[name] = found[name]
        elif given[name] is None:
            # reqparse skips the validator for null; the validator knows what null means.
            try:
                value = arg.type(None)
            except ValueError as error:
                errors[name] = str(error)
            else:
                if args is not None:
                    args[arg.dest or name] = value
    # The known fields' errors come first: an error body lists only the first few.
    for name, message in (read_errors or {}).items():
        errors.setdefault(name, message)
    known = {arg.name for arg in parser.args} | ignore
    for name in given:
        if name not in known:
            errors.setdefault(name, unknown)
    if errors:
        raise ApiError(400, errors)
    return args


def json_object_body(media_types=(JSON,)):
    """Return the request's JSON body, which must be an object sent as one of ``media_types``.

    JSON between systems is UTF-8 (RFC 8259 section 8.1): a body declared or found
    to be in another encoding is a 415. A member name given twice is a 400: which
    of the two values counts would otherwise be the parser's guess.
    """
    # RFC 5789: a 415 to a PATCH says, in Accept-Patch, what PATCH takes.
    headers = {"Accept-Patch": media_types[0]} if request.method == "PATCH" else None
    if request.mimetype not in media_types:
        raise ApiError(415, f"Send the body as JSON with Content-Type: {media_types[0]}",
                       headers=headers)
    charset = request.mimetype_params.get("charset")
    if charset is not None and charset.lower() != "utf-8":
        raise ApiError(415, f"Send the JSON body in UTF-8: {media_types[0]} with no charset, "
                            "or charset=utf-8", headers=headers)
    data = request_body()
    if not data:
        raise ApiError(415, f"The request has no body; send a JSON object as {media_types[0]}",
                       headers=headers)
    # UTF-16 and UTF-32 show in the first bytes (a BOM, or NULs beside ASCII).
    if json.detect_encoding(data) not in ("utf-8", "utf-8-sig"):
        raise ApiError(415, "Send the JSON body in UTF-8, not UTF-16 or UTF-32")
    try:
        # A UTF-8 BOM is tolerated, as RFC 8259 allows; invalid UTF-8 is not JSON.
        body = _decode(data.decode("utf-8-sig"))
    except DuplicateMember as duplicate:
        raise ApiError(400, f"The member {duplicate} is given more than once") from None
    except UnusableName:
        raise ApiError(400, "A member name holds a lone surrogate (\\ud800 to \\udfff), "
                            "which is not text") from None
    except (ValueError, RecursionError):
        # RecursionError: absurdly deep nesting, which Flask's get_json lets through as a 500.
        raise ApiError(400, "The request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object")
    return body


def request_body():
    """Return the request's body: a 413 past MAX_CONTENT_LENGTH, a 400 if it cannot be read.

    A body of unknown length (chunked) is read through Werkzeug's limited
    stream, which stops at ``request.max_content_length`` without a word;
    allowing one byte more here tells a body at the limit from one past it.
    """
    limit = request.max_content_length
    unknown_length = request.content_length is None and limit is not None
    if unknown_length:
        # Before anything reads the stream: Flask lets a request set its own limit.
        request.max_content_length = int(limit) + 1
    try:
        data = request.get_data(cache=True)
    except HTTPException as exc:
        if exc.code == 413:
            raise
        # ClientDisconnected: the body ended before its announced end.
        raise ApiError(400, "The request body ended early or could not be read") from None
    except Exception:
        # The server's own reader gave up (gunicorn raises its InvalidChunkSize on
        # broken chunked framing): the client sent something unreadable.
        raise ApiError(400, "The request body could not be read: its framing (e.g. "
                            "Transfer-Encoding: chunked) is malformed") from None
    if unknown_length and len(data) > limit:
        raise ApiError(413, MESSAGES[413])
    return data


class DuplicateMember(ValueError):
    """A JSON object names a member twice."""


class UnusableName(ValueError):
    """A JSON member name is not text (it holds a lone surrogate)."""


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _object(pairs):
    """Build a decoded JSON object, refusing member names given twice or not text."""
    for name, _ in pairs:
        # Error bodies name unknown members, and no response can carry a lone surrogate.
        if not name.isascii() and _LONE_SURROGATE.search(name):
            raise UnusableName(name)
    body = dict(pairs)
    if len(body) != len(pairs):
        seen = set()
        for name, _ in pairs:
            if name in seen:
                raise DuplicateMember(json.dumps(name, ensure_ascii=False))
            seen.add(name)
    return body


def _refuse_constant(name):
    # NaN and Infinity are not JSON, whatever Python's decoder accepts.
    raise ValueError(f"{name} is not valid JSON")


# One decoder, made once, not per call.
_decode = json.JSONDecoder(object_pairs_hook=_object, parse_constant=_refuse_constant).decode
