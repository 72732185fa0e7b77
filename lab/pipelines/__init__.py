"""Multi-stage pipelines (Augmented SBERT, domain adaptation): jobs that run several trainings for one recipe.

Each stage reuses the runner's steps (`fit`, `evaluate`), tags its events with the stage name, and
stores its output under `<run>/stages/<name>/`; the main result is saved to `<run>/model` as usual. A pipeline's
stages are `STEPS` (steps.py) that pass each other only what is on disk, so that each can be a ZeroGPU call.
Which recipe runs which pipeline is decided in lab/jobs/dispatch.py.
"""
