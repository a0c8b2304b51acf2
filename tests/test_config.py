"""ProducerConfig: Java names and defaults, validation, and Java's explicit-vs-default rules."""

from __future__ import annotations

import dataclasses
import logging
import pickle
import ssl
from pathlib import Path
from typing import Any

import pytest

from ferrokafka import config as config_module
from ferrokafka._config.producer_config import OPTIONS
from ferrokafka.config import ProducerConfig
from ferrokafka.errors import ConfigError
from ferrokafka.serializers import IntegerSerializer, LongSerializer, Serializer, StringSerializer

BOOT = "localhost:9092"

# Kafka 4.1 ProducerConfig.configDef() defaults, for every option with a Java equivalent.
JAVA_DEFAULTS: dict[str, object] = {
    "acks": -1,  # "all"
    "batch.size": 16384,
    "buffer.memory": 33554432,
    "client.dns.lookup": "use_all_dns_ips",
    "compression.gzip.level": -1,
    "compression.lz4.level": 9,
    "compression.type": "none",
    "compression.zstd.level": 3,
    "connections.max.idle.ms": 540000,
    "delivery.timeout.ms": 120000,
    "enable.idempotence": True,
    "linger.ms": 5,
    "max.block.ms": 60000,
    "max.in.flight.requests.per.connection": 5,
    "max.request.size": 1048576,
    "metadata.max.age.ms": 300000,
    "metadata.max.idle.ms": 300000,
    "partitioner.adaptive.partitioning.enable": True,
    "partitioner.availability.timeout.ms": 0,
    "partitioner.ignore.keys": False,
    "receive.buffer.bytes": 32768,
    "reconnect.backoff.max.ms": 1000,
    "reconnect.backoff.ms": 50,
    "request.timeout.ms": 30000,
    "retries": 2147483647,
    "retry.backoff.max.ms": 1000,
    "retry.backoff.ms": 100,
    "security.protocol": "PLAINTEXT",
    "send.buffer.bytes": 131072,
    "socket.connection.setup.timeout.max.ms": 30000,
    "socket.connection.setup.timeout.ms": 10000,
    "transaction.timeout.ms": 60000,
    "transactional.id": None,
    "ssl.endpoint.identification.algorithm": True,  # "https"
}


def make(**kwargs: Any) -> ProducerConfig:
    return ProducerConfig.from_kwargs(bootstrap_servers=BOOT, **kwargs)


def config_error(**kwargs: Any) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        make(**kwargs)
    return info.value


def test_defaults_are_javas() -> None:
    config = make()
    by_java = {f.metadata["java"]: f.name for f in dataclasses.fields(ProducerConfig) if f.init}
    for java, default in JAVA_DEFAULTS.items():
        assert getattr(config, by_java[java]) == default, java


def test_default_constants_match_the_fields() -> None:
    config = make()
    for name in config_module.__all__:
        if name.startswith("DEFAULT_"):
            assert getattr(config, name.removeprefix("DEFAULT_").lower()) == getattr(
                config_module, name
            ), name


def test_every_option_names_its_java_or_librdkafka_equivalent_in_its_doc() -> None:
    renamed = {
        "partitioner": "partitioner.class",
        "interceptors": "interceptor.classes",
        "sasl_username": "sasl.username",
        "sasl_password": "sasl.password",
        "sasl_oauth_token_provider": None,
        "ssl_context": None,
        "ssl_cafile": "ssl.ca.location",
        "ssl_capath": None,
        "ssl_cadata": "ssl.ca.pem",
        "ssl_certfile": "ssl.certificate.location",
        "ssl_keyfile": "ssl.key.location",
        "ssl_password": "ssl.key.password",
        "ssl_check_hostname": "ssl.endpoint.identification.algorithm",
        "coalesce_small_requests": None,
    }
    for f in dataclasses.fields(ProducerConfig):
        if not f.init:
            continue
        java = renamed.get(f.name, f.name.replace("_", "."))
        assert f.metadata["java"] == java, f.name
        # help() shows the Java option beside the name; an option without one says why in
        # its doc.
        if java is None:
            assert "Java" in OPTIONS[f.name].spec.doc, f.name
        else:
            assert f"{f.name} (Java {java}): " in (ProducerConfig.__doc__ or ""), f.name


