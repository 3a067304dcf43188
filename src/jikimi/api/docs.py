"""The API documentation at ``/docs``: Swagger UI 5 (it reads OpenAPI 3.1) vendored in
``jikimi.api.swagger_ui`` (Apache-2.0, see its ``__init__``), not a CDN, so the page works on
a closed network, tells no third party when staff open it, and passes the app's own CSP (its
start-up script is a file, not inline)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

DOCS_STATIC = "/docs/static"
SWAGGER_UI = Path(__file__).parent / "swagger_ui"
INIT_JS = """window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true});
});
"""


def install_docs(app: FastAPI) -> None:
    """Serve Swagger UI from the package at ``/docs`` (call with ``docs_url=None``)."""
    app.mount(DOCS_STATIC, StaticFiles(directory=str(SWAGGER_UI)), name="swagger-ui")

    @app.get("/docs/init.js", include_in_schema=False)
    def docs_init() -> Response:
        return Response(INIT_JS, media_type="text/javascript")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{app.title} — API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="{DOCS_STATIC}/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="{DOCS_STATIC}/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body></html>""")
