"""Dotted Java/librdkafka names (``"linger.ms"``) and ``from_config``: a ``.properties``-style
mapping turned into the keyword options of `ProducerConfig`."""

from __future__ import annotations

import difflib
import functools
import os
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

from ferrokafka._config.checks import build
from ferrokafka._config.jaas import (
    as_text,
    check_truststore_option,
    parse_endpoint_algorithm,
    parse_jaas,
)
from ferrokafka._config.spec import Option
from ferrokafka.errors import ConfigError
from ferrokafka.serializers import StringSerializer

# librdkafka's spellings of options whose Java name is another.
_LIBRDKAFKA_NAMES: Final = MappingProxyType(
    {
        "sasl.mechanisms": "sasl_mechanism",
        "sasl.oauthbearer.client.id": "sasl_oauthbearer_client_credentials_client_id",
        "sasl.oauthbearer.client.secret": "sasl_oauthbearer_client_credentials_client_secret",
    }
)

# Java 4.1 producer options without an equivalent here (from ProducerConfig.configNames()).
# fmt: off
JAVA_UNSUPPORTED: Final = frozenset((
    "auto.include.jmx.reporter", "enable.metrics.push",
    "metadata.recovery.rebootstrap.trigger.ms", "metadata.recovery.strategy", "metric.reporters",
    "metrics.recording.level",
    "sasl.client.callback.handler.class", "sasl.kerberos.kinit.cmd",
    "sasl.kerberos.min.time.before.relogin", "sasl.kerberos.service.name",
    "sasl.kerberos.ticket.renew.jitter", "sasl.kerberos.ticket.renew.window.factor",
    "sasl.login.callback.handler.class", "sasl.login.class", "sasl.login.connect.timeout.ms",
    "sasl.login.read.timeout.ms", "sasl.login.refresh.buffer.seconds",
    "sasl.login.refresh.min.period.seconds", "sasl.login.refresh.window.factor",
    "sasl.login.refresh.window.jitter", "sasl.login.retry.backoff.max.ms",
    "sasl.login.retry.backoff.ms", "sasl.oauthbearer.assertion.algorithm",
    "sasl.oauthbearer.assertion.claim.aud", "sasl.oauthbearer.assertion.claim.exp.seconds",
    "sasl.oauthbearer.assertion.claim.iss", "sasl.oauthbearer.assertion.claim.jti.include",
    "sasl.oauthbearer.assertion.claim.nbf.seconds", "sasl.oauthbearer.assertion.claim.sub",
    "sasl.oauthbearer.assertion.file", "sasl.oauthbearer.assertion.private.key.file",
    "sasl.oauthbearer.assertion.private.key.passphrase",
    "sasl.oauthbearer.assertion.template.file", "sasl.oauthbearer.clock.skew.seconds",
    "sasl.oauthbearer.expected.audience", "sasl.oauthbearer.expected.issuer",
    "sasl.oauthbearer.header.urlencode", "sasl.oauthbearer.jwks.endpoint.refresh.ms",
    "sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms",
    "sasl.oauthbearer.jwks.endpoint.retry.backoff.ms", "sasl.oauthbearer.jwks.endpoint.url",
    "sasl.oauthbearer.jwt.retriever.class", "sasl.oauthbearer.jwt.validator.class",
    "sasl.oauthbearer.scope.claim.name", "sasl.oauthbearer.sub.claim.name", "security.providers",
    "ssl.engine.factory.class", "ssl.keymanager.algorithm", "ssl.keystore.certificate.chain",
    "ssl.keystore.key", "ssl.protocol", "ssl.provider", "ssl.secure.random.implementation",
    "ssl.trustmanager.algorithm", "transaction.two.phase.commit.enable",
))
# fmt: on


def unsupported_hint(key: str) -> str:
    """What to use instead of a Java option this client does not implement."""
    if key.startswith(("ssl.keystore.", "ssl.truststore.")):
        return (
            "give the keystore as ssl_keystore_location (PKCS#12 or PEM) or PEM files as "
            "ssl_certfile / ssl_keyfile, or an ssl_context"
        )
    if key.startswith("ssl."):
        return "configure it on an ssl.SSLContext and pass that as ssl_context"
    if key.startswith("sasl.kerberos."):
        return "Kerberos (GSSAPI) is not supported; use PLAIN, SCRAM or OAUTHBEARER"
    if key.startswith(("sasl.oauthbearer.", "sasl.login.")):
        return (
            "fetch tokens in a callable passed as sasl_oauth_token_provider (the built-in "
            "client credentials take sasl.oauthbearer.token.endpoint.url, ...client.id, "
            "...client.secret and sasl.oauthbearer.scope)"
        )
    if "metric" in key:
        return "read producer.metrics() instead"
    return "remove it"


