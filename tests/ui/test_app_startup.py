"""Start-up (app.py, lab/ui/app.py `end_of_startup`): the garbage collector is off while gradio and the page are
built, then what start-up made is frozen and collections run again; a caller that left the collector on keeps it."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

from lab.ui.app import end_of_startup

ROOT = Path(__file__).resolve().parents[2]


def test_the_end_of_startup_freezes_what_it_made_and_collects_again():
    frozen = gc.get_freeze_count()
    gc.disable()
    try:
        end_of_startup()
        assert gc.isenabled()
        assert gc.get_freeze_count() > frozen
    finally:
        gc.unfreeze()  # this test process goes on collecting as before
        gc.enable()


def test_a_caller_that_left_the_collector_on_keeps_it_as_it_was():
    frozen = gc.get_freeze_count()
    end_of_startup()
    assert gc.isenabled() and gc.get_freeze_count() == frozen


def test_app_py_builds_the_page_with_the_collector_off_and_launch_turns_it_back_on():
    probe = """
import gc, runpy, sys
import lab.ui.app as A

def launch(demo, **kwargs):
    print("during start-up", gc.isenabled(), len(demo.blocks) > 100)
    A.end_of_startup()
    print("after start-up", gc.isenabled(), gc.get_freeze_count() > 100_000)
    sys.exit(0)

A.launch = launch
runpy.run_path("app.py", run_name="__main__")
"""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=300, check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "during start-up False True" in out.stdout
    assert "after start-up True True" in out.stdout
