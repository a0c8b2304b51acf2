"""The producer's TLS: one `ssl.SSLContext` built from the ssl_* options, and what a failed
handshake means.

The context is built once, when the producer is created, so that bad key material is a
`ConfigError` naming the option at construction, not a connection error retried until
``delivery_timeout_ms``. Private keys are never unlocked interactively: OpenSSL would prompt on
the terminal for a missing password, so a password callback that refuses is always given.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import ssl
import tempfile
from collections.abc import Iterator
from typing import Final, NoReturn

from ferrokafka._logging import CONNECTION, client_log
from ferrokafka.config import JKS_CONVERSION, ProducerConfig
from ferrokafka.errors import ConfigError, SslAuthenticationError

_VERSIONS: Final = {"TLSv1.2": ssl.TLSVersion.TLSv1_2, "TLSv1.3": ssl.TLSVersion.TLSv1_3}
# A JKS file starts with this magic number (0xFEEDFEED).
_JKS_MAGIC: Final = b"\xfe\xed\xfe\xed"

_warned_no_hostname_check = False


class _PasswordMissing(Exception):
    """Raised by the password callback of a key loaded without a password."""


def ssl_context_for(config: ProducerConfig) -> ssl.SSLContext | None:
    """The context for TLS connections, or None for PLAINTEXT and SASL_PLAINTEXT.

    Raises `ConfigError` (with the OpenSSL error as ``__cause__``) for material that cannot be
    loaded: a key that is encrypted and has no password, a wrong password, a file that holds
    something else than expected, a JKS keystore.
    """
    if config.security_protocol not in ("SSL", "SASL_SSL"):
        return None
    if config.ssl_context is not None:
        return config.ssl_context
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # CERT_REQUIRED and check_hostname
    versions = [_VERSIONS[name] for name in config.ssl_enabled_protocols]
    context.minimum_version = min(versions)
    context.maximum_version = max(versions)
    _load_trust(context, config)
    if config.ssl_cipher_suites is not None:
        with _loading("ssl_cipher_suites", "no cipher suite of ssl_cipher_suites is known"):
            context.set_ciphers(config.ssl_cipher_suites.replace(",", ":"))
    if config.ssl_keystore_location is not None:
        _load_keystore(context, config, config.ssl_keystore_location)
    elif config.ssl_certfile is not None:
        _load_cert_chain(
            context, config.ssl_certfile, config.ssl_keyfile, config.ssl_password, "ssl_keyfile"
        )
    if not config.ssl_check_hostname:
        context.check_hostname = False
        _warn_no_hostname_check(config.client_id)
    return context


def handshake_error(broker: str, exc: ssl.SSLError) -> SslAuthenticationError:
    """The typed error for a TLS handshake that failed with ``exc`` (set as its cause)."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        message = exc.verify_message or _reason(exc) or "certificate verify failed"
        if "mismatch" in message or "Hostname" in message:
            hint = "the broker's certificate does not name the host connected to"
        elif "expired" in message:
            hint = "the broker's certificate has expired"
        elif "issuer" in message or "self-signed" in message or "self signed" in message:
            hint = "set ssl_cafile to the CA that signed the broker's certificate"
        else:
            hint = "check ssl_cafile and the broker's certificate"
        reason = f"certificate verify failed: {message} ({hint})"
    else:
        detail = _reason(exc) or exc.strerror or str(exc)
        reason = f"{detail}: the broker refused the handshake"
        alert = detail.upper() if detail else ""
        if "CERTIFICATE_REQUIRED" in alert or "BAD_CERTIFICATE" in alert:
            # Kafka's JSSE answers a missing client certificate with bad_certificate.
            reason += (
                " (it requires a client certificate its truststore accepts: set ssl_certfile "
                "and ssl_keyfile, or ssl_keystore_location)"
            )
        elif "UNKNOWN_CA" in alert:
            reason += " (it does not trust the CA of the client certificate)"
        else:
            reason += " (check security_protocol, ssl_enabled_protocols and ssl_cipher_suites)"
    error = SslAuthenticationError(broker, reason)
    error.__cause__ = exc
    return error


# --- loading -----------------------------------------------------------------------------


def _load_trust(context: ssl.SSLContext, config: ProducerConfig) -> None:
    if config.ssl_cafile is None and config.ssl_capath is None and config.ssl_cadata is None:
        context.load_default_certs()
        return
    not_ca = "holds no CA certificate (is it a private key or a client certificate?)"
    if config.ssl_cafile is not None:
        with _loading("ssl_cafile", f"{config.ssl_cafile!r} {not_ca}"):
            context.load_verify_locations(cafile=config.ssl_cafile)
    if config.ssl_capath is not None:
        # OpenSSL reads the directory lazily, during handshakes.
        with _loading("ssl_capath", f"{config.ssl_capath!r} cannot be read as a CA directory"):
            context.load_verify_locations(capath=config.ssl_capath)
    if config.ssl_cadata is not None:
        with _loading("ssl_cadata", f"the PEM text {not_ca}"):
            context.load_verify_locations(cadata=config.ssl_cadata)


