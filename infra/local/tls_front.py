"""A TLS front for the local Postgres, as Supabase's pooler is one: it answers Postgres' SSLRequest, terminates TLS
with a certificate from a local CA, and relays the plaintext protocol to the real cluster.

The pgserver wheel's Postgres is built without OpenSSL, so this is how tests check that shared.db reaches a
database only over verified TLS (right CA, right host name, no plaintext fallback) against a real server.
`offer_tls=False` plays a server that declines TLS (answers "N"), as a man in the middle would."""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import select
import socket
import ssl
import struct
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from infra.local.processes import free_port

_SSL_REQUEST = struct.pack("!ii", 8, 80877103)  # what a Postgres client sends before its startup message


@dataclass(frozen=True)
class Authority:
    """A certificate authority of our own: its PEM is what a client trusts (the database's ca_cert)."""

    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate

    @classmethod
    def create(cls, name: str = "Following local CA") -> Authority:
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        certificate = (
            _builder(subject, subject, key.public_key())
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        return cls(key, certificate)

    @property
    def pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode()

    def issue(self, names: tuple[str, ...]) -> tuple[bytes, bytes]:
        """A server certificate for these DNS names or IP addresses, and its key: (certificate PEM, key PEM)."""
        key = ec.generate_private_key(ec.SECP256R1())
        alt_names: list[x509.GeneralName] = []
        for name in names:
            try:
                alt_names.append(x509.IPAddress(ipaddress.ip_address(name)))
            except ValueError:
                alt_names.append(x509.DNSName(name))
        certificate = (
            _builder(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]), self.certificate.subject,
                     key.public_key())
            .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False
            )
            .sign(self.key, hashes.SHA256())
        )  # fmt: skip
        key_pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return certificate.public_bytes(serialization.Encoding.PEM), key_pem


def _builder(subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
    )


@dataclass
class TlsFront:
    """Listens on 127.0.0.1:`port` and relays each connection to the Postgres on `upstream_port`."""

    upstream_port: int
    certificate: tuple[bytes, bytes]  # (certificate PEM, key PEM), from Authority.issue
    offer_tls: bool = True
    port: int = field(default_factory=free_port)
    tls_connections: int = 0  # connections that completed a TLS handshake
    _listener: socket.socket | None = field(default=None, init=False, repr=False)
    _context: ssl.SSLContext = field(default_factory=lambda: ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER), init=False)

    def start(self) -> None:
        with tempfile.TemporaryDirectory() as folder:  # load_cert_chain reads files only
            cert, key = Path(folder) / "server.pem", Path(folder) / "server.key"
            cert.write_bytes(self.certificate[0])
            key.write_bytes(self.certificate[1])
            self._context.load_cert_chain(cert, key)
        self._listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    def stop(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() waiting in _accept
            self._listener.close()

    def _accept(self) -> None:
        assert self._listener is not None
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:  # closed by stop()
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            first = _read_exactly(client, 8)
            if first == _SSL_REQUEST and self.offer_tls:
                client.sendall(b"S")
                client = self._context.wrap_socket(client, server_side=True)
                self.tls_connections += 1
                first = b""
            elif first == _SSL_REQUEST:
                client.sendall(b"N")  # declined: the client may go on in plaintext (it must not)
                first = b""
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
        except OSError:  # ssl.SSLError too: a client that refused our certificate hangs up mid-handshake
            client.close()
            return
        upstream.sendall(first)
        _relay(client, upstream)


def _read_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise OSError("closed before the first message")
        data += chunk
    return data


def _relay(client: socket.socket, upstream: socket.socket) -> None:
    """Copy bytes both ways until either side closes, then close both. One thread does every read and write of the
    TLS socket: OpenSSL does not allow one thread reading while another writes."""
    try:
        while True:
            pending = isinstance(client, ssl.SSLSocket) and client.pending()
            ready = [client] if pending else select.select([client, upstream], [], [])[0]
            for source in ready:
                chunk = source.recv(65536)
                if not chunk:
                    return
                (upstream if source is client else client).sendall(chunk)
    except OSError:  # ssl.SSLError is one
        pass
    finally:
        for sock in (client, upstream):
            with contextlib.suppress(OSError):
                sock.close()
