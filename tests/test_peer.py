"""Learners kept apart on a shared host: the server serves only its own Unix user.

The parsing of the kernel's socket tables and of its sock_diag replies is tested on
samples captured on Linux (little-endian); the check itself on real sockets, both ways,
and with a real second Unix account,
created here with ``useradd`` when the tests run as root. Where no account can be
created the account's test skips and says why; under ``CI=true`` it fails instead.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest
from rawhttp import ask

import nocontent._peer as peer
from nocontent import Server
from nocontent._peer import (
    datagram_allowed,
    diag_request,
    diag_uid,
    proc_endpoint,
    same_user,
    socket_owner,
)

# A server on 127.0.0.1:37289 (91A9) with three connections: from an IPv4 socket of uid
# 1001 (port 60092, EABC), and from IPv6 sockets of uid 0 to [::1] (port 47998, BB7E).
TCP4 = """\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:91A9 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 505097 1 0000000021 100 0 0 10 0
   1: 0100007F:EABC 0100007F:91A9 01 00000000:00000000 00:00000000 00000000  1001        0 505100 2 0000000039 20 0 0 10 -1
   2: 0100007F:91A9 0100007F:EABC 01 00000000:00000000 00:00000000 00000000     0        0 505101 1 0000000022 20 0 0 10 -1
"""  # noqa: E501
TCP6 = """\
  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:91A9 00000000000000000000000001000000:BB7E 01 00000000:00000000 00:00000000 00000000     0        0 505099 1 000000002c 20 0 0 10 -1
   1: 00000000000000000000000001000000:BB7E 00000000000000000000000001000000:91A9 01 00000000:00000000 00:00000000 00000000   1002        0 505098 2 00000000f2 20 0 0 10 -1
"""  # noqa: E501


# -- the tables, as text ----------------------------------------------------------------------


@pytest.mark.parametrize(("host", "byteorder", "shown"), [
    ("127.0.0.1", "little", "0100007F:91A9"),
    ("127.0.0.1", "big", "7F000001:91A9"),
    ("::1", "little", "00000000000000000000000001000000:91A9"),
    ("::1", "big", "00000000000000000000000000000001:91A9"),
    ("::ffff:127.0.0.1", "little", "0000000000000000FFFF00000100007F:91A9"),
])
def test_an_endpoint_is_written_as_the_kernel_writes_it(host, byteorder, shown) -> None:
    assert proc_endpoint(host, 37289, byteorder) == shown


def test_a_port_is_four_hex_digits() -> None:
    assert proc_endpoint("127.0.0.1", 80, "little") == "0100007F:0050"


def test_the_owner_of_the_peer_socket_is_found_by_both_endpoints() -> None:
    server = proc_endpoint("127.0.0.1", 37289, "little")
    client = proc_endpoint("127.0.0.1", 60092, "little")
    assert socket_owner(TCP4, client, server) == 1001  # the peer's socket
    assert socket_owner(TCP4, server, client) == 0  # the server's own end
    assert socket_owner(TCP4, client, proc_endpoint("127.0.0.1", 1, "little")) is None


def test_an_ipv6_peer_is_found_in_tcp6() -> None:
    server, client = (proc_endpoint("::1", port, "little") for port in (37289, 47998))
    assert socket_owner(TCP6, client, server) == 1002
    assert socket_owner(TCP4, client, server) is None


def test_the_header_and_short_lines_are_no_sockets() -> None:
    header = TCP4.splitlines()[0].split()
    assert socket_owner(TCP4, header[1], header[2]) is None
    assert socket_owner("\n   0: 0100007F:91A9 0100007F:EABC 01\n",
                        "0100007F:91A9", "0100007F:EABC") is None
    assert socket_owner("", "0100007F:91A9", "0100007F:EABC") is None


# -- sock_diag, as bytes ------------------------------------------------------------------------

# Captured on Linux (x86-64): the request for the socket 127.0.0.1:57324 -> 127.0.0.1:46765,
# and the kernel's reply, from a socket of uid 65534 (nobody); then a reply for no socket.
DIAG_REQUEST = bytes.fromhex(
    "4800000014000100010000000000000002060000ffffffffdfecb6ad7f000001000000000000000000000000"
    "7f00000100000000000000000000000000000000ffffffffffffffff")
DIAG_REPLY = bytes.fromhex(
    "7c0000001400000001000000655c000002010000dfecb6ad7f00000100000000000000000000000"
    "07f000001000000000000000000000000000000000300000000000000000000000000000000000000feff0000"
    "13410c00050008000000000008000f00000000000c00150001000000000000000600160052000000")
DIAG_NONE = bytes.fromhex(
    "5c0000000200000001000000425b0000feffffff4800000014000100010000000000000002060000ffffffff"
    "0001b59b7f0000010000000000000000000000007f00000100000000000000000000000000000000ffffffff"
    "ffffffff")


def test_a_sock_diag_request_names_one_socket_by_its_endpoints() -> None:
    request = diag_request(socket.AF_INET, ("127.0.0.1", 57324), ("127.0.0.1", 46765))
    if sys.byteorder == "little":
        assert request == DIAG_REQUEST
    assert len(request) == int.from_bytes(request[:4], sys.byteorder) == 72
    assert request[24:28] == bytes.fromhex("dfecb6ad")  # the ports, in network byte order
    v6 = diag_request(socket.AF_INET6, ("::1", 1), ("::1", 2))
    assert v6[16] == socket.AF_INET6 and v6[28:44] == socket.inet_pton(socket.AF_INET6, "::1")


@pytest.mark.skipif(sys.byteorder != "little", reason="the samples are little-endian")
def test_the_uid_is_read_from_the_reply() -> None:
    assert diag_uid(DIAG_REPLY) == 65534
    assert diag_uid(DIAG_NONE) is None  # ENOENT: no such socket


@pytest.mark.skipif(sys.byteorder != "little", reason="the samples are little-endian")
def test_any_other_error_is_raised() -> None:
    eperm = DIAG_NONE[:16] + (-1).to_bytes(4, "little", signed=True) + DIAG_NONE[20:]
    with pytest.raises(PermissionError):
        diag_uid(eperm)


# -- the check, on real sockets ---------------------------------------------------------------

needs_linux = pytest.mark.skipif(not peer.CHECKED, reason="not Linux: the server skips the "
                                 "check here, as documented")


@contextlib.contextmanager
def accepted(host: str, client_host: str | None = None) -> Iterator[socket.socket]:
    """The server end of a fresh connection to a listener on ``host``."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.create_server((host, 0), family=family,
                              dualstack_ipv6=host == "::") as listener:
        port = listener.getsockname()[1]
        with socket.create_connection((client_host or host, port)):
            server_end, _ = listener.accept()
            with server_end:
                yield server_end


