"""Whose socket is at the other end of a connection: learners kept apart on a shared host.

On a hub without a container per learner, every learner's teaching server listens on the
same loopback, so any learner could connect to any other's. The server closes, unread, a
connection whose peer socket belongs to another Unix user (``Server._accept``), and the
HTTP/3 server drops the datagrams of such a socket (:func:`datagram_allowed`).

On Linux the kernel knows the owner (uid) of every TCP socket of the network namespace.
It lists them all in ``/proc/net/tcp`` (IPv4) and ``/proc/net/tcp6`` (IPv6); the peer's
socket is the row whose local address is the peer's address and whose remote address is
the server's. Reading those tables walks the kernel's whole connection table, which took
5 to 9 ms per connection on a 24 GiB machine, so the same question is first asked for the
one socket through the kernel's socket-diagnostics netlink interface (sock_diag(7), as
``ss`` does), which answered in about 20 microseconds; the tables are the fallback where
netlink is not available. Elsewhere (macOS, Windows) neither exists: the check is skipped
and every connection is served, as before (:data:`CHECKED` says which).
"""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
import struct
import sys
from collections.abc import Callable
from typing import Literal

__all__ = ["CHECKED", "datagram_allowed", "diag_request", "diag_uid", "proc_endpoint",
           "same_user", "socket_owner"]

CHECKED = sys.platform.startswith("linux")
"""Whether this system shows socket owners (Linux). Where it does not, nobody is refused."""
TABLES = {socket.AF_INET: "/proc/net/tcp", socket.AF_INET6: "/proc/net/tcp6"}
UID_COLUMN = 7
"""``sl local_address rem_address st tx:rx tr:when retrnsmt uid ...``: the uid's column."""

Endpoint = tuple[str, int]

# -- /proc/net/tcp and tcp6 ---------------------------------------------------------------------


def proc_endpoint(host: str, port: int,
                  byteorder: Literal["little", "big"] = sys.byteorder) -> str:
    """``host:port`` as the tables show it, such as ``0100007F:1F90`` for 127.0.0.1:8080.

    The kernel prints the address as 32-bit words read in the machine's byte order
    (``%08X`` each: one for IPv4, four for IPv6), then the port as ``%04X``.
    """
    packed = ipaddress.ip_address(host).packed
    words = (int.from_bytes(packed[i : i + 4], byteorder) for i in range(0, len(packed), 4))
    return "".join(f"{word:08X}" for word in words) + f":{port:04X}"


def socket_owner(table: str, local: str, remote: str) -> int | None:
    """The uid of the socket in ``table`` with these endpoints (as :func:`proc_endpoint`
    writes them), or None when the table has no such socket."""
    for line in table.splitlines()[1:]:
        fields = line.split()
        if len(fields) > UID_COLUMN and fields[1] == local and fields[2] == remote:
            return int(fields[UID_COLUMN])
    return None


def _from_tables(family: int, local: Endpoint, remote: Endpoint) -> int | None:
    with open(TABLES[family], encoding="ascii", errors="replace") as table:
        return socket_owner(table.read(), proc_endpoint(*local), proc_endpoint(*remote))


# -- sock_diag: the same answer for one socket ------------------------------------------------

NETLINK_SOCK_DIAG = 4
SOCK_DIAG_BY_FAMILY = 20
NLM_F_REQUEST = 1
NLMSG_ERROR = 2
ALL_STATES = 0xFFFFFFFF
NO_COOKIE = 0xFFFFFFFF
HEADER = struct.Struct("=IHHII")  # struct nlmsghdr: length, type, flags, sequence, port id
UID_OFFSET = HEADER.size + 64
"""struct inet_diag_msg: family, state, timer, retrans (4 bytes), the socket id (48), then
expires, rqueue, wqueue (12), then the uid."""


def diag_request(family: int, local: Endpoint, remote: Endpoint,
                 protocol: int = socket.IPPROTO_TCP) -> bytes:
    """A SOCK_DIAG_BY_FAMILY request for the one TCP (or UDP) socket with these endpoints.

    Its body is a ``struct inet_diag_req_v2`` whose ``inet_diag_sockid`` names the
    socket by its own (source) and its peer's (destination) address and port, in network
    byte order, with no interface and no cookie.
    """
    source = socket.inet_pton(family, local[0]).ljust(16, b"\0")
    destination = socket.inet_pton(family, remote[0]).ljust(16, b"\0")
    body = (struct.pack("=BBBBI", family, protocol, 0, 0, ALL_STATES)
            + struct.pack("!HH", local[1], remote[1]) + source + destination
            + struct.pack("=III", 0, NO_COOKIE, NO_COOKIE))
    return HEADER.pack(HEADER.size + len(body), SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST, 1, 0) + body


