"""The OpenAPI document and the interactive docs page, served without credentials."""

from flask import current_app, send_from_directory, url_for
from flask_restful import Resource
from swagger_ui_bundle import swagger_ui_path

from todo import openapi

# Swagger UI from the swagger-ui-bundle package: no CDN, works offline.
PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>todo API</title>
  <link rel="stylesheet" href="{assets}/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{assets}/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({{
      url: "{document}",
      dom_id: "#swagger-ui",
      deepLinking: true,
      persistAuthorization: true,
      tryItOutEnabled: true
    }});
  </script>
</body>
</html>
"""


class OpenAPIDocument(Resource):
    """GET the OpenAPI 3.1 document."""

    def get(self):
        return openapi.document()


class DocsPage(Resource):
    """GET the Swagger UI page, pointed at the document."""

    def get(self):
        assets = url_for("docs_asset", filename="x")[:-2]
        html = PAGE.format(assets=assets, document=url_for("openapi"))
        return current_app.response_class(html, mimetype="text/html")


class DocsAsset(Resource):
    """GET one of Swagger UI's packaged files."""

    def get(self, filename):
        return send_from_directory(swagger_ui_path, filename, max_age=24 * 3600)
