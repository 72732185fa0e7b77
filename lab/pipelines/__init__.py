"""Multi-stage pipelines (Augmented SBERT, domain adaptation): recipes whose job runs several trainings.

Each stage reuses the runner's steps (`fit`, `evaluate`), tags its events with the stage name, and
stores its output under `<run>/stages/<name>/`; the main result is saved to `<run>/model` as usual.
"""
