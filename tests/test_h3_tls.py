"""Live: ``serve(tls=True)`` answers https:// with HTTP/1.1 and HTTP/2 (ALPN) and HTTP/3 over QUIC.

HTTP/1.1 is read off the standard library's ssl socket, HTTP/2 with
tests/rawh2.py and HTTP/3 with tests/rawh3.py, not with nocontent's frame
view. No sleeps: each wait is a read bounded by a timeout.
"""

from __future__ import annotations

import os
import socket
import ssl

import pytest
import rawh3 as h3
from rawh2 import H2

import nocontent
import nocontent._server as server_module
from nocontent import FRAME_MISBEHAVIOURS, serve
from nocontent._tls import TLSServer, running_ca_file

pytestmark = pytest.mark.live

TIMEOUT = 5.0


@pytest.fixture(scope="module")
def tls():
    with TLSServer() as running:
        yield running


def tls_socket(server, alpn: list[str], host: str = "127.0.0.1") -> ssl.SSLSocket:
    context = ssl.create_default_context(cafile=server.ca_file)
    context.set_alpn_protocols(alpn)
    sock = socket.create_connection((server.host, server.port), timeout=TIMEOUT)
    return context.wrap_socket(sock, server_hostname=host)


def read_all(sock: ssl.SSLSocket) -> bytes:
    data = bytearray()
    while chunk := sock.recv(65536):
        data += chunk
    return bytes(data)


# -- TLS and ALPN -------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_the_certificate_is_trusted_through_the_ca_file_for_both_names(tls, host) -> None:
    with tls_socket(tls, ["http/1.1"], host) as sock:
        assert sock.version() in ("TLSv1.2", "TLSv1.3")


def test_without_the_ca_file_the_certificate_is_refused(tls) -> None:
    context = ssl.create_default_context()
    with socket.create_connection((tls.host, tls.port), timeout=TIMEOUT) as sock, \
            pytest.raises(ssl.SSLCertVerificationError):
        context.wrap_socket(sock, server_hostname="127.0.0.1")


