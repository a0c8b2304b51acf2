"""A KRaft cluster whose nodes open TLS, mutual-TLS and SASL listeners beside PLAINTEXT.

```python
from ferrokafka.testing import SecuredKafkaCluster

with SecuredKafkaCluster() as kafka:
    kafka.bootstrap("MTLS")                      # '127.0.0.1:<port>' of the mTLS listener
    kafka.producer_config("MTLS")                # ferrokafka keyword arguments for it
    kafka.client_config("SASL_SSL", user="alice", mechanism="SCRAM-SHA-512")  # librdkafka's
    kafka.certificates.ca                        # the CA file; see Certificates for the rest
```

Listeners of every node (`LISTENERS`, name → security protocol):

- `PLAINTEXT`: inter-broker and administration (principal `User:ANONYMOUS`, a super user);
  `bootstrap_servers`, `admin()` and `consume()` go through it.
- `SSL`: TLS, server certificate only (principal `User:ANONYMOUS` too).
- `MTLS`: TLS with `ssl.client.auth=required`; the client certificate's DN maps to `User:client`.
- `SASL_PLAINTEXT`, `SASL_SSL`: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 and OAUTHBEARER (Kafka's
  unsecured validator: any unsigned JWS whose `sub` names the principal, see `unsecured_jws`).
  Users and passwords are in `users` (fresh passwords every run): `admin` is a super user,
  `alice` and `bob` are ordinary principals, known to PLAIN and both SCRAM mechanisms.
- `WRONG_HOST`: TLS with a certificate issued for another host name.
- `EXPIRED`: TLS with an expired certificate.

Authorization uses `StandardAuthorizer` with `allow.everyone.if.no.acl.found=true`: everything
is allowed until a test adds ACLs, e.g. `deny("User:alice", topic)` to refuse a write.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from ferrokafka.testing._certificates import CLIENT_COMMON_NAME, Certificates, generate_certificates
from ferrokafka.testing._cluster import KafkaCluster
from ferrokafka.testing._node import KafkaNode, free_ports

ListenerName = Literal["SSL", "MTLS", "SASL_PLAINTEXT", "SASL_SSL", "WRONG_HOST", "EXPIRED"]

# Listener name → security protocol, in the order their ports are allocated.
LISTENERS: dict[str, str] = {
    "SSL": "SSL",
    "MTLS": "SSL",
    "SASL_PLAINTEXT": "SASL_PLAINTEXT",
    "SASL_SSL": "SASL_SSL",
    "WRONG_HOST": "SSL",
    "EXPIRED": "SSL",
}
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER")
ADMIN_USER = "admin"
USER_NAMES = (ADMIN_USER, "alice", "bob")

_PLAIN_MODULE = "org.apache.kafka.common.security.plain.PlainLoginModule"
_SCRAM_MODULE = "org.apache.kafka.common.security.scram.ScramLoginModule"
_OAUTH_MODULE = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule"


class SecuredKafkaCluster(KafkaCluster):
    """A `KafkaCluster` with the secured listeners described in this module's docstring.

    Certificates are generated into `<workdir>/certificates` when the cluster starts (or taken
    from `certificates`, e.g. to share one set between clusters).
    """

    def __init__(
        self,
        nodes: int = 1,
        *,
        version: str | None = None,
        broker_properties: Mapping[str, str | int | bool] | None = None,
        workdir: str | os.PathLike[str] | None = None,
        jvm_options: Sequence[str] | None = None,
        start_timeout: float = 120.0,
        certificates: Certificates | None = None,
    ) -> None:
        super().__init__(
            nodes,
            version=version,
            broker_properties=broker_properties,
            workdir=workdir,
            jvm_options=jvm_options,
            start_timeout=start_timeout,
        )
        self._certificates = certificates
        # Fresh every run, alphanumeric so they need no quoting in JAAS lines or tool arguments.
        self.users: dict[str, str] = {name: secrets.token_hex(12) for name in USER_NAMES}
        # Per node id: listener name → port. Chosen when the node's configuration is written,
        # and kept across restarts of the node (its configuration file keeps them too).
        self._listener_ports: dict[int, dict[str, int]] = {}

    def __repr__(self) -> str:
        return f"<SecuredKafkaCluster {self.version} nodes={self.node_count}>"

    @property
    def certificates(self) -> Certificates:
        if self._certificates is None:
            raise ValueError("no certificates yet: start the cluster first")
        return self._certificates

    @property
    def admin_user(self) -> str:
        return ADMIN_USER

    def bootstrap(self, listener: ListenerName | Literal["PLAINTEXT"]) -> str:
        """The bootstrap addresses of `listener` on every node."""
        if listener == "PLAINTEXT":
            return self.bootstrap_servers
        if listener not in LISTENERS:
            raise ValueError(f"no listener {listener!r}; one of {', '.join(LISTENERS)}")
        return ",".join(
            f"127.0.0.1:{self._listener_ports[node.node_id][listener]}" for node in self.nodes
        )

    def client_config(
        self,
        listener: ListenerName | Literal["PLAINTEXT"] = "PLAINTEXT",
        *,
        user: str | None = None,
        mechanism: str = "PLAIN",
    ) -> dict[str, str]:
        """confluent-kafka (librdkafka) settings for `listener`, as `user` on SASL listeners.

        On MTLS the client certificate is given; on WRONG_HOST and EXPIRED the settings are
        those of SSL (so the connection fails as it should).
        """
        config = {"bootstrap.servers": self.bootstrap(listener)}
        if listener == "PLAINTEXT":
            return config
        protocol = LISTENERS[listener]
        config["security.protocol"] = protocol
        if protocol in ("SSL", "SASL_SSL"):
            config["ssl.ca.location"] = str(self.certificates.ca)
        if listener == "MTLS":
            config["ssl.certificate.location"] = str(self.certificates.client_certificate)
            config["ssl.key.location"] = str(self.certificates.client_key)
        if protocol.startswith("SASL"):
            name = user or ADMIN_USER
            config["sasl.mechanism"] = mechanism
            if mechanism == "OAUTHBEARER":
                config["sasl.oauthbearer.config"] = f"principal={name}"
                config["enable.sasl.oauthbearer.unsecure.jwt"] = "true"
            else:
                config["sasl.username"] = name
                config["sasl.password"] = self.users[name]
        return config

    def producer_config(
        self,
        listener: ListenerName | Literal["PLAINTEXT"],
        *,
        user: str | None = None,
        mechanism: str = "PLAIN",
    ) -> dict[str, Any]:
        """ferrokafka `Producer` keyword arguments for `listener` (see `client_config`).

        For OAUTHBEARER the token provider returns `unsecured_jws(user)`.
        """
        config: dict[str, Any] = {"bootstrap_servers": self.bootstrap(listener)}
        if listener == "PLAINTEXT":
            return config
        protocol = LISTENERS[listener]
        config["security_protocol"] = protocol
        if protocol in ("SSL", "SASL_SSL"):
            config["ssl_cafile"] = str(self.certificates.ca)
        if listener == "MTLS":
            config["ssl_certfile"] = str(self.certificates.client_certificate)
            config["ssl_keyfile"] = str(self.certificates.client_key)
        if protocol.startswith("SASL"):
            name = user or ADMIN_USER
            config["sasl_mechanism"] = mechanism
            if mechanism == "OAUTHBEARER":
                config["sasl_oauth_token_provider"] = lambda: unsecured_jws(name)
            else:
                config["sasl_username"] = name
                config["sasl_password"] = self.users[name]
        return config

    def deny(
        self, principal: str, topic: str, operation: str = "WRITE", *, timeout: float = 30.0
    ) -> None:
        """Add a DENY ACL for `principal` (e.g. `User:alice`, `User:client`) on `topic`."""
        self._create_acl(principal, topic, operation, "DENY", timeout)

    def allow(
        self, principal: str, topic: str, operation: str = "WRITE", *, timeout: float = 30.0
    ) -> None:
        """Add an ALLOW ACL; once a topic has any ACL, principals without one are refused."""
        self._create_acl(principal, topic, operation, "ALLOW", timeout)

    def restart_with_keystore(self, listener: ListenerName, keystore: Path) -> None:
        """Restart every node with `keystore` (PEM key + chain) serving `listener`.

        For tests of a certificate that changes while clients are connected: the restart drops
        their connections and new handshakes meet the new certificate.
        """
        for node in self.nodes:
            shutil.copyfile(keystore, self._keystore_path(node, listener))
        for node in self.nodes:
            node.stop()
        for node in self.nodes:
            node.start(wait=False)
        for node in self.nodes:
            node.wait_ready(timeout=self.start_timeout)

    def _create_acl(
        self, principal: str, topic: str, operation: str, permission: str, timeout: float
    ) -> None:
        from confluent_kafka.admin._acl import (
            AclBinding,
            AclOperation,
            AclPermissionType,
        )
        from confluent_kafka.admin._resource import ResourcePatternType, ResourceType

        binding = AclBinding(
            ResourceType.TOPIC,
            topic,
            ResourcePatternType.LITERAL,
            principal,
            "*",
            AclOperation[operation.upper()],
            AclPermissionType[permission],
        )
        for future in self.admin().create_acls([binding], request_timeout=timeout).values():
            future.result(timeout=timeout)
        # The ACL reaches the broker's authorizer through the metadata log, shortly after the
        # controller accepted it.
        time.sleep(0.5)

    def _prepare_workdir(self) -> Path:
        workdir = super()._prepare_workdir()
        if self._certificates is None:
            self._certificates = generate_certificates(workdir / "certificates")
        return workdir

    def _format_arguments(self) -> list[str]:
        arguments = super()._format_arguments()
        for mechanism in ("SCRAM-SHA-256", "SCRAM-SHA-512"):
            for name, password in self.users.items():
                arguments += ["--add-scram", f"{mechanism}=[name={name},password={password}]"]
        return arguments

    def _keystore_path(self, node: KafkaNode, listener: str) -> Path:
        return node.directory / f"keystore-{listener.lower()}.pem"

    def _node_properties(self, node: KafkaNode) -> dict[str, str]:
        properties = super()._node_properties(node)
        ports = dict(zip(LISTENERS, free_ports(len(LISTENERS)), strict=True))
        self._listener_ports[node.node_id] = ports
        certificates = self.certificates
        keystores = {
            "SSL": certificates.broker_keystore,
            "MTLS": certificates.broker_keystore,
            "SASL_SSL": certificates.broker_keystore,
            "WRONG_HOST": certificates.wrong_host_keystore,
            "EXPIRED": certificates.expired_keystore,
        }
        for name, protocol in LISTENERS.items():
            properties["listeners"] += f",{name}://127.0.0.1:{ports[name]}"
            properties["advertised.listeners"] += f",{name}://127.0.0.1:{ports[name]}"
            properties["listener.security.protocol.map"] += f",{name}:{protocol}"
            prefix = f"listener.name.{name.lower()}."
            if name in keystores:
                # A copy per node and listener, so restart_with_keystore can swap one alone.
                keystore = self._keystore_path(node, name)
                node.directory.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(keystores[name], keystore)
                properties[prefix + "ssl.keystore.type"] = "PEM"
                properties[prefix + "ssl.keystore.location"] = str(keystore)
                properties[prefix + "ssl.truststore.type"] = "PEM"
                properties[prefix + "ssl.truststore.location"] = str(certificates.ca)
            if protocol.startswith("SASL"):
                properties.update(self._jaas_properties(prefix))
        properties["listener.name.mtls.ssl.client.auth"] = "required"
        properties["listener.name.mtls.ssl.principal.mapping.rules"] = (
            "RULE:^CN=([^,]+),.*$/$1/,DEFAULT"
        )
        properties["sasl.enabled.mechanisms"] = ",".join(SASL_MECHANISMS)
        properties["authorizer.class.name"] = (
            "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
        )
        properties["allow.everyone.if.no.acl.found"] = "true"
        # ANONYMOUS is the principal of PLAINTEXT (administration, inter-broker) and of the
        # controller listener; SSL without client authentication is ANONYMOUS as well.
        properties["super.users"] = f"User:ANONYMOUS;User:{ADMIN_USER}"
        properties.update(self.broker_properties)
        return properties

    def _jaas_properties(self, prefix: str) -> dict[str, str]:
        plain_users = " ".join(f'user_{name}="{password}"' for name, password in self.users.items())
        return {
            prefix + "plain.sasl.jaas.config": f"{_PLAIN_MODULE} required {plain_users};",
            prefix + "scram-sha-256.sasl.jaas.config": f"{_SCRAM_MODULE} required;",
            prefix + "scram-sha-512.sasl.jaas.config": f"{_SCRAM_MODULE} required;",
            prefix + "oauthbearer.sasl.jaas.config": (
                f'{_OAUTH_MODULE} required unsecuredLoginStringClaim_sub="{ADMIN_USER}";'
            ),
        }


def unsecured_jws(subject: str, *, lifetime_s: float = 3600.0) -> str:
    """An unsigned JWS (`alg: none`) naming `subject`, as Kafka's unsecured validator accepts.

    Only for test clusters: anyone can make one.
    """

    def encode(value: Mapping[str, Any]) -> str:
        raw = json.dumps(value, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    now = time.time()
    claims = {"sub": subject, "iat": int(now), "exp": int(now + lifetime_s)}
    return f"{encode({'alg': 'none'})}.{encode(claims)}."


CLIENT_PRINCIPAL = f"User:{CLIENT_COMMON_NAME}"