class OptionNames:
    """The names under which options are known: Python names and dotted Java/librdkafka ones."""

    def __init__(self, options: Mapping[str, Option]) -> None:
        self.options = options
        # Dotted names that map one-to-one onto a field; ssl.endpoint.identification.algorithm
        # maps onto ssl_check_hostname too, but its values are translated first.
        self.dotted: Mapping[str, str] = MappingProxyType(
            {
                **{o.java: o.name for o in options.values() if o.java is not None},
                **_LIBRDKAFKA_NAMES,
            }
        )

    def suggest(self, name: str) -> str:
        """ "; did you mean 'x'?" for the closest known name, or ""."""
        candidates = [*self.dotted, "sasl.jaas.config"] if "." in name else list(self.options)
        close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
        return f"; did you mean {close[0]!r}?" if close else ""

    def keyword_options(self, props: Mapping[str, object]) -> dict[str, Any]:
        """The keyword options that ``props``, with dotted names and string values, stand for."""
        kwargs: dict[str, Any] = {}
        sources: dict[str, str] = {}
        encodings: dict[str, str] = {}

        def put(name: str, value: object, key: str) -> None:
            if name in kwargs:
                raise ConfigError(f"{key!r} and {sources[name]!r} both set {name}", option=name)
            kwargs[name] = value
            sources[name] = key

        for raw_key, value in props.items():
            key = raw_key.strip()
            if key in ("key.serializer.encoding", "value.serializer.encoding"):
                encodings[key.split(".", 1)[0]] = as_text(key, value)
            elif key == "serializer.encoding":
                encodings["*"] = as_text(key, value)
            elif key == "sasl.jaas.config":
                for name, option in parse_jaas(as_text(key, value)).items():
                    put(name, option, key)
            elif key == "sasl.oauthbearer.method":
                # librdkafka: "oidc" uses the token endpoint options, "default" a provider.
                if as_text(key, value).lower() not in ("oidc", "default"):
                    raise ConfigError(f"{key} must be 'oidc' or 'default'", option=key)
            elif key == "ssl.endpoint.identification.algorithm":
                put("ssl_check_hostname", parse_endpoint_algorithm(as_text(key, value)), key)
            elif key in ("ssl.ca.location", "ssl.truststore.location"):
                location = as_text(key, value)
                put("ssl_capath" if os.path.isdir(location) else "ssl_cafile", location, key)
            elif key == "ssl.truststore.certificates":
                put("ssl_cadata", as_text(key, value), key)
            elif key in ("ssl.truststore.type", "ssl.truststore.password"):
                check_truststore_option(key, as_text(key, value))
            elif key in self.dotted or key in self.options:
                option = self.options[self.dotted.get(key, key)]
                if isinstance(value, str):
                    value = option.spec.check.parse(option, key, value)
                put(option.name, value, key)
            elif key in JAVA_UNSUPPORTED:
                raise ConfigError(
                    f"{key!r} is a Java producer option ferrokafka does not implement: "
                    f"{unsupported_hint(key)}",
                    option=key,
                )
            else:
                raise ConfigError(f"unknown option {key!r}{self.suggest(key)}", option=key)
        for which in ("key", "value"):
            # As in Java, key.serializer.encoding wins over serializer.encoding, which only
            # applies where a StringSerializer is used.
            name = f"{which}_serializer"
            encoding = encodings.get(which)
            is_string = isinstance(kwargs.get(name), StringSerializer)
            if encoding is not None and not is_string:
                raise ConfigError(
                    f"{which}.serializer.encoding only applies to StringSerializer; "
                    f"set {which}.serializer=StringSerializer or drop the encoding",
                    option=name,
                )
            encoding = encoding or encodings.get("*")
            if encoding is not None and is_string:
                kwargs[name] = build(functools.partial(StringSerializer, encoding), name)
        return kwargs
