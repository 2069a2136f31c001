"""The serving certificate: the one given (--tls-cert-file, --tls-private-key-file) or, as
kube-scheduler does without one, a self-signed certificate made at start for this host."""

from __future__ import annotations

import datetime
import ipaddress
import os
import socket
import ssl
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kubesched.errors import InputError

SELF_SIGNED_VALIDITY = datetime.timedelta(days=365)


def server_context(cert_file: str | None, key_file: str | None) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if bool(cert_file) != bool(key_file):
        raise InputError("--tls-cert-file and --tls-private-key-file go together",
                         field="--tls-cert-file" if not cert_file else "--tls-private-key-file")
    if cert_file:
        try:
            context.load_cert_chain(cert_file, key_file)
        except (OSError, ssl.SSLError) as error:
            raise InputError(f"cannot load the serving certificate: {error}", file=cert_file) from None
        return context
    load_pem_pair(context, *self_signed(socket.gethostname()))
    return context


def load_pem_pair(context: ssl.SSLContext, certificate: bytes, key: bytes) -> None:
    """Load a certificate and key held in memory (ssl reads them only from files: a
    private temporary directory, the key readable by us alone)."""
    with tempfile.TemporaryDirectory(prefix="kubesched-tls-") as directory:
        cert_path, key_path = os.path.join(directory, "tls.crt"), os.path.join(directory, "tls.key")
        with open(cert_path, "wb") as handle:
            handle.write(certificate)
        with open(os.open(key_path, os.O_WRONLY | os.O_CREAT, 0o600), "wb") as handle:
            handle.write(key)
        context.load_cert_chain(cert_path, key_path)


def self_signed(host: str) -> tuple[bytes, bytes]:
    """(certificate PEM, key PEM) for `host`, localhost and the loopback addresses."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{host}@{int(datetime.datetime.now().timestamp())}")])
    now = datetime.datetime.now(datetime.timezone.utc)
    names = [x509.DNSName(host), x509.DNSName("localhost"),
             x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.IPAddress(ipaddress.ip_address("::1"))]
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(hours=1))
                   .not_valid_after(now + SELF_SIGNED_VALIDITY)
                   .add_extension(x509.SubjectAlternativeName(names), critical=False)
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    return (certificate.public_bytes(serialization.Encoding.PEM),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()))
