"""Choosing the Kafka release and fetching its jars: one pinned version, an environment override,
and a cache that is never left looking complete after a failed or interrupted fetch."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ferrokafka.testing import KAFKA_VERSION, KafkaFetchError, KafkaHarnessError, distribution


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "cache"
    monkeypatch.setenv("FERROKAFKA_CACHE", str(root))
    return root


def fake_maven(directory: Path, body: str) -> None:
    """An `mvn` on PATH that runs `body` with the output directory in $OUT."""
    directory.mkdir(parents=True, exist_ok=True)
    script = directory / "mvn"
    script.write_text(
        "#!/bin/sh\n"
        'for arg in "$@"; do case "$arg" in -DoutputDirectory=*) OUT="${arg#*=}";; esac; done\n'
        + textwrap.dedent(body)
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


def test_pinned_version_and_environment_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FERROKAFKA_KAFKA_VERSION", raising=False)
    assert distribution().version == KAFKA_VERSION
    assert distribution().major == 4
    monkeypatch.setenv("FERROKAFKA_KAFKA_VERSION", "3.9.1")
    assert distribution().version == "3.9.1"
    assert distribution("4.1.1").version == "4.1.1"
    with pytest.raises(ValueError, match="not a Kafka version"):
        distribution("latest")


def test_tool_classes_and_logging_differ_by_major_version() -> None:
    four, three = distribution("4.1.1"), distribution("3.9.1")
    assert four.console_producer_class == "org.apache.kafka.tools.ConsoleProducer"
    assert three.console_producer_class == "kafka.tools.ConsoleProducer"
    assert four.console_consumer_class == three.console_consumer_class
    assert four.uses_log4j2
    assert not three.uses_log4j2
    # 4.x brings no logging backend of its own; 3.x pulls reload4j transitively.
    assert "<artifactId>log4j-slf4j2-impl</artifactId>" in four.pom()
    assert "log4j" not in three.pom()
    assert "<version>3.9.1</version>" in three.pom()


def test_console_tool_options_follow_the_release() -> None:
    # KIP-1147 renamed --property and --producer/consumer-property in 4.2; the old names print a
    # deprecation warning on stdout, among the records.
    assert not distribution("3.9.2").renamed_tool_options
    assert not distribution("4.1.1").renamed_tool_options
    assert distribution("4.2.0").renamed_tool_options
    assert distribution("4.4.0").renamed_tool_options
    assert distribution("5.0").renamed_tool_options


def test_cache_location(cache: Path) -> None:
    assert distribution("4.1.1").libs == cache / "kafka-4.1.1" / "libs"


def test_fetch_installs_complete_jars_once(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    calls = tmp_path / "calls"
    fake_maven(
        bin_dir,
        f"""
        echo run >> {calls}
        touch "$OUT/kafka_2.13-9.9.9.jar" "$OUT/kafka-clients-9.9.9.jar"
        """,
    )
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    dist = distribution("9.9.9")
    assert not dist.is_fetched()
    libs = dist.fetch()
    assert libs == dist.libs
    assert sorted(p.name for p in libs.glob("*.jar")) == [
        "kafka-clients-9.9.9.jar",
        "kafka_2.13-9.9.9.jar",
    ]
    assert dist.is_fetched()
    dist.fetch()
    assert calls.read_text().count("run") == 1
    assert [p.name for p in dist.home.iterdir() if p.name.startswith("libs")] == ["libs"]


@pytest.mark.parametrize(
    "maven",
    [
        pytest.param('touch "$OUT/kafka_2.13-9.9.9.jar"\necho boom >&2\nexit 1\n', id="fails"),
        pytest.param('touch "$OUT/half.jar"\nexit 0\n', id="incomplete"),
    ],
)
def test_failed_fetch_never_looks_complete(
    maven: str, cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_maven(tmp_path / "bin", maven)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    dist = distribution("9.9.9")
    with pytest.raises(KafkaFetchError):
        dist.fetch()
    assert not dist.is_fetched()
    assert not dist.libs.exists()
    assert not [p for p in dist.home.iterdir() if p.name.startswith("libs.")]


def test_interrupted_fetch_leaves_previous_jars_intact(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dist = distribution("9.9.9")
    fake_maven(tmp_path / "good", 'touch "$OUT/kafka_2.13-9.9.9.jar"\n')
    monkeypatch.setenv("PATH", f"{tmp_path / 'good'}{os.pathsep}{os.environ['PATH']}")
    dist.fetch()
    fake_maven(tmp_path / "bad", "exit 3\n")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bad'}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(KafkaFetchError, match="exit 3"):
        dist.fetch(force=True)
    assert dist.is_fetched()
    assert (dist.libs / "kafka_2.13-9.9.9.jar").exists()


def test_fetch_command_reports_cached_jars() -> None:
    distribution().fetch()
    result = subprocess.run(
        [sys.executable, "-m", "ferrokafka.testing", "fetch"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "already cached" in result.stderr


def test_optional_parts_stay_unimported() -> None:
    code = (
        "import sys, ferrokafka.testing, ferrokafka.testing.pytest_plugin\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'testcontainers', 'confluent_kafka', 'docker'} or m.endswith('.containers')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"


def test_docker_path_explains_missing_testcontainers(monkeypatch: pytest.MonkeyPatch) -> None:
    # Whether or not testcontainers is installed here: None in sys.modules makes its import fail.
    monkeypatch.setitem(sys.modules, "testcontainers", None)
    monkeypatch.setitem(sys.modules, "testcontainers.kafka", None)
    from ferrokafka.testing.containers import docker_kafka

    with pytest.raises(KafkaHarnessError, match=r"ferrokafka\[docker\]"), docker_kafka():
        pass
