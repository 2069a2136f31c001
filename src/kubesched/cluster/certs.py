"""The plane's PKI, made with the `cryptography` package: a CA, the apiserver's serving
certificate, a client certificate per identity, the front proxy's CA and client (which
the components need to authenticate requests delegated by the apiserver) and the
service-account signing key.

Keys are ECDSA P-256: quick to generate and accepted by every component.
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALIDITY = datetime.timedelta(days=3650)
SERVICE_CLUSTER_IP_RANGE = "10.96.0.0/12"
KUBERNETES_SERVICE_IP = "10.96.0.1"
APISERVER_DNS_NAMES = ("localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
                       "kubernetes.default.svc.cluster.local")


FRONT_PROXY_CLIENT = "front-proxy-client"


@dataclass(frozen=True)
class Identity:
    """Who a client certificate says its holder is: user name and groups."""

    user: str
    groups: tuple[str, ...] = ()


# The components run as the identities the built-in RBAC policy has roles for;
# kwok and the admin are cluster admins.
ADMIN = Identity("kubesched-admin", ("system:masters",))
KUBE_SCHEDULER = Identity("system:kube-scheduler")
KUBE_CONTROLLER_MANAGER = Identity("system:kube-controller-manager")
KWOK = Identity("kwok", ("system:masters",))


@dataclass(frozen=True)
class KeyPair:
    cert: Path
    key: Path


@dataclass(frozen=True)
class Pki:
    directory: Path

    @property
    def ca(self) -> KeyPair:
        return self._pair("ca")

    @property
    def apiserver(self) -> KeyPair:
        return self._pair("apiserver")

    @property
    def front_proxy_ca(self) -> KeyPair:
        return self._pair("front-proxy-ca")

    @property
    def front_proxy_client(self) -> KeyPair:
        return self._pair("front-proxy-client")

    @property
    def service_account_key(self) -> Path:
        return self.directory / "service-account.key"

    @property
    def service_account_public_key(self) -> Path:
        return self.directory / "service-account.pub"

    def client(self, identity: Identity) -> KeyPair:
        return self._pair("client-" + identity.user.replace(":", "-"))

    def _pair(self, name: str) -> KeyPair:
        return KeyPair(self.directory / f"{name}.crt", self.directory / f"{name}.key")


def write_pki(directory: Path, identities: tuple[Identity, ...]) -> Pki:
    directory.mkdir(parents=True, exist_ok=True)
    pki = Pki(directory)
    ca = _CertificateAuthority.create("kubesched-ca", pki.ca)
    ca.issue(pki.apiserver, "kube-apiserver", (), ExtendedKeyUsageOID.SERVER_AUTH,
             [*(x509.DNSName(name) for name in APISERVER_DNS_NAMES),
              x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
              x509.IPAddress(ipaddress.ip_address(KUBERNETES_SERVICE_IP))])
    for identity in identities:
        ca.issue(pki.client(identity), identity.user, identity.groups,
                 ExtendedKeyUsageOID.CLIENT_AUTH)

    # A CA of its own: any certificate it signs may assert a user in request headers.
    front_proxy_ca = _CertificateAuthority.create("kubesched-front-proxy-ca", pki.front_proxy_ca)
    front_proxy_ca.issue(pki.front_proxy_client, FRONT_PROXY_CLIENT, (),
                         ExtendedKeyUsageOID.CLIENT_AUTH)

    signing_key = _new_key()
    _write_private_key(pki.service_account_key, signing_key)
    pki.service_account_public_key.write_bytes(signing_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return pki


@dataclass(frozen=True)
class _CertificateAuthority:
    name: x509.Name
    key: ec.EllipticCurvePrivateKey

    @classmethod
    def create(cls, common_name: str, pair: KeyPair) -> "_CertificateAuthority":
        key = _new_key()
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        cert = (_builder(name, name, key.public_key(), key.public_key())
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .add_extension(_key_usage(cert_sign=True), critical=True)
                .sign(key, hashes.SHA256()))
        _write(pair, cert, key)
        return cls(name, key)

    def issue(self, pair: KeyPair, common_name: str, organizations: tuple[str, ...],
              usage: x509.ObjectIdentifier,
              alternative_names: list[x509.GeneralName] | None = None) -> None:
        key = _new_key()
        subject = x509.Name(
            [*(x509.NameAttribute(NameOID.ORGANIZATION_NAME, group) for group in organizations),
             x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        builder = (_builder(subject, self.name, key.public_key(), self.key.public_key())
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(_key_usage(cert_sign=False), critical=True)
                   .add_extension(x509.ExtendedKeyUsage([usage]), critical=False))
        if alternative_names:
            builder = builder.add_extension(x509.SubjectAlternativeName(alternative_names),
                                            critical=False)
        _write(pair, builder.sign(self.key, hashes.SHA256()), key)


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _builder(subject: x509.Name, issuer: x509.Name, public_key, issuer_public_key
             ) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.timezone.utc)
    # Subject and authority key identifiers: strict X.509 verifiers (Python >= 3.13) want them.
    return (x509.CertificateBuilder()
            .subject_name(subject).issuer_name(issuer).public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + VALIDITY)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_public_key),
                           critical=False))


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                         data_encipherment=False, key_agreement=False, key_cert_sign=cert_sign,
                         crl_sign=cert_sign, encipher_only=False, decipher_only=False)


def _write(pair: KeyPair, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> None:
    pair.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    _write_private_key(pair.key, key)


def _write_private_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.touch(mode=0o600)
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
