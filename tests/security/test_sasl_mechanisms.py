"""The SASL mechanisms' messages, checked against the RFCs' test vectors and scramp's server."""

from __future__ import annotations

import base64
import json

import pytest
import scramp

from ferrokafka._sasl.mechanisms import (
    OAuthBearerExchange,
    OAuthBearerMechanism,
    PlainMechanism,
    ScramExchange,
    ScramMechanism,
    check_extension,
    sasl_name,
)
from ferrokafka._sasl.oauth import OAuthToken, TokenCache
from ferrokafka.errors import SaslAuthenticationFailedError

# RFC 7677 section 3: SCRAM-SHA-256 for user "user" with password "pencil".
RFC7677_NONCE = "rOprNGfwEbeRWgbNEkqO"
RFC7677_CLIENT_FIRST = b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
RFC7677_SERVER_FIRST = (
    b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
)
RFC7677_CLIENT_FINAL = (
    b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    b"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
)
RFC7677_SERVER_FINAL = b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="


def test_scram_sha_256_matches_rfc_7677() -> None:
    exchange = ScramExchange("SCRAM-SHA-256", "user", "pencil", nonce=RFC7677_NONCE)
    assert exchange.first_message() == RFC7677_CLIENT_FIRST
    assert exchange.respond(RFC7677_SERVER_FIRST) == RFC7677_CLIENT_FINAL
    assert exchange.respond(RFC7677_SERVER_FINAL) is None


def test_scram_rejects_a_server_that_does_not_know_the_password() -> None:
    exchange = ScramExchange("SCRAM-SHA-256", "user", "pencil", nonce=RFC7677_NONCE)
    exchange.first_message()
    exchange.respond(RFC7677_SERVER_FIRST)
    forged = b"v=" + base64.b64encode(b"\0" * 32)
    with pytest.raises(SaslAuthenticationFailedError, match="SCRAM exchange failed"):
        exchange.respond(forged)


def test_scram_reports_the_servers_error() -> None:
    exchange = ScramExchange("SCRAM-SHA-512", "user", "pencil")
    exchange.first_message()
    with pytest.raises(SaslAuthenticationFailedError, match="SCRAM exchange failed at step 1"):
        exchange.respond(b"e=unknown-user")


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-256", "SCRAM-SHA-512"])
@pytest.mark.parametrize(("password", "accepted"), [("s3cret", True), ("wrong", False)])
async def test_scram_against_scramps_server(mechanism: str, password: str, accepted: bool) -> None:
    server_mechanism = scramp.ScramMechanism(mechanism)
    auth_info = server_mechanism.make_auth_info("s3cret", iteration_count=4096)
    seen: list[str] = []

    def lookup(username: str) -> tuple[bytes, bytes, bytes, int]:
        seen.append(username)
        return auth_info

    server = server_mechanism.make_server(lookup)
    exchange = await ScramMechanism(mechanism, "alice,=x", password).begin()
    server.set_client_first(exchange.first_message().decode())
    # Kafka's ScramFormatter.saslName escaping: ',' and '=' in user names.
    assert seen == ["alice=2C=3Dx"]
    final = exchange.respond(server.get_server_first().encode())
    assert final is not None
    if accepted:
        server.set_client_final(final.decode())
        assert exchange.respond(server.get_server_final().encode()) is None
    else:
        with pytest.raises(scramp.ScramException):
            server.set_client_final(final.decode())


def test_sasl_name_escapes_like_kafka() -> None:
    assert sasl_name("a=b,c") == "a=3Db=2Cc"


async def test_plain_sends_empty_authzid_user_and_password() -> None:
    exchange = await PlainMechanism("alice", "pw").begin()
    assert exchange.first_message() == b"\0alice\0pw"
    assert exchange.respond(b"") is None
    assert exchange.secrets == ("pw",)
    assert "pw" not in repr(PlainMechanism("alice", "pw"))


async def test_oauthbearer_client_first_message_follows_rfc_7628() -> None:
    token = OAuthToken(
        value="eyJ.tok.en", expires_at_ms=2**42, extensions={"logicalCluster": "lkc-1"}
    )
    mechanism = OAuthBearerMechanism(TokenCache(lambda: token), {"identityPoolId": "pool-2"})
    exchange = await mechanism.begin()
    assert exchange.first_message() == (
        b"n,,\x01auth=Bearer eyJ.tok.en\x01identityPoolId=pool-2\x01logicalCluster=lkc-1\x01\x01"
    )
    assert exchange.respond(b"") is None


def test_oauthbearer_answers_an_error_challenge_with_kvsep() -> None:
    exchange = OAuthBearerExchange(OAuthToken(value="t", expires_at_ms=2**42), {})
    challenge = json.dumps({"status": "invalid_token"}).encode()
    assert exchange.respond(challenge) == b"\x01"
    assert exchange.server_error == "the broker rejected the token (status=invalid_token)"


@pytest.mark.parametrize(("key", "value"), [("auth", "x"), ("bad-key", "x"), ("ok", "a\x01b")])
def test_extension_rules(key: str, value: str) -> None:
    with pytest.raises(ValueError, match="SASL extension"):
        check_extension(key, value)
