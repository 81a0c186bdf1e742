"""The debounce queue as pure logic: a fake clock, no sleeps, no threads."""

from __future__ import annotations

from tuirag.ingest.queue import ChangeQueue


def test_trailing_debounce_waits_for_quiet() -> None:
    q = ChangeQueue(debounce_s=0.4, max_wait_s=5.0)
    q.add("/a.md", now=0.0)
    q.add("/a.md", now=0.3)
    assert q.pop_due(now=0.5) == []  # only 0.2 s quiet
    assert abs(q.next_due_in(now=0.5) - 0.2) < 1e-9
    assert q.pop_due(now=0.71) == [("/a.md", "file")]
    assert len(q) == 0 and q.next_due_in(now=0.71) is None


def test_fifty_saves_in_a_second_coalesce_into_one_entry() -> None:
    q = ChangeQueue(debounce_s=0.4, max_wait_s=5.0)
    for i in range(50):
        q.add("/a.md", now=i * 0.02)
        assert q.pop_due(now=i * 0.02) == []
    assert q.take_fresh() == ["/a.md"]  # announced once
    assert q.pop_due(now=0.98 + 0.41) == [("/a.md", "file")]


def test_max_wait_ends_starvation_under_a_steady_stream() -> None:
    q = ChangeQueue(debounce_s=0.4, max_wait_s=2.0)
    t = 0.0
    popped = []
    while t < 5.0:  # a log file written every 100 ms never goes quiet
        q.add("/log.txt", now=t)
        popped += [(t, p) for p, _ in q.pop_due(now=t)]
        t = round(t + 0.1, 3)
    assert [p for _, p in popped] == ["/log.txt", "/log.txt"]
    assert popped[0][0] == 2.0  # indexed at the max wait, not never


def test_tree_beats_file_and_keeps_its_place() -> None:
    q = ChangeQueue(debounce_s=0.1, max_wait_s=1.0)
    q.add("/d", "file", now=0.0)
    q.add("/b.md", now=0.0)
    q.add("/d", "tree", now=0.05)
    assert q.pop_due(now=1.0) == [("/d", "tree"), ("/b.md", "file")]


def test_overflow_drops_the_queue_and_asks_for_one_full_scan() -> None:
    q = ChangeQueue(debounce_s=0.1, max_wait_s=1.0, capacity=3)
    for i in range(3):
        q.add(f"/f{i}", now=0.0)
    assert not q.overflowed
    q.add("/f3", now=0.0)
    assert q.overflowed and len(q) == 0 and q.has_news
    q.add("/f4", now=0.0)  # the coming scan covers it
    assert len(q) == 0
    assert q.take_overflow() is True and q.take_overflow() is False
    q.add("/f5", now=1.0)  # after the scan started, changes queue again
    assert q.pop_due(now=2.0) == [("/f5", "file")]


def test_limit_takes_oldest_first_and_leaves_the_rest() -> None:
    q = ChangeQueue(debounce_s=0.0, max_wait_s=0.0)
    for i in range(5):
        q.add(f"/f{i}", now=float(i))
    assert [p for p, _ in q.pop_due(now=10.0, limit=2)] == ["/f0", "/f1"]
    assert len(q) == 3


def test_both_ends_of_a_rename_leave_in_one_batch() -> None:
    q = ChangeQueue(debounce_s=0.4, max_wait_s=5.0)
    q.add("/old.md", now=1.0)
    q.add("/new.md", now=1.00001)  # the handler enqueues the two ends one after the other
    assert q.pop_due(now=1.4, slack=0.1) == [("/old.md", "file"), ("/new.md", "file")]
    q.add("/typing.md", now=2.0)
    assert q.pop_due(now=2.2, slack=0.1) == []  # slack does not cut a real quiet period short
