"""No lost writes: writers racing with If-Match, and DELETE racing with PUT.

The race and its checker are ``benchmarks/lost_writes.py``, which runs them at full
size (16 writers x 50 PUTs); here they run smaller, and the checker is itself checked
on made-up histories that do lose a write.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
from pathlib import Path

import pytest

from nocontent import Document, DocumentStore, Server, etag_for
from nocontent._store import precondition_failure

# Loaded from its file, not through sys.path: benchmarks/ also holds classroom.py, which
# would hide the classroom/ package from every later test.
_SPEC = importlib.util.spec_from_file_location(
    "lost_writes", Path(__file__).resolve().parent.parent / "benchmarks" / "lost_writes.py")
assert _SPEC is not None and _SPEC.loader is not None
lost_writes = importlib.util.module_from_spec(_SPEC)
sys.modules["lost_writes"] = lost_writes  # dataclasses look their module up by name
_SPEC.loader.exec_module(lost_writes)
ABSENT, Attempt, explain, race = (lost_writes.ABSENT, lost_writes.Attempt, lost_writes.explain,
                                  lost_writes.race)

pytestmark = pytest.mark.live


@pytest.fixture
def server():
    with Server() as running:
        running.app.store.put("race", b"seed\n", "text/plain", lambda current: None)
        yield running


def test_sixteen_writers_with_if_match_lose_no_write(server) -> None:
    initial = server.app.store.get("race")
    attempts = race(server, "race", writers=16, attempts=8)
    final = server.app.store.get("race")
    found = explain(attempts, initial, final)
    assert found.problems == []
    assert {a.status for a in attempts} <= {204, 412}
    assert len(attempts) == 16 * 8
    # Everyone read the seed before anyone wrote, so 15 of the first round must fail.
    assert found.statuses[412] >= 15
    assert found.writes == final.version - initial.version  # one version per success
    assert final.etag == etag_for(final.body)  # and explain() found it is the last write


def test_delete_racing_with_put_stays_consistent(server) -> None:
    initial = server.app.store.get("race")
    attempts = race(server, "race", writers=8, attempts=8, deleters=4)
    final = server.app.store.get("race")
    found = explain(attempts, initial, final)
    assert found.problems == []
    assert found.deletes >= 1  # the deleters all saw the seed: one of them deletes it
    assert {(a.method, a.status) for a in attempts} <= {
        ("PUT", 201), ("PUT", 204), ("PUT", 412),
        ("DELETE", 204), ("DELETE", 404), ("DELETE", 412)}


def test_the_store_alone_loses_no_write_under_threads() -> None:
    """Without HTTP: 16 threads x 200 checked writes straight on a DocumentStore."""
    store = DocumentStore(seed={"doc": (b"0", "text/plain")})
    start = threading.Barrier(16)
    wins: list[bytes] = []  # in the order the store took them

    def writer(number: int) -> None:
        start.wait()
        for attempt in range(200):
            seen = store.get("doc")
            body = f"{number}.{attempt}".encode()

            def check(current, headers=(("If-Match", seen.etag),), body=body):
                failure = precondition_failure("PUT", current, headers)
                if failure is None:
                    wins.append(body)  # the check runs under the store's lock
                return failure

            failure, _, stored = store.put("doc", body, "text/plain", check)
            assert (stored is None) == (failure == 412)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    final = store.get("doc")
    assert final.version == 1 + len(wins)
    assert final.body == wins[-1]


# -- the checker catches what it is meant to catch ------------------------------------------


def doc(body: bytes, version: int) -> Document:
    return Document(body=body, content_type="text/plain", etag=etag_for(body), modified=0,
                    version=version)


def put(condition: str, body: bytes, status: int = 204) -> Attempt:
    return Attempt("w", "PUT", condition, status, etag_for(body), body)


def test_explain_accepts_a_clean_history() -> None:
    seed = doc(b"seed", 1)
    history = [put(seed.etag, b"a"), put(seed.etag, b"x", 412), put(etag_for(b"a"), b"b")]
    assert explain(history, seed, doc(b"b", 3)).problems == []


def test_explain_flags_two_writes_from_one_version() -> None:
    seed = doc(b"seed", 1)
    history = [put(seed.etag, b"a"), put(seed.etag, b"b")]  # b overwrote a unseen
    problems = explain(history, seed, doc(b"b", 2)).problems
    assert any("lost write" in problem for problem in problems)


def test_explain_flags_a_final_state_the_writes_do_not_reach() -> None:
    seed = doc(b"seed", 1)
    history = [put(seed.etag, b"a")]
    assert explain(history, seed, doc(b"a", 3)).problems  # one write, two versions
    assert explain(history, seed, doc(b"other", 2)).problems  # not the last write
    assert explain(history, seed, None).problems  # gone, with no delete


def test_explain_follows_deletes_and_recreations() -> None:
    seed = doc(b"seed", 1)
    history = [
        Attempt("d", "DELETE", seed.etag, 204, None, b""),
        put(ABSENT, b"new", 201),
        Attempt("d", "DELETE", etag_for(b"old"), 412, None, b""),
        put(etag_for(b"new"), b"newer"),
    ]
    assert explain(history, seed, doc(b"newer", 2)).problems == []
    assert explain(history, seed, doc(b"newer", 3)).problems  # versions restart on re-creation
    wrong = [*history, Attempt("d", "DELETE", etag_for(b"new"), 204, None, b"")]
    assert explain(wrong, seed, doc(b"newer", 2)).problems  # a delete from a replaced version
