"""The staff web UI: shared layout, templates, static assets (Jinja2 + htmx, no build step)."""

from __future__ import annotations

from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"
TEMPLATE_DIR = Path(__file__).parent / "templates"