def test_bootstrap_servers_forms() -> None:
    assert make().bootstrap_servers == ("localhost:9092",)
    config = ProducerConfig(bootstrap_servers=" a:1 , b:2,,[::1]:9093 ")  # type: ignore[arg-type]
    assert config.bootstrap_servers == ("a:1", "b:2", "[::1]:9093")
    assert config.bootstrap_addresses == (("a", 1), ("b", 2), ("::1", 9093))
    listed = ProducerConfig(bootstrap_servers=["h1:9092", "h2:9092"])  # type: ignore[arg-type]
    assert listed.bootstrap_servers == ("h1:9092", "h2:9092")


def test_bootstrap_servers_accept_a_matching_or_listener_prefix() -> None:
    # As the Java client: addresses copied from a broker's listeners keep their prefix.
    config = ProducerConfig.from_kwargs(
        bootstrap_servers="PLAINTEXT://a:9092,EXTERNAL://b:9093,c:9094"
    )
    assert config.bootstrap_addresses == (("a", 9092), ("b", 9093), ("c", 9094))
    tls = ProducerConfig.from_kwargs(bootstrap_servers="SSL://a:9093", security_protocol="SSL")
    assert tls.bootstrap_addresses == (("a", 9093),)


@pytest.mark.parametrize(
    ("servers", "message"),
    [
        ("", "bootstrap_servers is required"),
        (" , ", "bootstrap_servers is required"),
        ("localhost", "invalid bootstrap server 'localhost': write it as host:port"),
        ("localhost:0", "invalid bootstrap server"),
        ("localhost:70000", "invalid bootstrap server"),
        ("SSL://localhost:9092", "names SSL but security_protocol='PLAINTEXT'"),
        ("::1:9092", "[::1]:9092"),
        (9092, "must be a"),
        (["a:1", 2], "must be a"),
    ],
)
def test_bad_bootstrap_servers(servers: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[")) as info:
        ProducerConfig.from_kwargs(bootstrap_servers=servers)
    assert info.value.option == "bootstrap_servers"


def test_missing_bootstrap_servers() -> None:
    with pytest.raises(ConfigError, match="bootstrap_servers='localhost:9092'"):
        ProducerConfig()


@pytest.mark.parametrize(
    ("given", "expected"),
    [(0, 0), (1, 1), (-1, -1), ("all", -1), ("ALL", -1), (" all ", -1), ("0", 0), ("1", 1),
     ("-1", -1)],
)  # fmt: skip
def test_acks_forms(given: object, expected: int) -> None:
    config = make(acks=given, enable_idempotence=expected == -1)
    assert config.acks == expected


@pytest.mark.parametrize("acks", [2, "2", True, None, 1.0, "leader"])
def test_bad_acks(acks: object) -> None:
    error = config_error(acks=acks)
    assert error.option == "acks"
    assert "0, 1 or 'all'" in str(error)


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("linger_ms", -1, "linger_ms (Java linger.ms) must be >= 0, got -1"),
        ("linger_ms", 2**63, "must be >= 0"),
        ("batch_size", 2**31, "between 0 and 2147483647"),
        ("linger_ms", 5.0, "must be an int, got 5.0"),
        ("linger_ms", "5", "must be an int, got '5'"),
        ("retries", True, "must be an int"),
        ("max_in_flight_requests_per_connection", 0, "between 1 and"),
        ("metadata_max_idle_ms", 1000, ">= 5000"),
        ("send_buffer_bytes", -2, "between -1 and"),
        ("compression_gzip_level", 0, "between 1 and 9, or -1"),
        ("compression_gzip_level", 10, "between 1 and 9, or -1"),
        ("compression_lz4_level", 18, "between 1 and 17"),
        ("compression_zstd_level", 23, "between -131072 and 22"),
        ("compression_zstd_level", -131073, "between -131072 and 22"),
        ("transaction_timeout_ms", 0, "between 1 and"),
        ("compression_type", "brotli", "one of 'none', 'gzip', 'snappy', 'lz4', 'zstd'"),
        ("client_dns_lookup", "default", "one of 'use_all_dns_ips'"),
        ("security_protocol", "TLS", "one of 'PLAINTEXT'"),
        ("sasl_mechanism", "GSSAPI", "Kerberos is not supported"),
        ("enable_idempotence", "true", "True or False"),
        ("partitioner_ignore_keys", 1, "True or False"),
        ("client_id", 5, "must be a str"),
        ("transactional_id", "", "non-empty str"),
        ("partitioner", "murmur2", "a callable or None"),
        ("ssl_context", "ctx", "an ssl.SSLContext or None"),
        ("key_serializer", 5, "expected a serializer"),
        ("ssl_cafile", "/nonexistent/ca.pem", "no such file '/nonexistent/ca.pem'"),
    ],
)
def test_bad_values_name_the_option(option: str, value: object, message: str) -> None:
    error = config_error(**{option: value})
    assert message in str(error)
    assert error.option == option
    assert isinstance(error, ValueError)


