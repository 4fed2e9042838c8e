"""The marshal field maps: what clients see of a task."""

from flask import url_for
from flask_restful import fields


class RecordUrl(fields.Url):
    """fields.Url for an endpoint whose only URL variable is the record's ``id``.

    fields.Url hands url_for every key of the record, which then become query
    arguments it throws away; this gives it the id alone.
    """

    def output(self, key, obj):
        return url_for(self.endpoint, id=obj["id"], _external=self.absolute,
                       _scheme=self.scheme)


task_fields = {
    "title": fields.String,
    "description": fields.String,
    "done": fields.Boolean,
    # Absolute, as in the first article: http://host/todo/api/v1.0/tasks/2
    "uri": RecordUrl("task", absolute=True),
}

user_fields = {
    "username": fields.String,
    "uri": RecordUrl("user", absolute=True),
}
