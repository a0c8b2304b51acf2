"""SASL against Apache Kafka (the secured test cluster), read back by librdkafka over the same
listener with the same SASL settings: every mechanism, OIDC client credentials, wrong
credentials, an unsupported mechanism, a topic the principal may not write to, and KIP-368
re-authentication while producing."""

from __future__ import annotations

import logging
import time
from typing import Any

import anyio
import pytest
from oauth_endpoint import TokenEndpoint

import ferrokafka._connect
from ferrokafka import Producer
from ferrokafka.errors import (
    OAuthTokenError,
    SaslAuthenticationFailedError,
    TopicAuthorizationFailedError,
    UnsupportedSaslMechanismError,
)
from ferrokafka.testing import SecuredKafkaCluster

pytestmark = pytest.mark.timeout(300)

RECORDS = 10_000


async def produce_all(producer: Producer, topic: str, count: int) -> None:
    futures = [producer.send_nowait(topic, b"%d" % i, b"k%d" % (i % 97)) for i in range(count)]
    await producer.flush()
    for future in futures:
        await future


def assert_read_back_once(
    cluster: SecuredKafkaCluster, topic: str, count: int, client_config: dict[str, str]
) -> None:
    records = cluster.consume(topic, count=count, timeout=60, client_config=client_config)
    values = sorted(int(r.value) for r in records)
    assert values == list(range(count))


@pytest.mark.parametrize(
    ("listener", "mechanism"),
    [
        ("SASL_SSL", "PLAIN"),
        ("SASL_SSL", "SCRAM-SHA-256"),
        ("SASL_SSL", "SCRAM-SHA-512"),
        ("SASL_SSL", "OAUTHBEARER"),
        ("SASL_PLAINTEXT", "SCRAM-SHA-512"),
    ],
)
async def test_every_mechanism_delivers_10000_records_once(
    kafka_secured: SecuredKafkaCluster, topic: Any, listener: Any, mechanism: str
) -> None:
    name = topic(partitions=3, cluster=kafka_secured)
    options = kafka_secured.producer_config(listener, user="alice", mechanism=mechanism)
    async with Producer(**options, acks="all", enable_idempotence=True) as producer:
        await produce_all(producer, name, RECORDS)
        metrics = producer.metrics()
    assert metrics["record-error-total"] == 0
    assert metrics["successful-authentication-total"] >= 1
    reader = kafka_secured.client_config(listener, user="alice", mechanism=mechanism)
    assert_read_back_once(kafka_secured, name, RECORDS, reader)


async def test_oidc_client_credentials_from_java_style_config(
    kafka_secured: SecuredKafkaCluster, topic: Any
) -> None:
    name = topic(cluster=kafka_secured)
    with TokenEndpoint("ferrokafka-client", "oidc-secret-value", sub="alice") as endpoint:
        props = {
            "bootstrap.servers": kafka_secured.bootstrap("SASL_PLAINTEXT"),
            "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanism": "OAUTHBEARER",
            "sasl.oauthbearer.token.endpoint.url": endpoint.url,
            "sasl.jaas.config": "org.apache.kafka.common.security.oauthbearer."
            'OAuthBearerLoginModule required clientId="ferrokafka-client" '
            'clientSecret="oidc-secret-value" scope="kafka";',
        }
        async with Producer.from_config(props) as producer:
            await produce_all(producer, name, 1000)
        # One token for the bootstrap and the broker connection alike.
        assert len(endpoint.requests) == 1
        assert endpoint.requests[0]["form"]["scope"] == ["kafka"]
    reader = kafka_secured.client_config("SASL_PLAINTEXT", user="alice", mechanism="OAUTHBEARER")
    assert_read_back_once(kafka_secured, name, 1000, reader)


