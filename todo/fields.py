"""The marshal field maps: what clients see of a task."""

from flask import request, url_for
from flask_restful import fields

# An id no record has, to find where ids go in a URL.
_PLACEHOLDER = 987654321987654321


class RecordUrl(fields.Url):
    """fields.Url for an endpoint whose only URL variable is the record's ``id``.

    fields.Url hands url_for every key of the record (they become query
    arguments it then throws away) and builds each URL from scratch. This one
    builds the endpoint's URL once per request, around a placeholder id, and
    fills in each record's id: a list of 100 tasks costs one url_for, not 100.
    """

    def output(self, key, obj):
        # Kept in the request's own environ: flask.g can outlive a request when a
        # caller holds an app context open across several.
        templates = request.environ.setdefault("todo.record_url_templates", {})
        template = templates.get(self.endpoint)
        if template is None:
            url = url_for(self.endpoint, id=_PLACEHOLDER, _external=self.absolute,
                          _scheme=self.scheme)
            template = templates[self.endpoint] = url.split(str(_PLACEHOLDER), 1)
        return f"{template[0]}{obj['id']}{template[1]}"


class Value(fields.Raw):
    """A field whose value the store already gives in its JSON type: read it as it is.

    fields.String and fields.Boolean look the key up through a generic getter
    and convert the value again; the store's str and bool need neither.
    ``json_type`` names the type, for the OpenAPI document.
    """

    def __init__(self, json_type, **kwargs):
        super().__init__(**kwargs)
        self.schema = {"type": json_type}

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
