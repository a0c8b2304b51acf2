"""Which Apache Kafka release the harness runs, and fetching its jars from Maven Central.

The release is pinned here, in `KAFKA_VERSION`; the environment variable
`FERROKAFKA_KAFKA_VERSION` overrides it (e.g. `3.9.1` to run everything against a 3.9 broker).
Jars are cached outside the work tree, in `<cache>/kafka-<version>/libs`, where `<cache>` is
`$FERROKAFKA_CACHE`, else `$XDG_CACHE_HOME/ferrokafka`, else `~/.cache/ferrokafka`.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ferrokafka.testing._errors import KafkaFetchError

KAFKA_VERSION = "4.1.1"
"""The Apache Kafka release tests run against unless `FERROKAFKA_KAFKA_VERSION` says otherwise."""

VERSION_ENV = "FERROKAFKA_KAFKA_VERSION"
CACHE_ENV = "FERROKAFKA_CACHE"

# Kafka 4.x logs through Log4j 2 but its artifacts declare no binding, and resolve slf4j-api 1.7,
# which cannot see the Log4j 2 SLF4J 2 provider: without these the broker logs nothing at all.
# slf4j-api 2 is backwards compatible with callers compiled against 1.7.
_LOG4J2_VERSION = "2.24.3"
_SLF4J2_VERSION = "2.0.17"

# Written last into a fetched folder, so a folder without it (or with another pom's digest) is an
# interrupted or outdated fetch.
_COMPLETE_MARKER = ".ferrokafka-complete"

_MAVEN_TIMEOUT_S = 900.0


@dataclass(frozen=True, slots=True)
class KafkaDistribution:
    """One Kafka release: where its jars are cached and what differs between major versions."""

    version: str

    @property
    def major(self) -> int:
        return int(self.version.split(".", 1)[0])

    @property
    def home(self) -> Path:
        return cache_root() / f"kafka-{self.version}"

    @property
    def libs(self) -> Path:
        return self.home / "libs"

    @property
    def classpath(self) -> str:
        # The JVM expands a trailing `*` itself; no shell is involved.
        return str(self.libs / "*")

    @property
    def console_producer_class(self) -> str:
        # Rewritten in Java and moved to the tools module in 4.0.
        if self.major >= 4:
            return "org.apache.kafka.tools.ConsoleProducer"
        return "kafka.tools.ConsoleProducer"

    @property
    def console_consumer_class(self) -> str:
        return "org.apache.kafka.tools.consumer.ConsoleConsumer"

    @property
    def renamed_tool_options(self) -> bool:
        """Whether the console tools take 4.2's option names (KIP-1147): `--formatter-property`,
        `--reader-property` and `--command-property`; the old names print a deprecation warning
        on stdout, among the records."""
        release = tuple(int(part) for part in self.version.split(".")[:2] if part.isdigit())
        return release >= (4, 2)

    @property
    def uses_log4j2(self) -> bool:
        # 3.x logs through reload4j (Log4j 1 configuration), 4.x through Log4j 2.
        return self.major >= 4

    def pom(self) -> str:
        """The Maven project whose dependencies are exactly the jars the broker and tools need."""
        logging_deps = ""
        if self.uses_log4j2:
            logging_deps = "".join(
                _dependency(group, artifact, version)
                for group, artifact, version in (
                    ("org.apache.logging.log4j", "log4j-core", _LOG4J2_VERSION),
                    ("org.apache.logging.log4j", "log4j-slf4j2-impl", _LOG4J2_VERSION),
                    ("org.slf4j", "slf4j-api", _SLF4J2_VERSION),
                )
            )
        return _POM_TEMPLATE.format(
            version=self.version,
            dependencies=_dependency("org.apache.kafka", "kafka_2.13", self.version)
            + _dependency("org.apache.kafka", "kafka-tools", self.version)
            + logging_deps,
        )

    @property
    def completion_marker(self) -> Path:
        return self.libs / _COMPLETE_MARKER

    def is_fetched(self) -> bool:
        marker = self.completion_marker
        try:
            return marker.read_text().strip() == self._pom_digest()
        except OSError:
            return False

    def fetch(self, *, force: bool = False, quiet: bool = True) -> Path:
        """Download the jars with Maven unless a complete copy is cached; return the libs folder.

        Maven writes into a temporary folder next to the cache, which is renamed into place only
        once complete, so an interrupted fetch never looks complete. Concurrent fetches of the
        same version wait for each other instead of downloading twice.
        """
        if not force and self.is_fetched():
            return self.libs
        mvn = shutil.which("mvn")
        if mvn is None:
            raise KafkaFetchError(
                "Maven (`mvn`) is not on PATH; install it (e.g. `apt-get install maven`) to fetch "
                f"Kafka {self.version} from Maven Central"
            )
        self.home.mkdir(parents=True, exist_ok=True)
        with _exclusive_lock(self.home / ".fetch.lock"):
            if not force and self.is_fetched():
                return self.libs
            staging = Path(tempfile.mkdtemp(prefix="libs.partial-", dir=self.home))
            try:
                self._run_maven(mvn, staging, quiet=quiet)
                (staging / _COMPLETE_MARKER).write_text(self._pom_digest() + "\n")
                staging.chmod(0o755)  # mkdtemp's 0700 would hide the jars from other users
                self._replace_libs(staging)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        return self.libs

    def _run_maven(self, mvn: str, target: Path, *, quiet: bool) -> None:
        with tempfile.TemporaryDirectory(prefix="ferrokafka-pom-") as project:
            pom = Path(project) / "pom.xml"
            pom.write_text(self.pom())
            command = [
                mvn,
                "--batch-mode",
                "--no-transfer-progress",
                "--file",
                str(pom),
                "dependency:copy-dependencies",
                f"-DoutputDirectory={target}",
                "-DincludeScope=runtime",
            ]
            if quiet:
                command.insert(1, "--quiet")
            try:
                completed = subprocess.run(
                    command,
                    cwd=project,
                    stdin=subprocess.DEVNULL,
                    capture_output=quiet,
                    text=True,
                    timeout=_MAVEN_TIMEOUT_S,
                    check=False,
                )
            except subprocess.TimeoutExpired as exc:
                raise KafkaFetchError(
                    f"Maven did not fetch Kafka {self.version} within {_MAVEN_TIMEOUT_S:.0f} s"
                ) from exc
            if completed.returncode != 0:
                output = ((completed.stdout or "") + (completed.stderr or "")).strip()
                tail = "\n".join(output.splitlines()[-40:])
                raise KafkaFetchError(
                    f"Maven failed to fetch Kafka {self.version} (exit {completed.returncode}); "
                    f"is the version on Maven Central?\n{tail}"
                )
        if not any(target.glob(f"kafka_2.13-{self.version}.jar")):
            raise KafkaFetchError(f"Maven finished but kafka_2.13-{self.version}.jar is missing")

    def _replace_libs(self, staging: Path) -> None:
        retired: Path | None = None
        if self.libs.exists():
            retired = Path(tempfile.mkdtemp(prefix="libs.old-", dir=self.home))
            self.libs.rename(retired / "libs")
        staging.rename(self.libs)
        if retired is not None:
            shutil.rmtree(retired, ignore_errors=True)

    def _pom_digest(self) -> str:
        return hashlib.sha256(self.pom().encode()).hexdigest()


def kafka_version() -> str:
    """The Kafka release in use: `$FERROKAFKA_KAFKA_VERSION`, else the pinned `KAFKA_VERSION`."""
    return os.environ.get(VERSION_ENV, "").strip() or KAFKA_VERSION


def distribution(version: str | None = None) -> KafkaDistribution:
    chosen = version or kafka_version()
    if not chosen.split(".", 1)[0].isdigit():
        raise ValueError(f"not a Kafka version: {chosen!r} (expected e.g. {KAFKA_VERSION!r})")
    return KafkaDistribution(chosen)


def cache_root() -> Path:
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "ferrokafka"


@dataclass(frozen=True, slots=True)
class KafkaJava:
    """Java and a Kafka release's jars, for running Kafka's own classes (e.g. as an oracle)."""

    java: str
    libs: Path

    @property
    def classpath(self) -> str:
        return str(self.libs / "*")


def kafka_java(version: str | None = None) -> KafkaJava:
    """Java, and the jars of `version` (default: `kafka_version()`) in the cache, fetched as
    `python -m ferrokafka.testing fetch` fetches them; `KafkaFetchError` if either cannot be had."""
    return KafkaJava(java=java_executable(), libs=distribution(version).fetch())


def java_executable() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        candidate = Path(java_home) / "bin" / "java"
        if candidate.exists():
            return str(candidate)
    found = shutil.which("java")
    if found is None:
        raise KafkaFetchError(
            "`java` is not on PATH and JAVA_HOME is unset; Kafka 4.x needs Java 17 or newer"
        )
    return found


@contextlib.contextmanager
def _exclusive_lock(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _dependency(group: str, artifact: str, version: str) -> str:
    return (
        "    <dependency>\n"
        f"      <groupId>{group}</groupId>\n"
        f"      <artifactId>{artifact}</artifactId>\n"
        f"      <version>{version}</version>\n"
        "    </dependency>\n"
    )


_POM_TEMPLATE = """\
<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by ferrokafka.testing: the jars of Apache Kafka {version}. -->
<project xmlns="http://maven.apache.org/POM/4.0.0"
         xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>
  <groupId>io.ferrokafka</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
{dependencies}  </dependencies>
</project>
"""
