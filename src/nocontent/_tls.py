"""The TLS server: https:// with HTTP/1.1 or HTTP/2 (ALPN) over TCP, and HTTP/3 over QUIC.

:func:`make_certificates` makes, at start, a throwaway certificate authority
and a certificate it signs for 127.0.0.1, ::1 and localhost; clients trust
the CA file (:attr:`TLSServer.ca_file`) and nothing else is needed. The files
live in a private temporary folder that :meth:`TLSServer.stop` removes.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import os
import shutil
import socket
import ssl
import tempfile
import threading
import weakref
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ._app import App
from ._http import Headers, Response
from ._server import Server

__all__ = ["Certificates", "TLSServer", "make_certificates", "running_ca_file"]

VALIDITY = datetime.timedelta(days=7)
"""How long the certificates are valid: longer than any course session, short for a throwaway."""
HANDSHAKE_TIMEOUT = 10.0
"""Seconds a client has to complete the TLS handshake."""


@dataclass(frozen=True)
class Certificates:
    """Where the files are.

    Attributes:
        ca_file: the CA certificate (PEM), for clients to trust.
        cert_file: the server's certificate chain (PEM).
        key_file: the server's private key (PEM).
    """

    ca_file: str
    cert_file: str
    key_file: str


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "nocontent course"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common)])


def make_certificates(folder: str) -> Certificates:
    """A new CA and a certificate for 127.0.0.1, ::1 and localhost, written into ``folder``."""
    now = datetime.datetime.now(datetime.timezone.utc)
    start, end = now - datetime.timedelta(hours=1), now + VALIDITY
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("nocontent throwaway CA")
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
             x509.IPAddress(ipaddress.ip_address("::1"))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost")).issuer_name(ca_name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(end)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    files = Certificates(ca_file=os.path.join(folder, "ca.pem"),
                         cert_file=os.path.join(folder, "server.pem"),
                         key_file=os.path.join(folder, "server-key.pem"))
    with open(files.ca_file, "wb") as out:
        out.write(ca.public_bytes(pem))
    with open(files.cert_file, "wb") as out:
        out.write(cert.public_bytes(pem) + ca.public_bytes(pem))
    with open(os.open(files.key_file, os.O_WRONLY | os.O_CREAT, 0o600), "wb") as out:
        out.write(key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))
    return files


_running: weakref.WeakSet[TLSServer] = weakref.WeakSet()
_running_lock = threading.Lock()


def running_ca_file(port: int) -> str | None:
    """The CA file of the TLS server running in this process on ``port``, if any."""
    with _running_lock:
        servers = list(_running)
    return next((s.ca_file for s in servers if s.port == port and s.running), None)


class TLSServer(Server):
    """A running embedded server for https://. Use ``nocontent.serve(tls=True)`` for the shared one.

    Over TCP it negotiates ``h2`` or ``http/1.1`` with ALPN; on the same port
    number over UDP it answers HTTP/3, which every response over TCP
    advertises with ``Alt-Svc: h3=":PORT"`` (RFC 9114 §3.1.1).

    Attributes:
        url: the base URL, such as ``https://127.0.0.1:49152``.
        ca_file: the path of the CA certificate that signed the server's certificate.
        alt_svc: the Alt-Svc field value the responses carry.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, app: App | None = None) -> None:
        self._folder = tempfile.mkdtemp(prefix="nocontent-tls-")
        try:
            self.certificates = make_certificates(self._folder)
            self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self._context.load_cert_chain(self.certificates.cert_file,
                                          self.certificates.key_file)
            self._context.set_alpn_protocols(["h2", "http/1.1"])
            self.ca_file = self.certificates.ca_file
            app = app or App()
            app.scheme = "https"
            super().__init__(host, port, app)  # calls _before_accepting
        except BaseException:
            shutil.rmtree(self._folder, ignore_errors=True)
            raise
        with _running_lock:
            _running.add(self)
        # a server never stopped still leaves no key behind when the interpreter exits
        weakref.finalize(self, shutil.rmtree, self._folder, True)

    def __repr__(self) -> str:
        return super().__repr__().replace("nocontent.Server", "nocontent.TLSServer")

    def _before_accepting(self) -> None:
        """Alt-Svc and the HTTP/3 server it names are ready before the first TCP connection."""
        self.alt_svc = f'h3=":{self.port}"'
        self.url = "https://" + self.url.split("://", 1)[1]
        from ._h3 import H3Server  # imported here: the QUIC server needs aioquic

        self.h3 = H3Server(self.host, self.port, self.certificates, app=self.app,
                           record=self._record, remote=self._beyond_loopback,
                           refused=self._refused_datagrams)

    def _refused_datagrams(self) -> None:
        """HTTP/3: another Unix user's peer address, dropped unread (counted once)."""
        self.refused_other_users += 1

    def stop(self) -> None:
        """Stop both transports, wait for their threads, and remove the certificate files."""
        if self._stopping.is_set():
            return
        super().stop()
        self.h3.stop()
        shutil.rmtree(self._folder, ignore_errors=True)

    def _frame(self, reply: Response, method: str, now: float) -> bytes:
        """Compliant HTTP/1.1 responses over TLS carry Alt-Svc too (raw ones go as written)."""
        reply = Response(status=reply.status, headers=(*reply.headers, ("Alt-Svc", self.alt_svc)),
                         body=reply.body)
        return Server._frame(reply, method, now)

    def _serve_connection(self, sock: socket.socket, extra: Headers = ()) -> None:
        """Complete the TLS handshake here, in the connection's thread, then serve as usual."""
        try:
            sock.settimeout(HANDSHAKE_TIMEOUT)
            tls = self._context.wrap_socket(sock, server_side=True)
        except (OSError, ValueError):
            with contextlib.suppress(OSError):
                sock.close()
            return
        with self._lock:  # stop() shuts down the socket it knows: make it this one
            if sock in self._connections:
                self._connections[tls] = self._connections.pop(sock)
        super()._serve_connection(tls, (("alt-svc", self.alt_svc),))
