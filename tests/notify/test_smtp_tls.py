"""E-mail over STARTTLS with a login, against a real SMTP server whose certificate odr checks."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from dataclasses import replace
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from peers import Inbox, free_port

from odr.notify.dispatcher import dispatch


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (its own CA), and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "odr test smtp")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "smtp.pem", directory / "smtp.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@pytest.fixture
def tls_smtp(tmp_path: Path):  # type: ignore[no-untyped-def]
    cert_file, key_file = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    logins: list[tuple[str, str]] = []

    def authenticator(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
        assert isinstance(auth_data, LoginPassword)
        logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=auth_data.password == b"s3cret")

    inbox = Inbox()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=free_port(),
        tls_context=context,
        require_starttls=True,
        auth_required=True,
        authenticator=authenticator,
    )
    controller.start()
    try:
        yield controller, inbox, cert_file, logins
    finally:
        controller.stop()


def test_starttls_and_login(file_complaint, factory, settings, tls_smtp):
    controller, inbox, cert_file, logins = tls_smtp
    file_complaint(complainant_email="zhao@example.com")
    smtp = replace(
        settings,
        smtp_host="127.0.0.1",
        smtp_port=controller.port,
        smtp_starttls=True,
        smtp_user="odr",
        smtp_password="s3cret",
        smtp_ca_file=str(cert_file),
    )
    assert dispatch(factory, smtp) == 3
    assert logins == [("odr", "s3cret")] and len(inbox.messages) == 1


def test_untrusted_certificate_is_refused(file_complaint, factory, settings, tls_smtp):
    controller, inbox, _, _ = tls_smtp
    file_complaint(complainant_email="zhao@example.com")
    smtp = replace(
        settings,
        smtp_host="127.0.0.1",
        smtp_port=controller.port,
        smtp_starttls=True,
        smtp_user="odr",
        smtp_password="s3cret",
    )
    assert dispatch(factory, smtp) == 2  # SMS and in-app; the mail waits for a retry
    assert inbox.messages == []
