"""SASL authentication of broker connections: PLAIN, SCRAM-SHA-256/512 and OAUTHBEARER, with
KIP-368 re-authentication.

- `mechanisms`: what the client says in each step of one authentication;
- `authenticator`: the SaslHandshake/SaslAuthenticate exchange on a connection, and when its
  session is to be renewed;
- `oauth`: OAuth bearer tokens, their refresh, and the built-in token providers.

`authenticator_for` builds the one authenticator a producer's connections share.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ferrokafka._sasl.authenticator import SaslAuthenticator
from ferrokafka._sasl.mechanisms import (
    SCRAM_MECHANISMS,
    OAuthBearerMechanism,
    PlainMechanism,
    SaslMechanism,
    ScramMechanism,
)
from ferrokafka._sasl.oauth import TokenCache, token_provider_for

if TYPE_CHECKING:
    from ferrokafka.config import ProducerConfig


def authenticator_for(config: ProducerConfig) -> SaslAuthenticator | None:
    """The authenticator of ``config``'s SASL settings; None without SASL."""
    if not config.security_protocol.startswith("SASL"):
        return None
    name = config.sasl_mechanism
    mechanism: SaslMechanism
    if name == "OAUTHBEARER":
        provider = token_provider_for(config)
        assert provider is not None
        extensions = dict(config.sasl_oauthbearer_extensions)
        mechanism = OAuthBearerMechanism(
            TokenCache(provider, client_id=config.client_id), extensions
        )
    else:
        # The config has checked that PLAIN and SCRAM have both.
        assert config.sasl_username is not None
        assert config.sasl_password is not None
        if name in SCRAM_MECHANISMS:
            mechanism = ScramMechanism(name, config.sasl_username, config.sasl_password)
        else:
            mechanism = PlainMechanism(config.sasl_username, config.sasl_password)
    return SaslAuthenticator(mechanism)
