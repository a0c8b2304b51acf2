"""The typed constructor: `ProducerOptions` agrees with `ProducerConfig` (names and types),
``Producer(config=...)`` and how it combines with options, and each option's help text."""

from __future__ import annotations

import inspect
import pydoc
import typing
from typing import Any, get_type_hints

import pytest

from ferrokafka import Producer, ProducerConfig
from ferrokafka._config import constants
from ferrokafka._config.producer_config import OPTIONS
from ferrokafka.aiokafka import AIOKafkaProducer
from ferrokafka.aiokafka._producer import FerrokafkaOptions
from ferrokafka.config import ProducerOptions
from ferrokafka.errors import ConfigError
from ferrokafka.sync import Producer as SyncProducer

# The constructors take these where they are wider than the stored type.
WIDENED = {
    "bootstrap_servers": constants.ServersOption,
    "acks": constants.AcksOption,
    "key_serializer": constants.SerializerOption,
    "value_serializer": constants.SerializerOption,
    "sasl_oauthbearer_extensions": constants.ExtensionsOption,
    "ssl_enabled_protocols": constants.TlsVersionsOption,
    "interceptors": constants.InterceptorsOption,
}


def test_typed_options_name_every_option_but_bootstrap_servers() -> None:
    assert set(ProducerOptions.__annotations__) == set(OPTIONS) - {"bootstrap_servers"}
    assert not ProducerOptions.__required_keys__  # every option has a default


def test_typed_options_have_the_fields_types_or_the_declared_wider_ones() -> None:
    stored = get_type_hints(ProducerConfig)
    accepted = get_type_hints(ProducerOptions)
    for name, option in OPTIONS.items():
        assert option.spec.accepts == WIDENED.get(name), name
        expected = option.spec.accepts if option.spec.accepts is not None else stored[name]
        if name == "bootstrap_servers":
            continue
        assert accepted[name] == expected, name


def test_the_stored_value_of_every_option_is_accepted_again() -> None:
    # What a config holds can be given back (copy_with and round trips rely on it).
    config = ProducerConfig.from_kwargs(bootstrap_servers="a:1", acks="all", linger_ms=7)
    values = {name: getattr(config, name) for name in OPTIONS if name != "sasl_mechanism"}
    again = ProducerConfig.from_kwargs(**values)
    assert all(getattr(again, name) == value for name, value in values.items())


def test_constructors_take_bootstrap_servers_config_and_typed_options() -> None:
    for cls in (Producer, SyncProducer):
        hints = get_type_hints(cls.__init__, include_extras=True)
        assert hints["bootstrap_servers"] == constants.ServersOption | None, cls
        assert hints["config"] == ProducerConfig | None, cls
        assert hints["options"] == typing.Unpack[ProducerOptions], cls


def test_producer_uses_a_given_config_as_it_is() -> None:
    config = ProducerConfig(bootstrap_servers="b:9092", linger_ms=11)
    assert Producer(config=config).config is config
    sync = SyncProducer(config=config)
    try:
        assert sync.config is config
    finally:
        sync.close()


def test_producer_without_arguments_uses_localhost() -> None:
    assert Producer().config.bootstrap_servers == ("localhost:9092",)
    assert Producer(linger_ms=3).config.linger_ms == 3


@pytest.mark.parametrize("cls", [Producer, SyncProducer])
@pytest.mark.parametrize(
    ("arguments", "option"),
    [
        ({"linger_ms": 5}, "linger_ms"),
        ({"bootstrap_servers": "b:9092"}, "bootstrap_servers"),
        ({"bootstrap_servers": "b:9092", "acks": 1}, "bootstrap_servers"),
    ],
)
def test_config_and_options_together_are_refused(
    cls: type[Any], arguments: dict[str, Any], option: str
) -> None:
    config = ProducerConfig(bootstrap_servers="b:9092")
    with pytest.raises(ConfigError) as info:
        cls(config=config, **arguments)
    assert info.value.option == option
    message = str(info.value)
    assert message.startswith("give either config= or options, not both")
    assert "config=config.copy_with(" in message


def test_config_must_be_a_producer_config() -> None:
    with pytest.raises(ConfigError, match="config must be a ProducerConfig, got dict") as info:
        Producer(config={"linger_ms": 5})  # type: ignore[arg-type]
    assert "Producer.from_config(props)" in str(info.value)


def test_misspelt_and_mistyped_options_still_fail_at_run_time() -> None:
    with pytest.raises(ConfigError, match="unknown option 'lingr_ms'; did you mean 'linger_ms'"):
        Producer(lingr_ms=5)  # type: ignore[call-arg]
    with pytest.raises(ConfigError, match=r"linger_ms \(Java linger.ms\) must be >= 0"):
        Producer(linger_ms=-1)
    with pytest.raises(ConfigError, match="must be an int, got '5'"):
        Producer(linger_ms="5")  # type: ignore[arg-type]


def test_aiokafka_producer_keeps_taking_ferrokafka_options() -> None:
    producer = AIOKafkaProducer(bootstrap_servers="b:9092", delivery_timeout_ms=50_000)
    assert producer._producer.config.delivery_timeout_ms == 50_000


@pytest.mark.parametrize("documented", [ProducerConfig, Producer, SyncProducer])
def test_help_shows_each_option_with_java_name_default_and_unit(documented: type) -> None:
    text = pydoc.render_doc(documented, renderer=pydoc.plaintext)
    for name, option in OPTIONS.items():
        assert f"{name} (" in text, (documented, name)
        assert option.spec.doc[:40] in " ".join(text.split()), (documented, name)
    assert "linger_ms (Java linger.ms): int >= 0, in milliseconds; default 5" in text
    assert "batch_size (Java batch.size): int between 0 and 2147483647, in bytes; default" in text
    assert "ssl_context (no Java name): ssl.SSLContext | None; default None" in text


def test_every_option_has_a_doc_a_group_and_a_known_unit() -> None:
    for name, option in OPTIONS.items():
        assert option.spec.doc, name
        assert option.spec.group, name
        assert option.unit in (None, "ms", "bytes"), name
        if name.endswith(("_bytes", "_size", "_memory")):
            assert option.unit == "bytes", name


def test_aiokafka_producer_types_the_options_that_are_not_aiokafka_parameters() -> None:
    parameters = set(inspect.signature(AIOKafkaProducer.__init__).parameters)
    ours = get_type_hints(ProducerOptions)
    extra = get_type_hints(FerrokafkaOptions)
    assert set(extra) == set(ours) - parameters
    assert all(extra[name] == ours[name] for name in extra)


def test_copy_with_changes_bootstrap_servers_and_typed_options() -> None:
    config = ProducerConfig(bootstrap_servers="a:1", linger_ms=7, acks=1)
    moved = config.copy_with(bootstrap_servers="b:2", batch_size=1024)
    assert moved.bootstrap_servers == ("b:2",)
    assert (moved.linger_ms, moved.acks, moved.batch_size) == (7, 1, 1024)
    assert not moved.enable_idempotence  # still implied by acks=1, as it was not given
    assert config.copy_with().bootstrap_servers == ("a:1",)
