"""The run store: events append and reload, torn lines are skipped, dead runs become interrupted."""

from __future__ import annotations

import json

from lab.events import Eval, Log, Note, Stage, event_from_dict
from lab.store import RunStore, valid_run_id

RUN = "0123456789abcdef01234567"


def test_events_round_trip_through_dicts():
    for event in (
        Stage(name="x", message="m"),
        Log(step=1, total_steps=2, loss=0.5, lr=1e-5, epoch=0.5, samples_per_s=9.0),
        Eval(step=3, phase="during", metrics={"spearman_cosine": 0.5}),
    ):
        assert event_from_dict(json.loads(json.dumps(event.to_dict()))) == event


def test_unknown_event_kinds_load_as_notes():
    event = event_from_dict({"kind": "similarity-matrix", "t": 1.0, "matrix": [[1]]})
    assert isinstance(event, Note) and event.data == {"matrix": [[1]]}


def test_store_keeps_config_status_and_events(tmp_path):
    store = RunStore(tmp_path)
    store.create(RUN, {"model": "tiny-bert"}, owner="me")
    store.append_event(RUN, Stage(name="data", message="Preparing"))
    store.update_meta(RUN, status="running")
    record = RunStore(tmp_path).load(RUN)  # a new store object: what a restarted server sees
    assert record.config == {"model": "tiny-bert"}
    assert record.status == "running" and record.meta["owner"] == "me"
    assert [e.name for e in record.events] == ["data"]


def test_a_torn_last_line_loses_only_that_line(tmp_path):
    store = RunStore(tmp_path)
    store.create(RUN, {})
    store.append_event(RUN, Stage(name="a"))
    with open(store.run_dir(RUN) / "events.jsonl", "a") as f:
        f.write('{"kind": "log", "st')
    assert [e.name for e in store.read_events(RUN)] == ["a"]


def test_runs_left_running_are_marked_interrupted_with_events_kept(tmp_path):
    store = RunStore(tmp_path)
    store.create(RUN, {})
    store.append_event(RUN, Log(step=1, total_steps=9, loss=1.0, lr=0.0, epoch=0.1, samples_per_s=1.0))
    store.update_meta(RUN, status="running")
    other = RunStore(tmp_path)  # another reader: the run's writer (`store`) is alive, so it is left alone
    assert other.writer_alive(RUN) and other.mark_interrupted() == [] and other.load(RUN).status == "running"
    store.release(RUN)  # its writer is gone without a final status, as when its process dies
    assert not other.writer_alive(RUN)
    assert other.mark_interrupted() == [RUN]
    record = store.load(RUN)
    assert record.status == "interrupted" and len(record.events) == 1
    assert other.mark_interrupted() == []  # settled once


def test_a_reader_settles_a_dead_writers_run_when_it_loads_it(tmp_path):
    store = RunStore(tmp_path)
    store.create(RUN, {})
    store.update_meta(RUN, status="queued")
    store.release(RUN)
    reader = RunStore(tmp_path)
    assert reader.load(RUN).status == "interrupted"
    assert "stopped while this run was queued" in reader.load(RUN).meta["message"]
    assert [r.status for r in reader.list_runs()] == ["interrupted"]


def test_run_ids_are_validated_before_touching_paths(tmp_path):
    store = RunStore(tmp_path)
    assert not valid_run_id("../../etc") and not valid_run_id("ABC")
    assert store.load("../../etc/passwd") is None
