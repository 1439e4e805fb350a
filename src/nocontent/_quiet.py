"""Whether a server this process runs has written all it will write on a connection, for now.

After a response, the wire view keeps listening for a grace period: a broken
server may write more bytes later (``/misbehave/body-late`` waits 0.3 s). Waiting
the whole grace is needed only when nobody can say whether more will come. The
embedded server can: once it is back to waiting for the next request with
nothing of one pending, it will write nothing on that connection until the
client speaks again. The server reports that here, and the wire view stops
listening as soon as it is so; for any other server it listens the whole grace.

A connection is named by its two ends as the client sees them:
(client host, client port, server host, server port).
"""

from __future__ import annotations

import socket
import threading
import time

Key = tuple[str, int, str, int]

_changed = threading.Condition()
_read: dict[Key, int | None] = {}
"""Per connection: the bytes the server had read in all when it began waiting for the next
request with nothing of one pending, or None while it is busy."""


def key_of(sock: socket.socket, *, server_side: bool) -> Key | None:
    """The name of ``sock``'s connection, or None once it is gone."""
    try:
        own, peer = sock.getsockname(), sock.getpeername()
    except OSError:
        return None
    if not (isinstance(own, tuple) and isinstance(peer, tuple)):  # not TCP: a Unix socket
        return None
    client, server = (peer, own) if server_side else (own, peer)
    return (str(client[0]), int(client[1]), str(server[0]), int(server[1]))


def report(key: Key | None, read: int | None) -> None:
    """The server of ``key`` waits for a request after reading ``read`` bytes, or is busy (None)."""
    if key is not None:
        with _changed:
            _read[key] = read
            _changed.notify_all()


def forget(key: Key | None) -> None:
    """The server closed ``key``'s connection."""
    if key is not None:
        with _changed:
            _read.pop(key, None)
            _changed.notify_all()


def settled(key: Key | None, sent: int, until: float) -> bool:
    """Wait until this process's server of ``key`` has read all ``sent`` bytes and waits for more.

    True once it does, before ``until``: it has answered everything the client
    sent, and every byte it wrote is already on the client's side of the
    connection. False for a connection no server of this process holds
    (another process's server, or one that has just closed it), and when
    ``until`` passes first.
    """
    if key is None:
        return False
    with _changed:
        while key in _read:
            read = _read[key]
            if read is not None and read >= sent:
                return True
            left = until - time.monotonic()
            if left <= 0:
                return False
            _changed.wait(left)
        return False