@pytest.mark.parametrize("level", [-1, 1, 9])
def test_gzip_levels(level: int) -> None:
    assert make(compression_gzip_level=level).compression_gzip_level == level


def test_choices_are_case_insensitive_and_normalised() -> None:
    config = make(compression_type="LZ4", security_protocol="plaintext")
    assert config.compression_type == "lz4"
    assert config.security_protocol == "PLAINTEXT"


def test_unknown_keyword_suggests_the_right_name() -> None:
    with pytest.raises(ConfigError, match="unknown option 'lingr_ms'; did you mean 'linger_ms'"):
        make(lingr_ms=5)
    with pytest.raises(ConfigError, match="did you mean 'sasl_username'"):
        make(sasl_plain_username="alice")
    with pytest.raises(ConfigError, match=r"unknown option 'xyzzy'$"):
        make(xyzzy=1)
    with pytest.raises(ConfigError, match="unknown option '_given'"):
        make(_given={})


# --- idempotence, as Java's ProducerConfig.postProcessAndValidateIdempotenceConfigs --------


def test_idempotence_is_on_by_default() -> None:
    assert make().enable_idempotence


@pytest.mark.parametrize(
    "conflict", [{"acks": 1}, {"acks": 0}, {"retries": 0}, {"acks": "1", "retries": 0}]
)
def test_implicit_idempotence_turns_off_silently(
    conflict: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="ferrokafka.config"):
        config = make(**conflict)
    assert not config.enable_idempotence
    assert "idempotence disabled because" in caplog.text


@pytest.mark.parametrize(
    ("conflict", "message", "option"),
    [
        ({"acks": 1}, "needs acks='all', got acks=1", "acks"),
        ({"acks": 0}, "Must set acks to all", "acks"),
        ({"retries": 0}, "needs retries > 0", "retries"),
        ({"max_in_flight_requests_per_connection": 6}, "at most 5 requests in flight", None),
    ],
)
def test_explicit_idempotence_with_a_conflict_is_an_error(
    conflict: dict[str, Any], message: str, option: str | None
) -> None:
    error = config_error(enable_idempotence=True, **conflict)
    assert message in str(error)
    assert "enable_idempotence=False" in str(error)
    assert error.option == (option or next(iter(conflict)))


