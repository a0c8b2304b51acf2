"""Certificates for a secured test cluster, made fresh for every run with `cryptography`.

One CA signs everything a test needs: the broker's certificate (SAN 127.0.0.1 and localhost),
one issued for another host name, one that has expired, and a client certificate for mutual
TLS, whose key is also written encrypted and packed in a PKCS#12 keystore. A second CA that
nobody trusts signs a broker certificate too, for the "unknown CA" case.

Brokers take the PEM files directly (Kafka 3.x/4.x: `ssl.keystore.type=PEM`, key and chain in
one file, the key unencrypted PKCS#8; `ssl.truststore.type=PEM`).
"""

from __future__ import annotations

import datetime
import ipaddress
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# Names the broker certificates are valid for; clients connect to 127.0.0.1.
BROKER_HOSTS = ("localhost", "127.0.0.1")
WRONG_HOST = "wrong-host.invalid"
# The client certificate's subject common name; the secured cluster maps the DN to this
# principal name (`User:client`).
CLIENT_COMMON_NAME = "client"

_VALIDITY = datetime.timedelta(days=2)
# Backdated a little so a clock a few seconds behind still accepts a fresh certificate.
_CLOCK_SKEW = datetime.timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Certificates:
    """Paths of the PEM and PKCS#12 files of one run, and the passwords that open them.

    Broker keystores hold the unencrypted key followed by the certificate and the CA.
    """

    directory: Path
    # The trusted CA's certificate (what clients pass as ssl_cafile / ssl.ca.location).
    ca: Path
    # A CA nobody trusts, and its certificate alone.
    untrusted_ca: Path
    broker_keystore: Path
    wrong_host_keystore: Path
    expired_keystore: Path
    untrusted_keystore: Path
    client_certificate: Path
    # Unencrypted PKCS#8 key of client_certificate.
    client_key: Path
    # The same key encrypted with client_key_password.
    client_key_encrypted: Path
    client_key_password: str
    # Client certificate, key and CA in PKCS#12, opened with keystore_password.
    client_keystore: Path
    keystore_password: str


def generate_certificates(directory: Path) -> Certificates:
    """Write a fresh set of certificates into `directory` (created if needed)."""
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    ca_key, ca_cert = _certificate_authority("ferrokafka test CA", now)
    untrusted_key, untrusted_cert = _certificate_authority("ferrokafka untrusted CA", now)

    def broker(
        hosts: tuple[str, ...],
        issuer: tuple[ec.EllipticCurvePrivateKey, x509.Certificate] = (ca_key, ca_cert),
        not_before: datetime.datetime = now - _CLOCK_SKEW,
        not_after: datetime.datetime = now + _VALIDITY,
    ) -> bytes:
        key = _new_key()
        cert = _issue(
            "broker",
            key,
            issuer,
            not_before,
            not_after,
            hosts=hosts,
            usage=ExtendedKeyUsageOID.SERVER_AUTH,
        )
        return _private_pem(key) + _cert_pem(cert) + _cert_pem(issuer[1])

    def write(name: str, data: bytes) -> Path:
        path = directory / name
        path.write_bytes(data)
        path.chmod(0o600)
        return path

    client_key = _new_key()
    client_cert = _issue(
        CLIENT_COMMON_NAME,
        client_key,
        (ca_key, ca_cert),
        now - _CLOCK_SKEW,
        now + _VALIDITY,
        hosts=(),
        usage=ExtendedKeyUsageOID.CLIENT_AUTH,
    )
    key_password = secrets.token_urlsafe(12)
    keystore_password = secrets.token_urlsafe(12)
    keystore = pkcs12.serialize_key_and_certificates(
        b"client",
        client_key,
        client_cert,
        [ca_cert],
        serialization.BestAvailableEncryption(keystore_password.encode()),
    )
    return Certificates(
        directory=directory,
        ca=write("ca.pem", _cert_pem(ca_cert)),
        untrusted_ca=write("untrusted-ca.pem", _cert_pem(untrusted_cert)),
        broker_keystore=write("broker.pem", broker(BROKER_HOSTS)),
        wrong_host_keystore=write("broker-wrong-host.pem", broker((WRONG_HOST,))),
        expired_keystore=write(
            "broker-expired.pem",
            broker(
                BROKER_HOSTS,
                not_before=now - datetime.timedelta(days=30),
                not_after=now - datetime.timedelta(days=1),
            ),
        ),
        untrusted_keystore=write(
            "broker-untrusted.pem", broker(BROKER_HOSTS, issuer=(untrusted_key, untrusted_cert))
        ),
        client_certificate=write("client.pem", _cert_pem(client_cert)),
        client_key=write("client.key", _private_pem(client_key)),
        client_key_encrypted=write(
            "client-encrypted.key",
            client_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(key_password.encode()),
            ),
        ),
        client_key_password=key_password,
        client_keystore=write("client.p12", keystore),
        keystore_password=keystore_password,
    )


def _new_key() -> ec.EllipticCurvePrivateKey:
    # P-256 keys are made in microseconds (RSA-2048 takes tens of milliseconds each) and every
    # TLS 1.2/1.3 stack here (OpenSSL, the JDK, librdkafka) speaks ECDSA.
    return ec.generate_private_key(ec.SECP256R1())


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ferrokafka tests"),
        ]
    )


def _certificate_authority(
    common_name: str, now: datetime.datetime
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = _new_key()
    name = _name(common_name)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        # Valid before the expired certificate it signs, so that one fails only for its own age.
        .not_valid_before(now - datetime.timedelta(days=60))
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _issue(
    common_name: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[ec.EllipticCurvePrivateKey, x509.Certificate],
    not_before: datetime.datetime,
    not_after: datetime.datetime,
    *,
    hosts: tuple[str, ...],
    usage: x509.ObjectIdentifier,
) -> x509.Certificate:
    issuer_key, issuer_cert = issuer
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(issuer_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    )
    if hosts:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([_general_name(host) for host in hosts]), critical=False
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _general_name(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def _private_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)
