"""TLS against a real Kafka: delivery through SSL and mutual-TLS listeners (read back by
librdkafka through the same listener), and every certificate failure ending at once with a
typed error that names TLS, the broker and the reason."""

from __future__ import annotations

import contextlib
import logging
import ssl
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

import ferrokafka._connect as connect_module
from ferrokafka import Producer, ProducerConfig, SslAuthenticationError
from ferrokafka.errors import ConfigError
from ferrokafka.testing import SecuredKafkaCluster
from ferrokafka.testing.pytest_plugin import TopicFactory

pytestmark = pytest.mark.timeout(240)

# Far longer than any failure here may take: a record that waits for it has been retried.
DELIVERY_TIMEOUT_MS = 60_000
# Generous for a loaded machine; the point is "not delivery_timeout_ms".
FAIL_FAST_S = 10.0


@contextlib.contextmanager
def counted_connects() -> Iterator[list[float]]:
    """Records the time of every connection attempt ferrokafka makes."""
    attempts: list[float] = []
    original = getattr(connect_module, "open_wire")  # noqa: B009 - not exported

    async def counting(*args: Any, **kwargs: Any) -> Any:
        attempts.append(time.monotonic())
        return await original(*args, **kwargs)

    setattr(connect_module, "open_wire", counting)  # noqa: B010 - a test double
    try:
        yield attempts
    finally:
        setattr(connect_module, "open_wire", original)  # noqa: B010


@pytest.mark.parametrize("listener", ["SSL", "MTLS"])
async def test_ten_thousand_records_delivered_once(
    kafka_secured: SecuredKafkaCluster, topic: TopicFactory, listener: Any
) -> None:
    name = topic(partitions=3, cluster=kafka_secured)
    count = 10_000
    async with Producer(
        **kafka_secured.producer_config(listener), acks="all", enable_idempotence=True
    ) as producer:
        futures = [producer.send_nowait(name, b"%05d" % i) for i in range(count)]
        await producer.flush()
        for future in futures:
            await future
    config = kafka_secured.client_config(listener)
    records = kafka_secured.consume(name, count=count, client_config=config)
    values = sorted(record.value or b"" for record in records)
    assert values == [b"%05d" % i for i in range(count)]


@pytest.mark.parametrize("identity", ["pkcs12", "encrypted-pem", "dotted-names"])
async def test_client_identities_for_mutual_tls(
    kafka_secured: SecuredKafkaCluster, topic: TopicFactory, identity: str
) -> None:
    certificates = kafka_secured.certificates
    name = topic(cluster=kafka_secured)
    bootstrap = kafka_secured.bootstrap("MTLS")
    if identity == "pkcs12":
        producer = Producer(
            bootstrap_servers=bootstrap,
            security_protocol="SSL",
            ssl_cafile=str(certificates.ca),
            ssl_keystore_location=str(certificates.client_keystore),
            ssl_keystore_password=certificates.keystore_password,
        )
    elif identity == "encrypted-pem":
        producer = Producer(
            bootstrap_servers=bootstrap,
            security_protocol="SSL",
            ssl_cafile=str(certificates.ca),
            ssl_certfile=str(certificates.client_certificate),
            ssl_keyfile=str(certificates.client_key_encrypted),
            ssl_password=certificates.client_key_password,
        )
    else:
        producer = Producer.from_config(
            {
                "bootstrap.servers": bootstrap,
                "security.protocol": "SSL",
                "ssl.truststore.type": "PEM",
                "ssl.truststore.location": str(certificates.ca),
                "ssl.keystore.type": "PKCS12",
                "ssl.keystore.location": str(certificates.client_keystore),
                "ssl.keystore.password": certificates.keystore_password,
                "ssl.enabled.protocols": "TLSv1.2,TLSv1.3",
            }
        )
    async with producer:
        await producer.send(name, identity.encode())
    records = kafka_secured.consume(
        name, count=1, client_config=kafka_secured.client_config("MTLS")
    )
    assert records[0].value == identity.encode()


async def test_ca_as_pem_text_and_tls12_only(
    kafka_secured: SecuredKafkaCluster, topic: TopicFactory
) -> None:
    name = topic(cluster=kafka_secured)
    async with Producer(
        bootstrap_servers=kafka_secured.bootstrap("SSL"),
        security_protocol="SSL",
        ssl_cadata=kafka_secured.certificates.ca.read_text(),
        ssl_enabled_protocols="TLSv1.2",
        ssl_cipher_suites="ECDHE-ECDSA-AES128-GCM-SHA256",
    ) as producer:
        await producer.send(name, b"pem text")
    assert kafka_secured.consume(name, count=1)[0].value == b"pem text"


def _failing_options(cluster: SecuredKafkaCluster, case: str) -> dict[str, Any]:
    certificates = cluster.certificates
    if case == "unknown CA":
        options = cluster.producer_config("SSL")
        options["ssl_cafile"] = str(certificates.untrusted_ca)
    elif case == "no client certificate":
        options = cluster.producer_config("SSL")
        options["bootstrap_servers"] = cluster.bootstrap("MTLS")
    else:
        options = cluster.producer_config("WRONG_HOST" if case == "WRONG_HOST" else "EXPIRED")
    return {**options, "delivery_timeout_ms": DELIVERY_TIMEOUT_MS}


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("unknown CA", "self-signed certificate in certificate chain"),
        ("WRONG_HOST", "mismatch"),
        ("EXPIRED", "certificate has expired"),
        ("no client certificate", "requires a client certificate"),
    ],
)
async def test_start_fails_at_once_with_the_reason(
    kafka_secured: SecuredKafkaCluster, case: str, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="ferrokafka")
    producer = Producer(**_failing_options(kafka_secured, case))
    began = time.monotonic()
    with counted_connects() as attempts, pytest.raises(SslAuthenticationError) as failure:
        await producer.start()
    took = time.monotonic() - began
    message = str(failure.value)
    assert "TLS handshake with 127.0.0.1:" in message
    assert reason in message
    assert isinstance(failure.value.__cause__, ssl.SSLError)
    assert not failure.value.retriable
    assert len(attempts) == 1
    assert took < FAIL_FAST_S, took
    await producer.close()


