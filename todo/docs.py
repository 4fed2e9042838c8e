"""The OpenAPI document and the interactive docs page, served without credentials."""

from flask import current_app, send_from_directory, url_for
from flask_restful import Resource
from swagger_ui_bundle import swagger_ui_path

from todo import openapi
from todo.errors import ApiError

# Swagger UI from the swagger-ui-bundle package: no CDN, works offline. No inline
# script or style, so the page runs under a strict Content-Security-Policy.
PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>todo API</title>
  <link rel="stylesheet" href="{assets}/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui" data-document="{document}"></div>
  <script src="{assets}/swagger-ui-bundle.js"></script>
  <script src="{assets}/{start}"></script>
</body>
</html>
"""

# Starts Swagger UI on the document the page names.
START = "todo-docs.js"
START_SCRIPT = """window.ui = SwaggerUIBundle({
  url: document.getElementById("swagger-ui").dataset.document,
  dom_id: "#swagger-ui",
  deepLinking: true,
  persistAuthorization: true,
  tryItOutEnabled: true
});
"""

# The package's files the page loads; the rest of the package (its stock
# index.html, which points at a demo API elsewhere, its maps) is not served.
BUNDLE_FILES = frozenset(("swagger-ui.css", "swagger-ui-bundle.js"))

MAX_AGE = 24 * 3600


class OpenAPIDocument(Resource):
    """GET the OpenAPI 3.1 document."""

    def get(self):
        return openapi.document()


class DocsPage(Resource):
    """GET the Swagger UI page, pointed at the document."""

    def get(self):
        assets = url_for("docs_asset", filename="x")[:-2]
        html = PAGE.format(assets=assets, document=url_for("openapi"), start=START)
        return current_app.response_class(html, mimetype="text/html")


class DocsAsset(Resource):
    """GET one of the files the docs page loads."""

    def get(self, filename):
        if filename == START:
            response = current_app.response_class(START_SCRIPT, mimetype="text/javascript")
            response.cache_control.public = True
            response.cache_control.max_age = MAX_AGE
            return response
        if filename not in BUNDLE_FILES:
            raise ApiError(404)
        return send_from_directory(swagger_ui_path, filename, max_age=MAX_AGE)
