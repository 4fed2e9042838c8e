"""Flask-RESTful's Api, answering with compact JSON and the one error shape everywhere."""

import flask_restful
from flask import current_app, got_request_exception

from todo.errors import response_for


class Api(flask_restful.Api):
    """An Api whose resources answer every failure with the JSON error of todo.errors.

    Its representation (``Api.representation``) and the app's error handlers
    for everything outside the resources are set up in create_app.
    """

    def handle_error(self, e):
        """Answer a failure in a resource with the JSON error shape, never HTML."""
        # As Flask-RESTful's own does, for error-reporting extensions (Flask documents
        # _get_current_object() as the sender of a signal).
        got_request_exception.send(current_app._get_current_object(), exception=e)
        return response_for(e)