def test_more_than_five_in_flight_needs_idempotence_off() -> None:
    # Java raises here even though idempotence was only on by default.
    error = config_error(max_in_flight_requests_per_connection=6)
    assert error.option == "max_in_flight_requests_per_connection"
    config = make(max_in_flight_requests_per_connection=6, enable_idempotence=False)
    assert config.max_in_flight_requests_per_connection == 6
    # acks=1 already turned idempotence off, so the in-flight limit does not apply.
    assert not make(acks=1, max_in_flight_requests_per_connection=10).enable_idempotence


def test_transactions_need_idempotence() -> None:
    assert make(transactional_id="tx").enable_idempotence
    error = config_error(transactional_id="tx", enable_idempotence=False)
    assert "transactional_id needs the idempotent producer" in str(error)
    assert error.option == "transactional_id"
    error = config_error(transactional_id="tx", acks=1)
    assert "which acks=1 turned off" in str(error)
    error = config_error(transactional_id="tx", acks=1, enable_idempotence=True)
    assert error.option == "acks"


# --- delivery timeout, as Java's KafkaProducer.configureDeliveryTimeout -------------------


def test_default_delivery_timeout_grows_to_cover_linger_and_request_timeout(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="ferrokafka.config"):
        config = make(linger_ms=100_000, request_timeout_ms=50_000)
    assert config.delivery_timeout_ms == 150_000
    assert "delivery_timeout_ms raised" in caplog.text
    assert make(linger_ms=2**40).delivery_timeout_ms == 2**31 - 1


def test_explicit_delivery_timeout_too_short_is_an_error() -> None:
    error = config_error(delivery_timeout_ms=1000)
    assert "delivery_timeout_ms=1000 is less than linger_ms + request_timeout_ms = 30005" in str(
        error
    )
    assert error.option == "delivery_timeout_ms"
    assert make(delivery_timeout_ms=30005).delivery_timeout_ms == 30005


# --- client id -------------------------------------------------------------------------


def test_client_id_defaults() -> None:
    first, second = make().client_id, make().client_id
    assert first.startswith("ferrokafka-producer-")
    assert first != second
    assert make(transactional_id="orders-tx").client_id == "ferrokafka-producer-orders-tx"
    assert make(client_id="billing").client_id == "billing"
    assert make(client_id="").client_id == ""


# --- security --------------------------------------------------------------------------


