"""The spool on its own: durable whole batches in order, a hard cap that drops the newest, bad files set aside."""

import time

from telemetry.listener.spool import Spool


def test_batches_come_back_oldest_first_and_survive_a_new_spool_object(tmp_path):
    spool = Spool(tmp_path, max_bytes=1 << 20)
    assert spool.append([[1, "a", 1, 1.5, 0, None]])
    assert spool.append([[1, "b", 2, 2, 0, {"room": "x"}]])
    (tmp_path / "00000000000000000000-1-000001.tmp").write_bytes(b"[1,")  # a write cut short by a crash
    reopened = Spool(tmp_path, max_bytes=1 << 20)
    assert len(reopened) == 2
    assert not list(tmp_path.glob("*.tmp"))
    path, readings = reopened.oldest()
    assert readings == [[1, "a", 1, 1.5, 0, None]]
    reopened.remove(path)
    assert reopened.oldest()[1] == [[1, "b", 2, 2, 0, {"room": "x"}]]


def test_a_full_spool_drops_the_newest_batch_and_counts_it(tmp_path, caplog):
    spool = Spool(tmp_path, max_bytes=100)
    assert spool.append([[1, "a", 1, 1, 0, None]] * 3)
    assert not spool.append([[1, "b", 2, 2, 0, None]] * 10)
    assert (spool.dropped_batches, spool.dropped_items) == (1, 10)
    assert len(spool) == 1
    assert "spool full" in caplog.text


def test_an_unreadable_file_is_set_aside(tmp_path):
    spool = Spool(tmp_path, max_bytes=1 << 20)
    spool.append([[1, "a", 1, 1, 0, None]])
    (tmp_path / "00000000000000000001-1-000001.jsonl").write_bytes(b"not json\n")
    assert spool.oldest()[1] == [[1, "a", 1, 1, 0, None]]
    assert len(list(tmp_path.glob("*.bad"))) == 1


def test_new_batches_are_marked_as_lines_and_older_files_are_read_as_readings(tmp_path):
    spool = Spool(tmp_path, max_bytes=1 << 20)
    # Spooled by a listener that parsed lines itself, before it forwarded them: wire-form readings.
    (tmp_path / "00000000000000000001-1-000001.jsonl").write_bytes(b'[1,"a",1,1.0,0,null]\n')
    assert spool.append([[1, 1, False, "b value=2"]])
    first, second = spool.files()
    assert not Spool.holds_lines(first)
    assert Spool.holds_lines(second)
    assert spool.oldest() == (first, [[1, "a", 1, 1.0, 0, None]])


def test_a_spooled_batch_keeps_one_batch_id_however_often_it_is_replayed(tmp_path):
    spool = Spool(tmp_path, max_bytes=10_000)
    assert spool.append([[7, 1, False, "m v=1"]])
    time.sleep(0.001)
    assert spool.append([[7, 2, False, "m v=2"]])
    first, second = spool.files()
    again = Spool(tmp_path, max_bytes=10_000)  # a listener restarted after a crash
    assert again.batch_id(first) == spool.batch_id(first) != spool.batch_id(second)
    # Ordered by spooling time, as batch ids from telemetry.buckets.batch_id_new are.
    assert spool.batch_id(first) < spool.batch_id(second)
    assert len(spool.batch_id(first)) == 24