def _load_cert_chain(
    context: ssl.SSLContext,
    certfile: str,
    keyfile: str | None,
    password: str | None,
    key_option: str,
) -> None:
    def refuse_prompt() -> NoReturn:
        raise _PasswordMissing("OpenSSL asked for the password of an encrypted private key")

    try:
        context.load_cert_chain(
            certfile, keyfile, password if password is not None else refuse_prompt
        )
    except _PasswordMissing as exc:
        raise ConfigError(
            f"{key_option}: the private key is encrypted; give its password as ssl_password "
            "(Java and librdkafka: ssl.key.password)",
            option="ssl_password",
        ) from exc
    except ssl.SSLError as exc:
        raise _key_error(exc, key_option, password is not None) from exc


def _key_error(exc: ssl.SSLError, key_option: str, had_password: bool) -> ConfigError:
    # OpenSSL 3 often says no more than "PEM lib" when a password does not decrypt the key.
    library = getattr(exc, "library", None) or ""
    code = f"{library} {_reason(exc) or ''} {exc}".upper()
    if "KEY_VALUES_MISMATCH" in code:
        return ConfigError(
            f"{key_option}: the private key does not belong to ssl_certfile's certificate",
            option=key_option,
        )
    if had_password and ("DECRYPT" in code or "PEM" in code or "PKCS12" in code):
        return ConfigError(
            f"ssl_password does not unlock the private key of {key_option} (wrong password?)",
            option="ssl_password",
        )
    return ConfigError(
        f"ssl_certfile / {key_option}: no usable PEM certificate and private key "
        f"({_reason(exc) or exc})",
        option="ssl_certfile",
    )


def _load_keystore(context: ssl.SSLContext, config: ProducerConfig, location: str) -> None:
    password = config.ssl_keystore_password
    if password is None:
        password = config.ssl_password
    try:
        with open(location, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise ConfigError(
            f"ssl_keystore_location: cannot read {location!r}: {exc.strerror}",
            option="ssl_keystore_location",
        ) from exc
    if data.startswith(_JKS_MAGIC):
        raise ConfigError(
            f"ssl_keystore_location: {location!r} is a JKS keystore, which is not read; convert "
            f"it to PKCS#12: {JKS_CONVERSION}",
            option="ssl_keystore_location",
        )
    if config.ssl_keystore_type == "PEM":
        _load_cert_chain(context, location, None, password, "ssl_keystore_location")
        return
    _load_pkcs12(context, data, password)


def _load_pkcs12(context: ssl.SSLContext, data: bytes, password: str | None) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    try:
        key, cert, chain = pkcs12.load_key_and_certificates(
            data, password.encode() if password is not None else None
        )
    except ValueError as exc:
        what = "the password is wrong" if password is not None else "it needs a password"
        option = "ssl_keystore_password"
        raise ConfigError(
            f"ssl_keystore_location cannot be opened as PKCS#12: {what}, or the file is not "
            "PKCS#12 (give ssl_keystore_password, Java ssl.keystore.password)",
            option=option,
        ) from exc
    if key is None or cert is None:
        raise ConfigError(
            "ssl_keystore_location holds no private key with its certificate",
            option="ssl_keystore_location",
        )
    # OpenSSL loads a client identity from files only. The key goes to a private temporary
    # file encrypted under a one-time password, and the file is gone before this returns.
    one_time = secrets.token_urlsafe(24)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(one_time.encode()),
    ) + b"".join(c.public_bytes(serialization.Encoding.PEM) for c in [cert, *chain])
    with _private_file(pem) as path:
        _load_cert_chain(context, path, None, one_time, "ssl_keystore_location")


@contextlib.contextmanager
def _private_file(data: bytes) -> Iterator[str]:
    fd, path = tempfile.mkstemp(prefix="ferrokafka-keystore-", suffix=".pem")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        yield path
    finally:
        os.unlink(path)


@contextlib.contextmanager
def _loading(option: str, meaning: str) -> Iterator[None]:
    try:
        yield
    except ssl.SSLError as exc:
        raise ConfigError(f"{option}: {meaning} ({_reason(exc) or exc})", option=option) from exc
    except OSError as exc:
        raise ConfigError(f"{option}: {exc.strerror or exc}", option=option) from exc


def _warn_no_hostname_check(client_id: str) -> None:
    global _warned_no_hostname_check
    if not _warned_no_hostname_check:
        _warned_no_hostname_check = True
        client_log(CONNECTION, client_id).warning(
            "TLS host name verification is off (ssl.endpoint.identification.algorithm=''): "
            "any certificate signed by a trusted CA is accepted for any broker"
        )


def _reason(exc: ssl.SSLError) -> str | None:
    # Errors raised outside a handshake (set_ciphers) carry no reason attribute.
    reason: str | None = getattr(exc, "reason", None)
    return reason