async def test_unsecured_jaas_login_for_dev_clusters(
    kafka_secured: SecuredKafkaCluster, topic: Any
) -> None:
    name = topic(cluster=kafka_secured)
    props = {
        "bootstrap.servers": kafka_secured.bootstrap("SASL_PLAINTEXT"),
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanism": "OAUTHBEARER",
        "sasl.jaas.config": "org.apache.kafka.common.security.oauthbearer."
        'OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="bob";',
    }
    async with Producer.from_config(props) as producer:
        await produce_all(producer, name, 100)
    assert_read_back_once(kafka_secured, name, 100, kafka_secured.client_config("SASL_PLAINTEXT"))


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256"])
async def test_wrong_password_fails_start_at_once_without_retrying(
    kafka_secured: SecuredKafkaCluster, monkeypatch: pytest.MonkeyPatch, mechanism: str
) -> None:
    attempts = 0
    open_wire = ferrokafka._connect.open_wire

    async def counting_open_wire(*args: Any) -> Any:
        nonlocal attempts
        attempts += 1
        return await open_wire(*args)

    monkeypatch.setattr(ferrokafka._connect, "open_wire", counting_open_wire)
    options = kafka_secured.producer_config("SASL_SSL", user="alice", mechanism=mechanism)
    options["sasl_password"] = "not-alices-password"
    producer = Producer(**options)
    started = time.monotonic()
    with pytest.raises(SaslAuthenticationFailedError) as info:
        await producer.start()
    elapsed = time.monotonic() - started
    await producer.close()
    message = str(info.value)
    assert f"SASL/{mechanism} authentication with" in message
    assert "invalid" in message.lower()  # the broker's reason
    assert "not-alices-password" not in message
    assert attempts == 1
    assert elapsed < 2 * 5  # a generous bound: no retries before giving up


def _set_scram_password(cluster: SecuredKafkaCluster, user: str, password: str) -> None:
    from confluent_kafka.admin import (
        ScramCredentialInfo,
        ScramMechanism,
        UserScramCredentialUpsertion,
    )

    upsert = UserScramCredentialUpsertion(
        user, ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 4096), password.encode()
    )
    for future in cluster.admin().alter_user_scram_credentials([upsert]).values():
        future.result(timeout=30)
    # The credential reaches the broker through the metadata log.
    time.sleep(1)


async def test_credentials_revoked_after_start_fail_pending_records_at_once(
    kafka_secured: SecuredKafkaCluster, topic: Any
) -> None:
    name = topic(cluster=kafka_secured)
    _set_scram_password(kafka_secured, "carol", "carols-first-password")
    options = kafka_secured.producer_config("SASL_SSL", mechanism="SCRAM-SHA-256")
    options.update(sasl_username="carol", sasl_password="carols-first-password")
    async with Producer(**options, delivery_timeout_ms=120_000) as producer:
        # Started: only the bootstrap connection is open. The broker's own connection opens
        # with the first record, after the password changed.
        _set_scram_password(kafka_secured, "carol", "carols-new-password")
        with anyio.fail_after(15), pytest.raises(SaslAuthenticationFailedError):
            await producer.send(name, b"after the change")


async def test_a_topic_the_principal_may_not_write_fails_at_once(
    kafka_secured: SecuredKafkaCluster, topic: Any
) -> None:
    writable = topic(cluster=kafka_secured)
    refused = topic(cluster=kafka_secured)
    described_only = topic(cluster=kafka_secured)
    kafka_secured.deny("User:alice", refused, "ALL")
    kafka_secured.allow("User:alice", described_only, "DESCRIBE")
    kafka_secured.deny("User:alice", described_only, "WRITE")
    options = kafka_secured.producer_config("SASL_SSL", user="alice", mechanism="SCRAM-SHA-256")
    async with Producer(**options, delivery_timeout_ms=60_000) as producer:
        await producer.send(writable, b"fine")
        with anyio.fail_after(10):
            with pytest.raises(TopicAuthorizationFailedError):
                await producer.send(refused, b"metadata says no")
            with pytest.raises(TopicAuthorizationFailedError):
                await producer.send(described_only, b"produce says no")
        assert producer.metrics()["record-retry-total"] == 0


