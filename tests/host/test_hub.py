"""Hub detection is fast: HF_HUB_OFFLINE answers at once, an unreachable host within the timeout."""

from __future__ import annotations

import time

from lab.host import hub


def test_offline_env_answers_without_probing(monkeypatch):
    monkeypatch.setattr(hub, "_probe", lambda *a: (_ for _ in ()).throw(AssertionError("probed")))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert hub.hub_available() is False


def test_a_hanging_connection_is_given_up_within_the_timeout(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("LAB_OFFLINE", raising=False)
    # No traffic leaves the machine: the connect itself is replaced by one that hangs (as DNS can offline).
    def hanging_connect(*args, **kwargs):
        time.sleep(3)
        raise OSError("timed out")

    monkeypatch.setattr(hub.socket, "create_connection", hanging_connect)
    monkeypatch.setattr(hub, "_cached", None)  # no earlier answer: probe now (restored afterwards)
    t0 = time.monotonic()
    assert hub.hub_available(timeout_s=0.5) is False
    assert time.monotonic() - t0 < 1.5
    t1 = time.monotonic()
    assert hub.hub_available(timeout_s=0.5) is False  # cached: no second wait
    assert time.monotonic() - t1 < 0.05


def test_probe_answers_true_for_a_listening_port(monkeypatch):
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    try:
        assert hub._probe("127.0.0.1", server.getsockname()[1], 1.0) is True
    finally:
        server.close()
