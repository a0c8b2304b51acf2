"""`_address`: the one parser of ``bootstrap_servers``. Every accepted form gives exact (host,
port) pairs; every refused one is a `ConfigError` on ``bootstrap_servers`` that says how to
write it instead."""

from __future__ import annotations

import socket

import pytest

from ferrokafka import _dns
from ferrokafka._address import BrokerAddress, parse_address, parse_bootstrap_servers
from ferrokafka.errors import ConfigError


@pytest.mark.parametrize(
    ("entry", "host", "port"),
    [
        ("localhost:9092", "localhost", 9092),
        ("broker-1.example.com:19092", "broker-1.example.com", 19092),
        ("10.0.0.7:1", "10.0.0.7", 1),
        ("h:65535", "h", 65535),
        ("PLAINTEXT://h:9092", "h", 9092),
        ("plaintext://h:9092", "h", 9092),
        ("EXTERNAL://h:9094", "h", 9094),
        ("[::1]:9092", "::1", 9092),
        ("[2001:db8::17]:9093", "2001:db8::17", 9093),
        ("[::ffff:10.0.0.1]:9092", "::ffff:10.0.0.1", 9092),
        # Link-local addresses with their zone: an interface name or its index.
        ("[fe80::1%eth0]:9092", "fe80::1%eth0", 9092),
        ("[fe80::1%2]:9092", "fe80::1%2", 9092),
        ("PLAINTEXT://[fe80::1%eth0]:9092", "fe80::1%eth0", 9092),
    ],
)
def test_an_accepted_entry_gives_its_host_and_port(entry: str, host: str, port: int) -> None:
    assert parse_address(entry, "PLAINTEXT") == BrokerAddress(host, port)


def test_a_prefix_that_names_the_configured_protocol_is_accepted() -> None:
    assert parse_address("SASL_SSL://h:9093", "SASL_SSL") == BrokerAddress("h", 9093)
    assert parse_address("SSL://h:9093", "SSL") == BrokerAddress("h", 9093)
    # Without a protocol to compare with (describe_cluster), any prefix is only dropped.
    assert parse_address("SASL_SSL://h:9093") == BrokerAddress("h", 9093)


def test_a_comma_list_is_split_trimmed_and_its_empty_entries_skipped() -> None:
    assert parse_bootstrap_servers(" a:1 , b:2,,[::1]:3 ,") == [
        BrokerAddress("a", 1),
        BrokerAddress("b", 2),
        BrokerAddress("::1", 3),
    ]
    assert parse_bootstrap_servers(["a:1", " ", " [fe80::1%2]:3"]) == [
        BrokerAddress("a", 1),
        BrokerAddress("fe80::1%2", 3),
    ]


def test_an_address_prints_as_it_is_written() -> None:
    assert str(BrokerAddress("h", 9092)) == "h:9092"
    assert str(BrokerAddress("::1", 9092)) == "[::1]:9092"
    assert str(BrokerAddress("fe80::1%eth0", 9092)) == "[fe80::1%eth0]:9092"


HOST_PORT = "write it as host:port, e.g. localhost:9092 or [::1]:9092"
PORT_RANGE = "the port must be between 1 and 65535"
BRACKETS = "put an IPv6 address in brackets, e.g. [::1]:9092"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("localhost", f"invalid bootstrap server 'localhost': {HOST_PORT}"),
        ("localhost:", f"invalid bootstrap server 'localhost:': {HOST_PORT}"),
        (":9092", f"invalid bootstrap server ':9092': {HOST_PORT}"),
        ("local host:9092", f"invalid bootstrap server 'local host:9092': {HOST_PORT}"),
        ("h:port", f"invalid bootstrap server 'h:port': {HOST_PORT}"),
        ("h:9092/", f"invalid bootstrap server 'h:9092/': {HOST_PORT}"),
        ("h:0", f"invalid bootstrap server 'h:0': {PORT_RANGE}"),
        ("h:65536", f"invalid bootstrap server 'h:65536': {PORT_RANGE}"),
        ("h:" + "9" * 5000, f"invalid bootstrap server 'h:{'9' * 5000}': {PORT_RANGE}"),
        ("::1:9092", f"invalid bootstrap server '::1:9092': {BRACKETS}"),
        ("fe80::1%eth0:9092", f"invalid bootstrap server 'fe80::1%eth0:9092': {BRACKETS}"),
        ("PLAINTEXT://::1:9092", f"invalid bootstrap server 'PLAINTEXT://::1:9092': {BRACKETS}"),
        (
            "[::g]:9092",
            "invalid bootstrap server '[::g]:9092': '::g' is not an IPv6 address; brackets are "
            "for IPv6 only, e.g. [::1]:9092 or [fe80::1%eth0]:9092 (a host name or an IPv4 "
            "address goes without them)",
        ),
        (
            "[10.0.0.1]:9092",
            "invalid bootstrap server '[10.0.0.1]:9092': '10.0.0.1' is not an IPv6 address; "
            "brackets are for IPv6 only, e.g. [::1]:9092 or [fe80::1%eth0]:9092 (a host name or "
            "an IPv4 address goes without them)",
        ),
        (
            "SASL_SSL://h:9093",
            "bootstrap server 'SASL_SSL://h:9093' names SASL_SSL but "
            "security_protocol='PLAINTEXT': set security_protocol='SASL_SSL', or drop the prefix",
        ),
    ],
)
def test_a_bad_entry_is_refused_with_how_to_write_it(entry: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_address(entry, "PLAINTEXT")
    assert str(info.value) == message
    assert info.value.option == "bootstrap_servers"


@pytest.mark.parametrize("servers", ["", " , ,", [], ["", " "]])
def test_no_entry_at_all_asks_for_one(servers: str | list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        parse_bootstrap_servers(servers)
    assert str(info.value) == (
        "bootstrap_servers is required: give at least one broker as host:port, e.g. "
        "bootstrap_servers='localhost:9092'"
    )
    assert info.value.option == "bootstrap_servers"


def test_one_bad_entry_in_a_list_is_the_one_named() -> None:
    with pytest.raises(ConfigError) as info:
        parse_bootstrap_servers("a:1,b,c:3")
    assert str(info.value) == f"invalid bootstrap server 'b': {HOST_PORT}"


async def test_a_zoned_address_reaches_the_resolver_with_its_zone() -> None:
    # What a broker connection does with a bootstrap address: getaddrinfo, which reads the zone
    # (by name or by index) into the address's scope. No connection is made.
    index, name = socket.if_nameindex()[0]
    for zone in (name, str(index)):
        (address,) = parse_bootstrap_servers(f"[fe80::1%{zone}]:9092")
        assert await _dns.resolve(address.host, address.port) == [f"fe80::1%{index}"]
