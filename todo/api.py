"""Flask-RESTful's Api, speaking compact JSON and the one error shape everywhere."""

import flask_restful
from flask import current_app, got_request_exception

from todo.errors import response_for
from todo.representations import output_json


class Api(flask_restful.Api):
    """An Api whose every response, error or not, is our JSON."""

    def __init__(self, app=None, **kwargs):
        kwargs.setdefault("catch_all_404s", True)
        kwargs.setdefault("default_mediatype", "application/json")
        super().__init__(app, **kwargs)
        self.representations = {"application/json": output_json}

    def make_response(self, data, *args, **kwargs):
        """Encode ``data`` as JSON: the only representation, so there is nothing to negotiate.

        Flask-RESTful would parse the Accept header on every response to pick
        among representations; with one, that is pure cost.
        """
        kwargs.pop("fallback_mediatype", None)
        return output_json(data, *args, **kwargs)

    def error_router(self, original_handler, e):
        """Send every error of the app, in a resource or not, to handle_error.

        Flask-RESTful would first work out whether a resource was hit, by
        matching the URL again, which itself raises for an untrusted Host
        (TRUSTED_HOSTS); and the answer would not change the shape we give.
        """
        return self.handle_error(e)

    def handle_error(self, e):
        """Answer any failure in a resource with the JSON error shape, never HTML."""
        got_request_exception.send(current_app._get_current_object(), exception=e)
        return response_for(e)
