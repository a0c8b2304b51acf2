"""The secured test cluster itself: every listener serves (or fails) as documented, read by
clients that are not ferrokafka (Python's ssl module, librdkafka)."""

from __future__ import annotations

import socket
import ssl
from typing import Any

import pytest
from confluent_kafka import Producer

from ferrokafka.testing import SecuredKafkaCluster
from ferrokafka.testing._secured import CLIENT_PRINCIPAL

pytestmark = pytest.mark.timeout(180)


def _handshake(cluster: SecuredKafkaCluster, listener: Any, context: ssl.SSLContext) -> str:
    host, port = cluster.bootstrap(listener).split(",")[0].rsplit(":", 1)
    with (
        socket.create_connection((host, int(port)), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=host) as tls,
    ):
        return str(tls.version())


def test_tls_listeners_present_the_documented_certificates(
    kafka_secured: SecuredKafkaCluster,
) -> None:
    certificates = kafka_secured.certificates
    trusting = ssl.create_default_context(cafile=str(certificates.ca))
    assert _handshake(kafka_secured, "SSL", trusting).startswith("TLSv1.")

    mutual = ssl.create_default_context(cafile=str(certificates.ca))
    mutual.load_cert_chain(certificates.client_certificate, certificates.client_key)
    assert _handshake(kafka_secured, "MTLS", mutual).startswith("TLSv1.")

    for listener, reason in (("WRONG_HOST", "mismatch"), ("EXPIRED", "expired")):
        with pytest.raises(ssl.SSLCertVerificationError) as failure:
            _handshake(kafka_secured, listener, trusting)
        assert reason in failure.value.verify_message

    with pytest.raises(ssl.SSLCertVerificationError):
        _handshake(
            kafka_secured, "SSL", ssl.create_default_context(cafile=certificates.untrusted_ca)
        )


@pytest.mark.parametrize(
    ("listener", "user", "mechanism"),
    [
        ("SSL", None, "PLAIN"),
        ("MTLS", None, "PLAIN"),
        ("SASL_PLAINTEXT", "alice", "PLAIN"),
        ("SASL_PLAINTEXT", "alice", "SCRAM-SHA-256"),
        ("SASL_SSL", "bob", "SCRAM-SHA-512"),
        ("SASL_SSL", "alice", "OAUTHBEARER"),
    ],
)
def test_librdkafka_produces_through_every_listener(
    kafka_secured: SecuredKafkaCluster, topic: Any, listener: Any, user: str | None, mechanism: str
) -> None:
    name = topic(cluster=kafka_secured)
    producer = Producer(kafka_secured.client_config(listener, user=user, mechanism=mechanism))
    producer.produce(name, b"through " + listener.encode())
    assert producer.flush(30) == 0
    config = kafka_secured.client_config(listener, user=user, mechanism=mechanism)
    records = kafka_secured.consume(name, count=1, client_config=config)
    assert records[0].value == b"through " + listener.encode()


def test_a_deny_acl_refuses_the_mtls_principal(
    kafka_secured: SecuredKafkaCluster, topic: Any
) -> None:
    name = topic(cluster=kafka_secured)
    kafka_secured.deny(CLIENT_PRINCIPAL, name)
    errors: list[Any] = []
    producer = Producer(
        {**kafka_secured.client_config("MTLS"), "message.timeout.ms": 10000, "retries": 0}
    )
    producer.produce(name, b"refused", on_delivery=lambda err, _msg: errors.append(err))
    producer.flush(20)
    assert len(errors) == 1
    assert errors[0] is not None
    assert errors[0].name() == "TOPIC_AUTHORIZATION_FAILED"
