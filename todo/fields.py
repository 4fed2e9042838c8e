"""The marshal field maps (what clients see of a task or a user), and marshal_with for them.

The maps are Flask-RESTful's: dicts of ``fields.Raw`` instances, whose
``output(key, record)`` makes each value. Two ideas keep a page of 100 tasks
cheap, both through that method:

- ``marshal_with`` reads its map once, when the view is decorated, and makes
  each record a plain dict of ``output()`` calls (flask_restful.marshal walks
  the map again for every record, into OrderedDicts);
- ``RecordUrl`` asks ``url_for`` once per response and adds each record's id,
  where ``fields.Url`` asks once per record.
"""

from contextvars import ContextVar
from functools import wraps
from urllib.parse import urlsplit, urlunsplit

from flask import url_for
from flask_restful import fields

# What RecordUrl fields work out while marshal_with makes one response: its records
# share the request's Host and prefix. None outside marshal_with (then each is built alone).
_response_urls = ContextVar("todo.fields.response_urls", default=None)


def marshal_with(field_map, envelope=None):
    """Marshal what the view returns with ``field_map``, as flask_restful.marshal_with does.

    The view returns a record or a list of records, alone or with a status and
    headers; those pass through untouched. The map is flat (no nested maps):
    each key's value is its field's ``output(key, record)``.
    """
    outputs = []   # (key, the field's bound output method), looked up once
    for key, field in field_map.items():
        if isinstance(field, dict):
            raise TypeError(f"{key}: nested field maps need flask_restful.marshal_with")
        outputs.append((key, (field() if isinstance(field, type) else field).output))

    def marshal(record):
        return {key: output(key, record) for key, output in outputs}

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            rv = view(*args, **kwargs)
            data = rv[0] if isinstance(rv, tuple) else rv
            token = _response_urls.set({})
            try:
                out = [marshal(record) for record in data] if isinstance(data, list) \
                    else marshal(data)
            finally:
                _response_urls.reset(token)
            if envelope:
                out = {envelope: out}
            return (out, *rv[1:]) if isinstance(rv, tuple) else out
        return wrapper
    return decorator


class RecordUrl(fields.Url):
    """fields.Url for an endpoint whose URL ends in the record's ``id`` (``/tasks/<id>``).

    The URL is what fields.Url would give, for any Host, port, scheme or
    SCRIPT_NAME: one ``url_for`` per response (made by marshal_with) builds it for
    a first id, and the part before that last path segment serves every record.
    """

    def output(self, key, obj):
        heads = _response_urls.get()
        if heads is None:   # marshalled alone (flask_restful.marshal, say)
            return f"{self.head(obj['id'])}{obj['id']}"
        head = heads.get(self)
        if head is None:
            head = heads[self] = self.head(obj["id"])
        return f"{head}{obj['id']}"

    def head(self, id):
        """Return this request's URL of the endpoint for ``id``, without the id."""
        url = urlsplit(url_for(self.endpoint, id=id, _external=self.absolute))
        path, _, last = url.path.rpartition("/")
        if last != str(id):
            raise ValueError(f"the URL of {self.endpoint!r} does not end in its id")
        scheme = (self.scheme or url.scheme) if self.absolute else ""
        return urlunsplit((scheme, url.netloc, f"{path}/", "", ""))


class Value(fields.Raw):
    """A value the store already gives in its JSON type: read as it is.

    fields.String and fields.Boolean look the key up through a generic getter
    and convert the value again; the store's str and bool need neither.
    ``attribute`` and ``default`` work as for any field; ``json_type`` names the
    type, for the OpenAPI document.
    """

    def __init__(self, json_type, **kwargs):
        super().__init__(**kwargs)
        self.schema = {"type": json_type}

    def output(self, key, obj):
        value = obj.get(self.attribute or key)
        return value if value is not None else self.default


task_fields = {
    "title": Value("string"),
    "description": Value("string"),
    "done": Value("boolean"),
    # Where it stands in its owner's list (sort=order); todo.store.ordering.
    "order": Value("integer"),
    # Absolute, as in the first article: http://host/todo/api/v1.0/tasks/2
    "uri": RecordUrl("task", absolute=True),
}

user_fields = {
    "username": Value("string"),
    "uri": RecordUrl("user", absolute=True),
}