def no_netlink(*args: object) -> None:
    raise OSError("no netlink here")


@pytest.fixture(params=["sock_diag", "tables"])
def way(request, monkeypatch) -> str:
    """Each test below runs twice: as on most Linux systems, and where only the tables are
    there (netlink unavailable), so that both ways give the same verdicts."""
    if request.param == "tables":
        monkeypatch.setattr(peer, "_from_sock_diag", no_netlink)
    return request.param


@needs_linux
@pytest.mark.parametrize(("host", "client_host"), [
    ("127.0.0.1", None), ("::1", None), ("::", "127.0.0.1"), ("::", "::1")])
def test_a_connection_from_this_user_is_this_users(way, host, client_host) -> None:
    with accepted(host, client_host) as server_end:
        assert same_user(server_end)


@needs_linux
def test_another_uid_on_the_peer_socket_is_another_user(way, monkeypatch) -> None:
    with accepted("127.0.0.1") as server_end:
        me = os.geteuid()
        monkeypatch.setattr(peer.os, "geteuid", lambda: me + 1)
        assert not same_user(server_end)


@needs_linux
def test_a_peer_that_is_no_socket_of_this_host_is_not_this_users(way, monkeypatch) -> None:
    with accepted("127.0.0.1") as server_end:
        peer_port = server_end.getpeername()[1]
        found = peer._from_sock_diag if way == "sock_diag" else peer._from_tables

        def without_peer(family, local, remote):
            return None if local[1] == peer_port else found(family, local, remote)

        monkeypatch.setattr(peer, "_from_sock_diag", without_peer)
        monkeypatch.setattr(peer, "_from_tables", without_peer)
        assert not same_user(server_end)
        # unless the server was asked to listen beyond loopback: then it serves other machines
        assert same_user(server_end, remote=True)


@needs_linux
def test_a_way_that_does_not_find_our_own_end_gives_way_to_the_next(monkeypatch) -> None:
    with accepted("127.0.0.1") as server_end:
        monkeypatch.setattr(peer, "_from_sock_diag", lambda *args: None)  # finds nothing
        me = os.geteuid()
        monkeypatch.setattr(peer.os, "geteuid", lambda: me + 1)
        assert not same_user(server_end)  # the tables told


@needs_linux
def test_when_nothing_finds_our_own_end_nobody_is_refused(monkeypatch) -> None:
    with accepted("127.0.0.1") as server_end:
        monkeypatch.setattr(peer, "_from_sock_diag", no_netlink)
        monkeypatch.setattr(peer, "_from_tables", lambda *args: None)
        assert same_user(server_end)


def test_where_the_check_is_skipped_every_connection_is_served(monkeypatch) -> None:
    monkeypatch.setattr(peer, "CHECKED", False)
    monkeypatch.setattr(peer.os, "geteuid", lambda: -1)
    with accepted("127.0.0.1") as server_end:
        assert same_user(server_end)


# -- a real second Unix account -----------------------------------------------------------------

ACCOUNT = f"nc-peer-{os.getpid()}"
COMMENT = "nocontent test account (tests/test_peer.py)"
# The other account's client: bash's /dev/tcp, so that the account need not be able to
# run this checkout's Python. It prints whatever came back before the connection closed;
# a write after the server's close fails (EPIPE) instead of killing the shell.
KNOCK = ('trap "" PIPE; exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 3; '
         'printf "GET /docs/welcome HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n" >&3; '
         'timeout 20 cat <&3; exit 0')


def unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: the isolation test must run)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def other_account() -> Iterator[pwd.struct_passwd]:
    """A second Unix account, made for this module and removed afterwards."""
    if not peer.CHECKED:
        unavailable("not Linux: the server skips the check here")
    if os.geteuid() != 0 or shutil.which("useradd") is None:
        unavailable("needs root and useradd to create a second Unix account")
    made = subprocess.run(["useradd", "--system", "--no-create-home", "--shell",
                           "/usr/sbin/nologin", "--comment", COMMENT, ACCOUNT],
                          capture_output=True, text=True)
    if made.returncode != 0:
        unavailable(f"useradd {ACCOUNT} failed: {made.stderr.strip()}")
    try:
        yield pwd.getpwnam(ACCOUNT)
    finally:
        subprocess.run(["userdel", ACCOUNT], capture_output=True, check=False)


def knock_as(account: pwd.struct_passwd, port: int) -> str:
    """Connect and send a request as ``account``; what came back before the close."""
    done = subprocess.run(["bash", "-c", KNOCK, "knock", str(port)], user=account.pw_uid,
                          group=account.pw_gid, extra_groups=[], cwd="/", capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 0, f"the account could not connect: {done.stderr}"
    return done.stdout


@pytest.mark.live
def test_another_accounts_connection_is_closed_unread_and_counted(other_account) -> None:
    with Server() as server:
        assert server.refused_other_users == 0
        assert knock_as(other_account, server.port) == ""  # closed, or reset, with no reply
        assert server.refused_other_users == 1
        assert list(server.exchanges) == []  # nothing was read, so nothing recorded

        reply = ask(server, "GET", "/docs/welcome")  # the owner is served as before
        assert reply.status == 200
        assert server.refused_other_users == 1
        assert server.exchanges[0].target == "/docs/welcome"



# -- HTTP/3: UDP datagrams ------------------------------------------------------------------------


@contextlib.contextmanager
def datagram_from(kind: str) -> Iterator[tuple[int, tuple[str, int], tuple[str, int]]]:
    """A UDP server socket on 127.0.0.1 and the address a datagram from a client came from:
    an unconnected IPv4 socket, a connected one, or a dual-stack IPv6 one (as aioquic's)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as server:
        server.bind(("127.0.0.1", 0))
        own = server.getsockname()
        family = socket.AF_INET6 if kind == "dual-stack" else socket.AF_INET
        with socket.socket(family, socket.SOCK_DGRAM) as client:
            if kind == "dual-stack":
                client.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
                client.bind(("::", 0))
                client.sendto(b"x", ("::ffff:127.0.0.1", own[1]))
            elif kind == "connected":
                client.connect(own)
                client.send(b"x")
            else:
                client.sendto(b"x", own)
            _, peer_address = server.recvfrom(16)
            yield server.family, own, peer_address


@needs_linux
@pytest.mark.parametrize("kind", ["unconnected", "connected", "dual-stack"])
def test_a_datagram_from_this_users_socket_is_this_users(way, kind, monkeypatch) -> None:
    if way == "tables":
        monkeypatch.setattr(peer, "_udp_from_sock_diag", no_netlink)
    with datagram_from(kind) as (family, own, source):
        assert datagram_allowed(family, own, source)
        me = os.geteuid()
        monkeypatch.setattr(peer.os, "geteuid", lambda: me + 1)
        assert not datagram_allowed(family, own, source)


@needs_linux
def test_a_datagram_from_no_socket_of_this_host_is_served_only_beyond_loopback() -> None:
    with datagram_from("unconnected") as (family, own, _):
        nobody = ("127.0.0.1", 9)  # the discard port: no socket here
        assert not datagram_allowed(family, own, nobody)
        assert datagram_allowed(family, own, nobody, remote=True)


# The other account's HTTP/3 "client": a connected UDP socket kept open while it sends one
# datagram, so that the server can find its owner. No QUIC is needed: it must be dropped
# before QUIC reads it.
DATAGRAM = ('exec 3<>"/dev/udp/127.0.0.1/$1" || exit 3; printf "not QUIC" >&3; sleep 1; '
            'exit 0')


@pytest.mark.live
def test_another_accounts_http3_datagrams_are_dropped_unread_and_counted(other_account) -> None:
    from nocontent._tls import TLSServer

    with TLSServer() as server:
        done = subprocess.run(["bash", "-c", DATAGRAM, "datagram", str(server.port)],
                              user=other_account.pw_uid, group=other_account.pw_gid,
                              extra_groups=[], cwd="/", capture_output=True, text=True,
                              timeout=30)
        assert done.returncode == 0, done.stderr
        # The datagram is handled on the HTTP/3 thread's event loop. A call scheduled from
        # there runs on the loop's next turn, after every datagram already waiting has been
        # read: then the count is final.
        loop, ran = server.h3._loop, threading.Event()
        loop.call_soon_threadsafe(lambda: loop.call_soon(ran.set))
        assert ran.wait(5)
        assert server.refused_other_users == 1
        assert list(server.exchanges) == []
