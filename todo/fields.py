"""The marshal field maps: what clients see of a task."""

from flask_restful import fields

task_fields = {
    "title": fields.String,
    "description": fields.String,
    "done": fields.Boolean,
    # Absolute, as in the first article: http://host/todo/api/v1.0/tasks/2
    "uri": fields.Url("task", absolute=True),
}
