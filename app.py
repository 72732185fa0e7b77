"""Launch Contrastive Lab: `python app.py` serves it on http://127.0.0.1:7860 (GRADIO_SERVER_NAME/PORT change it)."""

from __future__ import annotations

from lab.ui.app import after_launch, build_app, launch_kwargs

demo = build_app()

if __name__ == "__main__":
    demo.launch(prevent_thread_lock=True, **launch_kwargs())
    after_launch()
    demo.block_thread()
