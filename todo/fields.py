"""The marshal field maps (what clients see of a task or a user), and marshal_with for them.

The field maps are Flask-RESTful's: a dict of ``fields.Raw`` instances. What
differs is the cost of applying them. flask_restful.marshal walks the map
again for every record, through a generator, an isinstance test and a class
check per field, into OrderedDicts; fields.Url calls url_for once per record.
Here a map is read once, when a view is decorated; each response asks each
field once for the function that reads it (its ``reader``), and each record
becomes a plain dict (ordered, as dicts are).
A page of 100 tasks costs one url_for and 400 direct reads.
"""

from functools import partial, wraps
from operator import itemgetter

from flask import url_for
from flask_restful import fields, marshal_with as restful_marshal_with
from flask_restful.utils import unpack

# An id no record has, to find where ids go in a URL.
_PLACEHOLDER = 987654321987654321


def plan(fields):
    """Return a field map as [(key, field)] with every field ready to give its reader:
    classes instantiated, nested maps wrapped, other fields adapted."""
    planned = []
    for key, field in fields.items():
        if isinstance(field, type):
            field = field()
        if isinstance(field, dict) or not hasattr(field, "reader"):
            field = _Adapted(field)
        planned.append((key, field))
    return planned


class _Adapted:
    """A nested field map, or a field without a reader: read as flask_restful.marshal would."""

    def __init__(self, field):
        self.field = field

    def reader(self, key):
        if isinstance(self.field, dict):   # a nested map, read from the same record
            return partial(marshal, fields=self.field)
        return partial(self.field.output, key)


def marshal(data, fields, envelope=None, planned=None):
    """Apply a field map to a record or a list of records, as flask_restful.marshal does.

    ``planned`` is plan(fields), when the caller has it already.
    """
    readers = [(key, field.reader(key)) for key, field in planned or plan(fields)]
    if isinstance(data, (list, tuple)):
        out = [{key: read(record) for key, read in readers} for record in data]
    else:
        out = {key: read(data) for key, read in readers}
    return {envelope: out} if envelope else out


class marshal_with(restful_marshal_with):
    """flask_restful.marshal_with, through this module's marshal; the view may
    return the record alone or with a status and headers, as with Flask-RESTful's.

    The field map is planned when the view is decorated: like the view itself,
    it is part of the code, not something to change while the app runs.
    """

    def __call__(self, view):
        planned = plan(self.fields)

        @wraps(view)
        def wrapper(*args, **kwargs):
            data, code, headers = unpack(view(*args, **kwargs))
            return marshal(data, self.fields, self.envelope, planned), code, headers
        return wrapper


class RecordUrl(fields.Url):
    """fields.Url for an endpoint whose only URL variable is the record's ``id``.

    fields.Url hands url_for every key of the record (they become query
    arguments it then throws away) and builds each URL from scratch. This one
    builds the endpoint's URL once, around a placeholder id, and puts each
    record's id in its place.
    """

    def reader(self, key):
        url = url_for(self.endpoint, id=_PLACEHOLDER, _external=self.absolute,
                      _scheme=self.scheme)
        head, tail = url.split(str(_PLACEHOLDER), 1)
        return lambda record: f"{head}{record['id']}{tail}"

    def output(self, key, obj):
        return self.reader(key)(obj)


class Value(fields.Raw):
    """A field whose value the store already gives in its JSON type: read it as it is.

    fields.String and fields.Boolean look the key up through a generic getter
    and convert the value again; the store's str and bool need neither.
    ``json_type`` names the type, for the OpenAPI document.
    """

    def __init__(self, json_type, **kwargs):
        super().__init__(**kwargs)
        self.schema = {"type": json_type}

    def reader(self, key):
        return itemgetter(key)

    def output(self, key, obj):
        return obj[key]


task_fields = {
    "title": Value("string"),
    "description": Value("string"),
    "done": Value("boolean"),
    # Absolute, as in the first article: http://host/todo/api/v1.0/tasks/2
    "uri": RecordUrl("task", absolute=True),
}

user_fields = {
    "username": Value("string"),
    "uri": RecordUrl("user", absolute=True),
}
