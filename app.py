"""Launch Contrastive Lab: `python app.py` serves it on http://127.0.0.1:7860 (GRADIO_SERVER_NAME/PORT change it)."""

from __future__ import annotations

import gc

if __name__ != "__mp_main__":  # a run's own process re-reads this file (multiprocessing): it needs no UI
    gc.disable()  # until launch() ends the start-up: no collection then frees anything (lab/ui/app.py, launch)
    from lab.ui.app import build_app, launch

    demo = build_app()

if __name__ == "__main__":
    launch(demo)
    demo.block_thread()
