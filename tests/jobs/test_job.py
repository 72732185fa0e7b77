"""The order in which waiting jobs start (pure)."""

from __future__ import annotations

from lab.jobs.job import start_order


def test_start_order_is_first_come_first_served_apart_from_evaluations():
    assert start_order([("t1", False, 0), ("t2", False, 0)]) == ["t1", "t2"]
    waiting = [("e1", True, 0), ("t1", False, 0), ("e2", True, 0), ("t2", False, 0)]
    assert start_order(waiting) == ["t1", "t2", "e1", "e2"]
    # an evaluation already overtaken `yields` times goes first, and so does everything queued before it
    assert start_order([("e1", True, 0), ("e2", True, 3), ("t1", False, 0)]) == ["e1", "e2", "t1"]
    assert start_order([("e1", True, 2), ("t1", False, 0), ("t2", False, 0)]) == ["t1", "e1", "t2"]
    assert start_order([("e1", True, 0), ("e2", True, 0)]) == ["e1", "e2"]
    assert start_order([]) == []
