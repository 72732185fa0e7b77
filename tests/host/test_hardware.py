"""The hardware profile picks chapter-size defaults on GPUs and small ones on CPUs; both are valid configs."""

from __future__ import annotations

from lab.config import RunConfig
from lab.host import hardware


def test_profiles_are_valid_run_configs():
    for profile in (hardware.CPU, hardware.GPU):
        RunConfig(**profile.run_defaults)


def test_detection(monkeypatch):
    monkeypatch.delenv("LAB_HARDWARE", raising=False)
    monkeypatch.setenv("ACCELERATOR", "a10g-small")
    assert hardware.detect().name == "gpu"
    monkeypatch.setenv("ACCELERATOR", "none")
    assert hardware.detect().name == "cpu"  # these machines have no CUDA
    monkeypatch.setenv("LAB_HARDWARE", "gpu")
    assert hardware.detect().name == "gpu"
