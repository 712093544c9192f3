"""The server's TLS certificate, read from the checked (pinned) address: subject, issuer and the
SHA-256 of its DER, from a TLS server on 127.0.0.1 with a certificate made for the test."""

from __future__ import annotations

import hashlib
import socket
import ssl
import threading
from datetime import timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from odr.captures.browser import peer_certificate
from odr.clock import utcnow


def _certificate(folder: Path) -> tuple[Path, Path, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "shop.test"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "南宁测试商店"),
        ]
    )
    now = utcnow()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path, cert.public_bytes(serialization.Encoding.DER)


def test_the_certificate_is_read_from_the_pinned_address(tmp_path: Path) -> None:
    cert_path, key_path, der = _certificate(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]

    def serve_one() -> None:
        connection, _ = listener.accept()
        try:
            with context.wrap_socket(connection, server_side=True) as tls:
                tls.recv(1)  # until the client closes
        except (OSError, ssl.SSLError):
            pass

    thread = threading.Thread(target=serve_one, daemon=True)
    thread.start()
    try:
        found = peer_certificate("shop.test", port, "127.0.0.1", timeout=10)
    finally:
        thread.join(timeout=10)
        listener.close()
    assert found["sha256"] == hashlib.sha256(der).hexdigest()
    assert "CN=shop.test" in found["subject"] and "南宁测试商店" in found["subject"]
    assert found["issuer"] == found["subject"]
    assert found["not_before"] < found["not_after"]