@pytest.fixture(scope="module")
def reauth_cluster(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Sessions of 10 s; and SASL_PLAINTEXT enables SCRAM-SHA-512 alone."""
    cluster = SecuredKafkaCluster(
        workdir=tmp_path_factory.mktemp("kafka-reauth", numbered=True),
        broker_properties={
            "connections.max.reauth.ms": 10_000,
            "listener.name.sasl_plaintext.sasl.enabled.mechanisms": "SCRAM-SHA-512",
        },
    )
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-512"])
async def test_reauthentication_while_producing_loses_nothing(
    reauth_cluster: SecuredKafkaCluster, topic: Any, mechanism: str
) -> None:
    name = topic(partitions=3, cluster=reauth_cluster)
    options = reauth_cluster.producer_config("SASL_SSL", user="alice", mechanism=mechanism)
    sent = 0
    failures: list[BaseException] = []
    async with Producer(**options, linger_ms=5) as producer:
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            futures = [producer.send_nowait(name, b"%d" % (sent + i)) for i in range(100)]
            sent += len(futures)
            for future in futures:
                try:
                    await future
                except Exception as exc:
                    failures.append(exc)
            await anyio.sleep(0.05)
        metrics = producer.metrics()
    assert failures == []
    assert metrics["record-retry-total"] == 0
    assert metrics["successful-reauthentication-total"] >= 3
    assert metrics["failed-reauthentication-total"] == 0
    reader = reauth_cluster.client_config("SASL_SSL", user="alice", mechanism=mechanism)
    assert_read_back_once(reauth_cluster, name, sent, reader)


async def test_unsupported_mechanism_names_the_enabled_ones(
    reauth_cluster: SecuredKafkaCluster,
) -> None:
    options = reauth_cluster.producer_config("SASL_PLAINTEXT", user="alice", mechanism="PLAIN")
    producer = Producer(**options)
    with pytest.raises(UnsupportedSaslMechanismError) as info:
        await producer.start()
    await producer.close()
    assert "does not enable SASL mechanism PLAIN; its listener enables: SCRAM-SHA-512" in str(
        info.value
    )


async def test_secrets_never_reach_reprs_logs_errors_or_metrics(
    kafka_secured: SecuredKafkaCluster, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    secrets = ["wrong-secret-for-plain", "wrong-secret-for-scram", "oidc-client-secret-x"]
    for mechanism, password in (("PLAIN", secrets[0]), ("SCRAM-SHA-512", secrets[1])):
        options = kafka_secured.producer_config("SASL_SSL", user="alice", mechanism=mechanism)
        options["sasl_password"] = password
        producer = Producer(**options)
        seen += [repr(producer), str(producer), repr(producer.config), str(producer.config)]
        with pytest.raises(SaslAuthenticationFailedError) as info:
            await producer.start()
        seen += [str(info.value), repr(info.value), str(producer.metrics())]
        await producer.close()
    with TokenEndpoint("client", "the-right-secret") as endpoint:
        producer = Producer(
            bootstrap_servers=kafka_secured.bootstrap("SASL_PLAINTEXT"),
            security_protocol="SASL_PLAINTEXT",
            sasl_mechanism="OAUTHBEARER",
            sasl_oauthbearer_token_endpoint_url=endpoint.url,
            sasl_oauthbearer_client_credentials_client_id="client",
            sasl_oauthbearer_client_credentials_client_secret=secrets[2],
        )
        seen += [repr(producer), repr(producer.config)]
        with pytest.raises(OAuthTokenError, match="HTTP 401") as failure:
            await producer.start()
        seen += [str(failure.value), repr(failure.value)]
        await producer.close()
    seen += [record.getMessage() for record in caplog.records]
    seen += [str(record.exc_info[1]) for record in caplog.records if record.exc_info]
    text = "\n".join(seen)
    for secret in secrets:
        assert secret not in text
    # Passwords of the real users (alice's) never appear either.
    assert kafka_secured.users["alice"] not in text