def diag_uid(reply: bytes) -> int | None:
    """The uid in the kernel's reply to :func:`diag_request`; None when it has no such
    socket (ENOENT). Any other error raises OSError."""
    kind = HEADER.unpack_from(reply)[1]
    if kind == NLMSG_ERROR:
        code = -struct.unpack_from("=i", reply, HEADER.size)[0]
        if code == errno.ENOENT:
            return None
        raise OSError(code, os.strerror(code))
    return struct.unpack_from("=I", reply, UID_OFFSET)[0]


def _from_sock_diag(family: int, local: Endpoint, remote: Endpoint) -> int | None:
    with socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_SOCK_DIAG) as link:
        link.settimeout(1.0)
        link.send(diag_request(family, local, remote))
        return diag_uid(link.recv(8192))


# -- the check ------------------------------------------------------------------------------------


def _forms(host: str) -> dict[int, str]:
    """The address ``host`` as a socket of each family shows it.

    An IPv4 address is itself for an IPv4 socket and ``::ffff:a.b.c.d`` for an IPv6 socket
    that reached it; an IPv6 address belongs to IPv6 sockets only.
    """
    address = ipaddress.ip_address(host.partition("%")[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is None:
        return {socket.AF_INET6: str(address)}
    v4 = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else address
    return {socket.AF_INET: str(v4), socket.AF_INET6: f"::ffff:{v4}"}


def _verdict(lookup: Callable[[int, Endpoint, Endpoint], int | None], family: int,
             own: Endpoint, peer: Endpoint, remote: bool) -> bool | None:
    """With one way of looking sockets up: whether the peer may be served (``remote`` for a
    peer on another machine), or None when this way cannot tell (it does not even find the
    server's own end)."""
    own_forms, peer_forms = _forms(own[0]), _forms(peer[0])
    for kind in (socket.AF_INET, socket.AF_INET6):  # the peer's socket may be either
        if kind in own_forms and kind in peer_forms:
            owner = lookup(kind, (peer_forms[kind], peer[1]), (own_forms[kind], own[1]))
            if owner is not None:
                return owner == os.geteuid()
    # The peer is no socket of this host, if the lookup finds our own end at least.
    if lookup(family, own, peer) is not None:
        return remote
    return None


def same_user(sock: socket.socket, remote: bool = False) -> bool:
    """Whether the peer of the accepted ``sock`` belongs to this process's Unix user.

    False when another user owns the peer's socket. When no socket on this host is the
    peer, it is another machine's: ``remote`` (a server asked to listen beyond loopback
    serves other machines). True where it cannot be told: not Linux, or neither netlink
    nor the tables show ``sock``'s own end (another network namespace's, or unreadable).
    """
    if not CHECKED:
        return True
    try:
        own, peer = sock.getsockname()[:2], sock.getpeername()[:2]
    except OSError:  # the peer is already gone: nothing will be served anyway
        return True
    for lookup in (_from_sock_diag, _from_tables):
        try:
            verdict = _verdict(lookup, sock.family, own, peer, remote)
        except (OSError, struct.error):
            continue
        if verdict is not None:
            return verdict
    return True


# -- UDP: HTTP/3's datagrams ------------------------------------------------------------------

UDP_TABLES = {socket.AF_INET: "/proc/net/udp", socket.AF_INET6: "/proc/net/udp6"}


def _udp_from_sock_diag(family: int, local: Endpoint, remote: Endpoint) -> int | None:
    """The owner of the UDP socket at ``local`` that would take a datagram from ``remote``
    (bound to that address or to every address, connected to ``remote`` or to nothing)."""
    # The kernel reads a UDP request's endpoints the other way round from TCP's (its
    # udp_diag.c: "src and dst are swapped for historical reasons").
    with socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_SOCK_DIAG) as link:
        link.settimeout(1.0)
        link.send(diag_request(family, remote, local, socket.IPPROTO_UDP))
        return diag_uid(link.recv(8192))


def _udp_from_tables(family: int, local: Endpoint, remote: Endpoint) -> int | None:
    """As :func:`_udp_from_sock_diag`, from ``/proc/net/udp`` and ``udp6``."""
    unspecified = "::" if family == socket.AF_INET6 else "0.0.0.0"
    with open(UDP_TABLES[family], encoding="ascii", errors="replace") as table:
        text = table.read()
    for bound in (local[0], unspecified):
        for connected in (remote, (unspecified, 0)):
            owner = socket_owner(text, proc_endpoint(bound, local[1]), proc_endpoint(*connected))
            if owner is not None:
                return owner
    return None


def datagram_allowed(family: int, own: Endpoint, peer: Endpoint, remote: bool = False) -> bool:
    """Whether a UDP server at ``own`` may serve datagrams from ``peer``: as
    :func:`same_user` says for a TCP connection (``family`` is the server socket's)."""
    if not CHECKED:
        return True
    for lookup in (_udp_from_sock_diag, _udp_from_tables):
        try:
            verdict = _verdict(lookup, family, own[:2], peer[:2], remote)
        except (OSError, struct.error):
            continue
        if verdict is not None:
            return verdict
    return True