@pytest.mark.parametrize(
    ("change", "option", "says"),
    [
        ("encrypted key without password", "ssl_password", "the private key is encrypted"),
        ("wrong key password", "ssl_password", "does not unlock the private key"),
        ("private key as CA", "ssl_cafile", "holds no CA certificate"),
        ("wrong keystore password", "ssl_keystore_password", "the password is wrong"),
        ("JKS keystore", "ssl_keystore_location", "keytool -importkeystore"),
        ("unknown cipher", "ssl_cipher_suites", "no cipher suite"),
    ],
)
def test_bad_key_material_is_a_config_error_at_construction(
    kafka_secured: SecuredKafkaCluster, tmp_path: Path, change: str, option: str, says: str
) -> None:
    certificates = kafka_secured.certificates
    options: dict[str, Any] = {
        "bootstrap_servers": kafka_secured.bootstrap("MTLS"),
        "security_protocol": "SSL",
        "ssl_cafile": str(certificates.ca),
    }
    pem_identity = {
        "ssl_certfile": str(certificates.client_certificate),
        "ssl_keyfile": str(certificates.client_key_encrypted),
    }
    if change == "encrypted key without password":
        options |= pem_identity
    elif change == "wrong key password":
        options |= pem_identity | {"ssl_password": "not-the-password"}
    elif change == "private key as CA":
        options["ssl_cafile"] = str(certificates.client_key)
    elif change == "wrong keystore password":
        options["ssl_keystore_location"] = str(certificates.client_keystore)
        options["ssl_keystore_password"] = "not-the-password"
    elif change == "JKS keystore":
        jks = tmp_path / "client.jks"
        jks.write_bytes(b"\xfe\xed\xfe\xed" + bytes(60))
        options["ssl_keystore_location"] = str(jks)
    else:
        options["ssl_cipher_suites"] = "NO-SUCH-CIPHER"
    with pytest.raises(ConfigError) as failure:
        Producer(**options)
    assert failure.value.option == option
    assert says in str(failure.value)
    if change != "JKS keystore":
        assert failure.value.__cause__ is not None


async def test_tls_refused_after_start_fails_pending_records_at_once(
    kafka_secured: SecuredKafkaCluster, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The broker comes back with a certificate for another host: records waiting for it fail
    with the TLS error as soon as a handshake is refused, and nothing reconnects in a loop."""
    caplog.set_level(logging.DEBUG, logger="ferrokafka")
    certificates = kafka_secured.certificates
    with SecuredKafkaCluster(workdir=tmp_path / "cluster", certificates=certificates) as cluster:
        name = cluster.create_topic("rotated")
        async with Producer(
            **cluster.producer_config("SSL"), delivery_timeout_ms=DELIVERY_TIMEOUT_MS
        ) as producer:
            await producer.send(name, b"before")
            with counted_connects() as attempts:
                await anyio.to_thread.run_sync(
                    cluster.restart_with_keystore, "SSL", certificates.wrong_host_keystore
                )
                ready = time.monotonic()
                pending = [producer.send_nowait(name, b"after %d" % i) for i in range(100)]
                for future in pending:
                    with pytest.raises(SslAuthenticationError) as failure:
                        await future
                failed = time.monotonic()
                assert "mismatch" in str(failure.value)
                # Quiet afterwards: no record asks for the broker, so nobody reconnects.
                settled = len(attempts)
                await anyio.sleep(3)
                assert len(attempts) == settled
            assert failed - ready < FAIL_FAST_S, failed - ready
            assert settled <= 3, attempts
    assert kafka_secured.certificates.client_key_password not in caplog.text


def test_secrets_never_shown(
    kafka_secured: SecuredKafkaCluster, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    certificates = kafka_secured.certificates
    secrets = [certificates.client_key_password, certificates.keystore_password]
    shown: list[str] = []
    for password in ("wrong-but-secret-1", certificates.client_key_password):
        options: dict[str, Any] = {
            "bootstrap_servers": kafka_secured.bootstrap("MTLS"),
            "security_protocol": "SSL",
            "ssl_cafile": str(certificates.ca),
            "ssl_certfile": str(certificates.client_certificate),
            "ssl_keyfile": str(certificates.client_key_encrypted),
            "ssl_password": password,
        }
        secrets.append(password)
        config = ProducerConfig(**options)
        shown += [repr(config), str(config)]
        try:
            producer = Producer(**options)
        except ConfigError as exc:
            shown += [str(exc), repr(exc), repr(exc.__cause__)]
        else:
            shown += [repr(producer), str(producer)]
    keystore: dict[str, Any] = {
        "bootstrap_servers": "127.0.0.1:1",
        "security_protocol": "SSL",
        "ssl_keystore_location": str(certificates.client_keystore),
        "ssl_keystore_password": certificates.keystore_password,
    }
    shown += [repr(ProducerConfig(**keystore)), repr(Producer(**keystore))]
    text = "\n".join([*shown, caplog.text])
    for secret in secrets:
        assert secret not in text
