"""reqparse for JSON bodies: shape checked first, no coercion, unknown fields refused."""

import json
import re

from flask import request
from flask_restful import reqparse
from werkzeug.exceptions import HTTPException

from todo.errors import MESSAGES, ApiError

UNKNOWN_FIELD = "Unknown field"


class Argument(reqparse.Argument):
    """An argument whose ``type`` sees every value as sent, null included.

    reqparse would skip ``type`` for null (or refuse it with its own wording),
    retry ``type`` with other signatures on TypeError, and look for operators,
    choices, case and whitespace options on every request. These arguments take
    ``type``, ``required``, ``default``, ``store_missing``, ``dest`` and
    ``missing_message`` only, and read one value from those the parser has
    already decoded: the strict validators of todo.inputs get it as it is.
    """

    def __init__(self, name, missing_message=None, **kwargs):
        unsupported = set(kwargs) - {"type", "required", "default", "store_missing", "dest",
                                     "location"}
        if unsupported:
            raise TypeError(f"Argument does not take {', '.join(sorted(unsupported))}")
        kwargs.setdefault("location", "json")
        # Only what the client sent ends up in the namespace: PUT changes those alone.
        kwargs.setdefault("store_missing", False)
        super().__init__(name, **kwargs)
        self.missing_message = missing_message or "Missing required field"

    def parse(self, values):
        """From the decoded ``values`` (a dict) return (value, True), (default, False)
        when absent, or (error, {name: message})."""
        if self.name not in values:
            if self.required:
                return ValueError(self.missing_message), {self.name: self.missing_message}
            return (self.default() if callable(self.default) else self.default), False
        try:
            return self.type(values[self.name]), True
        except ValueError as error:
            return error, {self.name: str(error)}


class StrictParser(reqparse.RequestParser):
    """A parser that refuses what it does not know and reports every error at once.

    ``ignore`` names inputs that are accepted and dropped (a task's ``id`` and
    ``uri`` sent back); any other unknown name is an error, so a typo is never
    silently dropped.  Subclasses say where the values come from.
    """

    location = None
    unknown_message = UNKNOWN_FIELD

    def __init__(self, ignore=(), **kwargs):
        kwargs.setdefault("argument_class", Argument)
        super().__init__(bundle_errors=True, **kwargs)
        self.ignore = frozenset(ignore)

    def add_argument(self, *args, **kwargs):
        kwargs.setdefault("location", self.location)
        return super().add_argument(*args, **kwargs)

    def values(self):
        """Return (the request's values by name, errors found reading them)."""
        raise NotImplementedError

    def parse_args(self, req=None, strict=False, http_error_code=400):
        """Return the arguments (reqparse's namespace), or raise a 400 naming every error.

        reqparse's own loop would hand each argument the request to find its
        values in again; here they are read once, and each argument looks its
        own up in them.
        """
        values, read_errors = self.values()
        errors, args = {}, self.namespace_class()
        for arg in self.args:
            value, found = arg.parse(values)
            if isinstance(value, ValueError):
                errors.update(found)
            elif found or arg.store_missing:
                args[arg.dest or arg.name] = value
        # The known fields' errors come first: an error body lists only the first few.
        for name, message in read_errors.items():
            errors.setdefault(name, message)
        known = {arg.name for arg in self.args} | self.ignore
        for name in values:
            if name not in known:
                errors.setdefault(name, self.unknown_message)
        if errors:
            raise ApiError(http_error_code, errors)
        return args


class JsonBodyParser(StrictParser):
    """Parse a JSON object body; ``media_types`` are the Content-Types accepted (415 otherwise)."""

    location = "json"

    def __init__(self, ignore=(), media_types=("application/json",), **kwargs):
        super().__init__(ignore, **kwargs)
        self.media_types = tuple(media_types)

    def values(self):
        return json_object_body(self.media_types), {}


class QueryParser(StrictParser):
    """Parse the query string, where each argument may be given once."""

    location = "args"
    unknown_message = "Unknown query argument"

    def values(self):
        errors = {name: "Given more than once" for name, given in request.args.lists()
                  if len(given) > 1}
        return request.args.to_dict(), errors


def json_object_body(media_types=("application/json",)):
    """Return the request's JSON body, which must be an object sent as one of ``media_types``.

    JSON between systems is UTF-8 (RFC 8259 section 8.1): a body declared or found
    to be in another encoding is a 415. A member name given twice is a 400: which
    of the two values counts would otherwise be the parser's guess.
    """
    if request.mimetype not in media_types:
        raise ApiError(415, f"Send the body as JSON with Content-Type: {media_types[0]}")
    charset = request.mimetype_params.get("charset")
    if charset is not None and charset.lower() != "utf-8":
        raise ApiError(415, f"Send the JSON body in UTF-8: {media_types[0]} with no charset, "
                            "or charset=utf-8")
    data = request_body()
    if not data:
        raise ApiError(415, f"The request has no body; send a JSON object as {media_types[0]}")
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