@pytest.fixture
def pem(tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    path.write_text("-----BEGIN CERTIFICATE-----\n")
    return str(path)


def test_tls_options(pem: str, tmp_path: Path) -> None:
    config = make(security_protocol="SSL", ssl_cafile=Path(pem), ssl_check_hostname=False)
    assert config.ssl_cafile == pem
    assert not config.ssl_check_hostname
    context = ssl.create_default_context()
    assert make(security_protocol="SASL_SSL", ssl_context=context, sasl_username="u",
                sasl_password="p").ssl_context is context  # fmt: skip


@pytest.mark.parametrize(
    ("options", "message", "option"),
    [
        ({"ssl_cafile": "PEM"}, "does not use TLS; set security_protocol='SSL'", "ssl_cafile"),
        (
            {"security_protocol": "SSL", "ssl_context": "CTX", "ssl_cafile": "PEM"},
            "either ssl_context or ssl_cafile",
            "ssl_cafile",
        ),
        (
            {"security_protocol": "SSL", "ssl_context": "CTX", "ssl_check_hostname": False},
            "set check_hostname on the SSLContext",
            "ssl_check_hostname",
        ),
        ({"security_protocol": "SSL", "ssl_keyfile": "PEM"}, "needs ssl_certfile", "ssl_keyfile"),
        (
            {"security_protocol": "SSL", "ssl_password": "hunter2"},
            "give those too",
            "ssl_password",
        ),
        ({"sasl_username": "u"}, "does not use SASL", "sasl_username"),
        ({"sasl_mechanism": "SCRAM-SHA-256"}, "does not use SASL", "sasl_mechanism"),
        (
            {"security_protocol": "SASL_SSL", "sasl_username": "u"},
            "sasl_password is missing",
            "sasl_password",
        ),
        (
            {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "OAUTHBEARER"},
            "needs sasl_oauth_token_provider",
            "sasl_oauth_token_provider",
        ),
        (
            {
                "security_protocol": "SASL_PLAINTEXT",
                "sasl_mechanism": "OAUTHBEARER",
                "sasl_oauth_token_provider": "TOKEN",
                "sasl_username": "u",
            },
            "not used by OAUTHBEARER",
            "sasl_username",
        ),
        (
            {
                "security_protocol": "SASL_PLAINTEXT",
                "sasl_username": "u",
                "sasl_password": "p",
                "sasl_oauth_token_provider": "TOKEN",
            },
            "only used with sasl_mechanism='OAUTHBEARER'",
            "sasl_oauth_token_provider",
        ),
    ],
)
def test_security_combinations(
    options: dict[str, Any], message: str, option: str, pem: str
) -> None:
    stand_ins = {"PEM": pem, "CTX": ssl.create_default_context(), "TOKEN": lambda: "token"}
    resolved = {k: stand_ins.get(v, v) if isinstance(v, str) else v for k, v in options.items()}
    error = config_error(**resolved)
    assert message in str(error)
    assert error.option == option


def test_sasl_setups() -> None:
    scram = make(security_protocol="sasl_ssl", sasl_mechanism="scram-sha-512",
                 sasl_username="alice", sasl_password="pw")  # fmt: skip
    assert (scram.security_protocol, scram.sasl_mechanism) == ("SASL_SSL", "SCRAM-SHA-512")

    async def token() -> str:
        return "jwt"

    oauth = make(security_protocol="SASL_PLAINTEXT", sasl_mechanism="OAUTHBEARER",
                 sasl_oauth_token_provider=token)  # fmt: skip
    assert oauth.sasl_oauth_token_provider is token


def test_secrets_never_appear_in_repr_or_errors(pem: str) -> None:
    config = make(security_protocol="SASL_SSL", sasl_username="alice",
                  sasl_password="hunter2-sasl", ssl_certfile=pem, ssl_password="hunter2-key",
                  client_id="svc")  # fmt: skip
    text = repr(config)
    assert "hunter2" not in text
    assert "sasl_password='***'" in text
    assert "ssl_password='***'" in text
    assert "sasl_username='alice'" in text
    assert str(config) == text
    error = config_error(security_protocol="SASL_SSL", sasl_username="alice",
                         sasl_password=12345678)  # fmt: skip
    assert "12345678" not in str(error)
    assert "got int" in str(error)


def test_repr_shows_only_what_differs_from_the_defaults() -> None:
    text = repr(make(linger_ms=10, client_id="c"))
    assert (
        text == "ProducerConfig(bootstrap_servers=('localhost:9092',), client_id='c', linger_ms=10)"
    )


# --- serializers and partitioner ------------------------------------------------------


def test_serializers_are_normalised() -> None:
    def encode(value: str) -> bytes:
        return value.encode()

    config = make(key_serializer=encode, value_serializer=IntegerSerializer())
    assert isinstance(config.key_serializer, Serializer)
    assert config.key_serializer.serialize("t", "k", None) == b"k"
    assert config.value_serializer == IntegerSerializer()
    assert make().key_serializer is None


def test_partitioner_is_a_callable() -> None:
    def first(topic: str, key: Any, key_bytes: bytes | None, value: Any, partitions: int) -> int:
        return 0

    assert make(partitioner=first).partitioner is first


# --- value object behaviour -----------------------------------------------------------


def test_config_is_frozen_hashable_and_comparable() -> None:
    config = make(client_id="c", linger_ms=7)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.linger_ms = 9  # type: ignore[misc]
    same = make(client_id="c", linger_ms=7)
    assert config == same
    assert hash(config) == hash(same)
    assert config != make(client_id="c", linger_ms=8)


def test_direct_construction_follows_the_same_explicit_rules() -> None:
    assert not ProducerConfig(bootstrap_servers=("b:1",), acks=1).enable_idempotence
    with pytest.raises(ConfigError):
        ProducerConfig(bootstrap_servers=("b:1",), acks=1, enable_idempotence=True)
    assert ProducerConfig(bootstrap_servers=("b:1",), linger_ms=7).explicit_options == {
        "bootstrap_servers",
        "linger_ms",
    }


def test_copy_with_keeps_defaults_implicit() -> None:
    base = make(client_id="c")
    relaxed = base.copy_with(acks=1)
    # enable_idempotence was never given, so acks=1 turns it off instead of failing.
    assert not relaxed.enable_idempotence
    assert relaxed.client_id == "c"
    # dataclasses.replace passes every field explicitly, so Java's rule then refuses it.
    with pytest.raises(ConfigError):
        dataclasses.replace(base, acks=1)


def test_pickle_round_trip() -> None:
    config = make(client_id="c", acks=1)
    copy = pickle.loads(pickle.dumps(config))
    assert copy == config
    assert copy.explicit_options == config.explicit_options


# --- from_config: Java / librdkafka property names -----------------------------------------


def test_from_config_parses_java_properties() -> None:
    config = ProducerConfig.from_config(
        {
            "bootstrap.servers": "b1:9092, b2:9092",
            "linger.ms": " 5 ",
            "enable.idempotence": "TRUE",
            "acks": "all",
            "batch.size": 32768,
            "compression.type": "zstd",
            "compression.zstd.level": "-5",
            "max.in.flight.requests.per.connection": "5",
            "client.id": " svc ",
            "transactional.id": "tx-1",
            "key.serializer": "org.apache.kafka.common.serialization.StringSerializer",
            "value.serializer": "IntegerSerializer",
            "partitioner.ignore.keys": "false",
        }
    )
    assert config.bootstrap_servers == ("b1:9092", "b2:9092")
    assert config.linger_ms == 5
    assert config.enable_idempotence
    assert config.acks == -1
    assert config.batch_size == 32768
    assert (config.compression_type, config.compression_zstd_level) == ("zstd", -5)
    assert config.client_id == "svc"
    assert config.transactional_id == "tx-1"
    assert config.key_serializer == StringSerializer()
    assert config.value_serializer == IntegerSerializer()
    assert "enable_idempotence" in config.explicit_options


def test_from_config_applies_javas_explicit_rules() -> None:
    relaxed = ProducerConfig.from_config({"bootstrap.servers": BOOT, "acks": "1"})
    assert relaxed.acks == 1
    assert not relaxed.enable_idempotence
    with pytest.raises(ConfigError, match="Must set acks to all"):
        ProducerConfig.from_config(
            {"bootstrap.servers": BOOT, "acks": "1", "enable.idempotence": "true"}
        )
    with pytest.raises(ConfigError, match="less than linger_ms"):
        ProducerConfig.from_config({"bootstrap.servers": BOOT, "delivery.timeout.ms": "1000"})


def test_from_config_accepts_python_names_and_native_values() -> None:
    config = ProducerConfig.from_config(
        {"bootstrap_servers": [BOOT], "linger_ms": 3, "value.serializer": StringSerializer()}
    )
    assert (config.linger_ms, config.value_serializer) == (3, StringSerializer())
    with pytest.raises(ConfigError, match=r"'linger_ms' and 'linger\.ms' both set linger_ms"):
        ProducerConfig.from_config({"bootstrap.servers": BOOT, "linger.ms": "1", "linger_ms": 2})


def test_from_config_security_properties(pem: str) -> None:
    config = ProducerConfig.from_config(
        {
            "bootstrap.servers": BOOT,
            "security.protocol": "SASL_SSL",
            "sasl.mechanism": "SCRAM-SHA-256",
            "sasl.jaas.config": "org.apache.kafka.common.security.scram.ScramLoginModule "
            'required username="alice" password="p\\"w; x";',
            "ssl.endpoint.identification.algorithm": "",
            "ssl.ca.location": pem,
        }
    )
    assert (config.sasl_username, config.sasl_password) == ("alice", 'p"w; x')
    assert not config.ssl_check_hostname
    assert config.ssl_cafile == pem
    librdkafka = ProducerConfig.from_config(
        {
            "bootstrap.servers": BOOT,
            "security.protocol": "sasl_plaintext",
            "sasl.mechanisms": "PLAIN",
            "sasl.username": "bob",
            "sasl.password": " secret with spaces ",
        }
    )
    assert (librdkafka.sasl_username, librdkafka.sasl_password) == ("bob", " secret with spaces ")


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"linger.msx": "5"}, "unknown option 'linger.msx'; did you mean 'linger.ms'?"),
        ({"lingerms": "5"}, "unknown option 'lingerms'; did you mean 'linger_ms'?"),
        ({"linger.ms": "five"}, "invalid value 'five' for linger.ms: expected an integer"),
        ({"enable.idempotence": "yes"}, "expected true or false"),
        ({"key.serializer": "com.example.AvroSerializer"}, "Java classes cannot be loaded"),
        ({"partitioner.class": "org.apache.kafka.clients.producer.RoundRobinPartitioner"},
         "pass a Python callable as partitioner"),
        ({"ssl.truststore.type": "JKS"}, "only PEM truststores are read"),
        ({"ssl.keystore.type": "JKS"}, "keytool -importkeystore"),
        ({"ssl.enabled.protocols": "TLSv1.1"}, "older versions are insecure"),
        ({"ssl.protocol": "TLSv1.3"}, "pass that as ssl_context"),
        ({"sasl.kerberos.service.name": "kafka"}, "Kerberos (GSSAPI) is not supported"),
        ({"sasl.oauthbearer.jwks.endpoint.url": "https://x"}, "sasl_oauth_token_provider"),
        ({"metrics.recording.level": "DEBUG"}, "producer.metrics()"),
        ({"interceptor.classes": "x.Y"}, "pass Python objects as interceptors"),
        ({"sasl.jaas.config": "com.sun.security.auth.module.Krb5LoginModule required;"},
         "only PlainLoginModule, ScramLoginModule and OAuthBearerLoginModule"),
        ({"sasl.jaas.config": "org.apache.kafka.common.security.plain.PlainLoginModule "
                              'required username="a";'}, 'needs username="..." and password'),
        ({"ssl.endpoint.identification.algorithm": "ldaps"}, "must be 'https' or ''"),
        ({"key.serializer.encoding": "utf-16"}, "only applies to StringSerializer"),
        ({"key.serializer": "StringSerializer", "key.serializer.encoding": "nope"},
         "unknown encoding 'nope'"),
        ({"client.dns.lookup": 5}, "must be one of"),
    ],
)  # fmt: skip
def test_from_config_errors(props: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        ProducerConfig.from_config({"bootstrap.servers": BOOT, **props})
    assert message in str(info.value)


def test_from_config_serializer_encoding() -> None:
    config = ProducerConfig.from_config(
        {
            "bootstrap.servers": BOOT,
            "key.serializer": "StringSerializer",
            "value.serializer": "StringSerializer",
            "serializer.encoding": "utf-16-be",
            "value.serializer.encoding": "latin-1",
        }
    )
    assert config.key_serializer == StringSerializer("utf-16-be")
    assert config.value_serializer == StringSerializer("latin-1")
    mixed = ProducerConfig.from_config(
        {
            "bootstrap.servers": BOOT,
            "serializer.encoding": "utf-16-be",
            "key.serializer": "LongSerializer",
            "value.serializer": "StringSerializer",
        }
    )
    assert mixed.key_serializer == LongSerializer()
    assert mixed.value_serializer == StringSerializer("utf-16-be")
