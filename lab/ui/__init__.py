"""The Gradio app: one module per tab, `build_app()` in app.py. The only package that imports gradio."""

from __future__ import annotations