def test_http11_over_tls_carries_alt_svc(tls) -> None:
    with tls_socket(tls, ["http/1.1"]) as sock:
        assert sock.selected_alpn_protocol() == "http/1.1"
        sock.sendall(b"GET /status/204 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        reply = read_all(sock)
    head = reply.decode("latin-1")
    assert head.startswith("HTTP/1.1 204 No Content\r\n")
    assert f'\r\nAlt-Svc: h3=":{tls.port}"\r\n' in head
    assert reply.endswith(b"\r\n\r\n")  # nothing after the header section


@pytest.mark.parametrize(("scheme", "status"), [("https", "204 No Content"),
                                                ("http", "421 Misdirected Request")])
def test_over_tls_an_absolute_form_target_is_served_for_https_only(tls, scheme, status) -> None:
    # RFC 9112 §3.2.2: a server MUST accept the absolute-form; over TLS its scheme is https.
    target = f"{scheme}://127.0.0.1:{tls.port}/status/204".encode()
    with tls_socket(tls, ["http/1.1"]) as sock:
        sock.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        reply = read_all(sock)
    assert reply.decode("latin-1").startswith(f"HTTP/1.1 {status}\r\n")


def test_h2_is_negotiated_with_alpn_and_advertises_h3(tls) -> None:
    with tls_socket(tls, ["h2", "http/1.1"]) as sock:
        assert sock.selected_alpn_protocol() == "h2"
        conn = H2(tls, sock=sock)
        conn.send(conn.headers("GET", "/status/204"))
        [headers] = conn.response(1)
    assert dict(headers.fields)[":status"] == "204"
    assert dict(headers.fields)["alt-svc"] == f'h3=":{tls.port}"'


# -- HTTP/3 -----------------------------------------------------------------------------


def test_http3_answers_on_the_same_port_number(tls) -> None:
    response = h3.request(tls, "/status/204")
    assert response.kinds == ["HEADERS"] and response.fields[":status"] == "204"
    assert "content-length" not in response.fields


def test_http3_serves_the_same_routes(tls) -> None:
    response = h3.request(tls, "/docs/welcome")
    assert response.fields[":status"] == "200"
    assert response.fields["content-length"] == str(len(response.body))
    assert response.body == tls.app.store.get("welcome").body


def test_http3_records_say_http3(tls) -> None:
    tls.exchanges.clear()
    h3.request(tls, "/status/204")
    [record] = [r for r in tls.exchanges if r.target == "/status/204"]
    assert record.version == "HTTP/3" and record.status == 204
    assert record.received[0] == 0x01 and record.sent[0] == 0x01  # HTTP/3 HEADERS frames


def test_http3_an_oversized_header_section_gets_431(tls) -> None:
    # 70 kB in five fields: the server's QPACK decoder (pylsqpack) fails a single literal
    # that long with QPACK_DECOMPRESSION_FAILED before the server sees a header section
    big = [(f"x-big-{i}", "a" * 14_000) for i in range(5)]
    response = h3.request(tls, "/status/204", extra=big)
    assert response.fields[":status"] == "431"
    assert h3.request(tls, "/status/204").fields[":status"] == "204"


EXPECTED = {
    "body": ["HEADERS", "DATA"],
    "content-length-zero": ["HEADERS"],
    "content-length": ["HEADERS"],
    "trailers": ["HEADERS", "HEADERS"],
    "transfer-encoding": ["HEADERS"],
}


def test_every_kind_is_tested() -> None:
    assert set(EXPECTED) == set(FRAME_MISBEHAVIOURS)


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_http3_misbehaviours_are_written_frame_by_frame(tls, kind) -> None:
    response = h3.request(tls, f"/misbehave/{kind}")
    assert response.kinds == EXPECTED[kind]
    assert response.fields[":status"] == "204"
    assert response.fields.get("content-length") == {"content-length-zero": "0",
                                                     "content-length": "4"}.get(kind)
    assert response.body == (b"null" if kind == "body" else b"")
    if kind == "trailers":
        assert response.sections[1] == [("x-checksum", "none")]
    if kind == "transfer-encoding":
        assert response.fields["transfer-encoding"] == "chunked"


# -- lifecycle ----------------------------------------------------------------------------


def test_serve_tls_is_its_own_server_and_is_idempotent(monkeypatch) -> None:
    monkeypatch.setattr(server_module, "_shared", None)
    monkeypatch.setattr(server_module, "_shared_tls", None)
    plain, secure = serve(), serve(tls=True)
    try:
        assert isinstance(secure, TLSServer) and not isinstance(plain, TLSServer)
        assert serve(tls=True) is secure and serve() is plain
        assert secure.url.startswith("https://") and plain.url.startswith("http://")
        assert running_ca_file(secure.port) == secure.ca_file
    finally:
        secure.stop()
        plain.stop()
    assert serve.__module__ == "nocontent._server"


def test_stop_removes_the_certificate_files_and_frees_both_ports() -> None:
    server = TLSServer()
    ca_file, port = server.ca_file, server.port
    assert os.path.exists(ca_file)
    server.stop()
    assert not os.path.exists(ca_file)
    assert running_ca_file(port) is None
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind(("127.0.0.1", port))  # the QUIC socket is closed


def test_no_connection_is_taken_before_alt_svc_and_http3_are_ready(monkeypatch) -> None:
    """Regression: TCP was accepted while Alt-Svc was still empty and HTTP/3 not yet up."""
    import nocontent._h3 as h3_module

    seen = []
    real = h3_module.H3Server

    def watched(*args, **kwargs):
        server = kwargs["record"].__self__  # the TLSServer being set up
        seen.append((server.alt_svc, getattr(server, "_thread", None)))
        return real(*args, **kwargs)

    monkeypatch.setattr(h3_module, "H3Server", watched)
    server = TLSServer()
    try:
        assert seen == [(f'h3=":{server.port}"', None)], "accepting before HTTP/3 was up"
        assert server._thread.is_alive()
    finally:
        server.stop()


def test_a_failed_http3_start_leaves_nothing_open(monkeypatch) -> None:
    import nocontent._h3 as h3_module

    def broken(*args, **kwargs):
        raise OSError("the UDP port is taken")

    monkeypatch.setattr(h3_module, "H3Server", broken)
    before = set(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else set()
    with pytest.raises(OSError, match="UDP port"):
        TLSServer()
    if before:
        assert set(os.listdir("/proc/self/fd")) <= before, "a socket was left open"


def test_a_field_the_http3_client_cannot_encode_is_refused_with_a_reason(tls) -> None:
    # Bad input gets a clear message: pylsqpack's own error would reach the learner as a
    # ValueError from deep inside the client.
    with pytest.raises(nocontent.LocalProtocolError, match="QPACK encoder refused"):
        nocontent.exchange(tls.url + "/status/204", headers=[("x-big", "a" * 70_000)],
                           http_version=3)
    assert nocontent.exchange(tls.url + "/status/204", http_version=3).status == 204
