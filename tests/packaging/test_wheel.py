"""What a user installs: the wheel and the sdist that `make wheel` puts in `dist/`.

The wheel goes into an empty virtualenv with nothing but its declared dependencies, which then
imports every public module and produces to the session's broker; the records are read back by
the test's own confluent-kafka. Run alone with `make wheel && .venv/bin/python -m pytest -m
packaging`; `FERROKAFKA_DIST` names another folder holding the distributions. When the folder
has none, or they are older than the sources, the test builds them with `make wheel` first.
"""

from __future__ import annotations

import email.message
import email.parser
import json
import os
import platform
import re
import subprocess
import sys
import tarfile
import tomllib
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from packaging.utils import parse_wheel_filename

from ferrokafka.testing import BaseCluster

pytestmark = pytest.mark.packaging

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "python" / "ferrokafka"
DIST_ENV = "FERROKAFKA_DIST"

# manylinux2014: the wheel's native library may ask for no glibc symbol newer than 2.17.
MAX_GLIBC = (2, 17)

# Public modules the installed package must import; the virtualenv also finds and imports every
# other public one (no `_` in its name), except `ferrokafka.testing.pytest_plugin`, which needs
# pytest (pytest loads it through the entry point).
EXPECTED_MODULES = {
    "ferrokafka",
    "ferrokafka.errors",
    "ferrokafka.config",
    "ferrokafka.serializers",
    "ferrokafka.records",
    "ferrokafka.producer",
    "ferrokafka.cluster",
    "ferrokafka.bulk",
    "ferrokafka.testing",
    "ferrokafka.testing.containers",
}

COMPRESSIONS = ["none", "gzip", "snappy", "lz4", "zstd"]
RECORDS_PER_COMPRESSION = 20

# Run by the virtualenv's interpreter; argv: bootstrap servers, topic, compressions, count.
PRODUCE_SCRIPT = """
import asyncio, importlib, json, pkgutil, sys
import ferrokafka

bootstrap, topic, compressions, count = sys.argv[1:]
public = ["ferrokafka"] + [
    m.name
    for m in pkgutil.walk_packages(ferrokafka.__path__, "ferrokafka.")
    if not any(part.startswith("_") for part in m.name.split("."))
    and m.name != "ferrokafka.testing.pytest_plugin"
]
# Modules of an optional extra: without it, importing says which extra to install.
extras = {"ferrokafka.prometheus": "prometheus", "ferrokafka.opentelemetry": "opentelemetry"}
for name, extra in extras.items():
    try:
        importlib.import_module(name)
    except ImportError as exc:
        assert f"ferrokafka[{extra}]" in str(exc), (name, exc)
    else:
        raise AssertionError(f"{name} imported without its extra {extra!r}")
for name in public:
    if name in extras:
        continue
    module = importlib.import_module(name)
    assert module.__file__.startswith(sys.prefix), (name, module.__file__, sys.prefix)
# confluent-kafka is the `testing` extra: importing ferrokafka.testing must not need it.
assert "confluent_kafka" not in sys.modules

from ferrokafka import Producer

async def main():
    sent = []
    for compression in compressions.split(","):
        async with Producer(bootstrap_servers=bootstrap, compression_type=compression) as producer:
            values = [f"{compression}-{i}".encode() for i in range(int(count))]
            half = len(values) // 2
            for i, value in enumerate(values[:half]):
                meta = await producer.send(topic, value, key=str(i).encode())
                sent.append([value.decode(), str(i), meta.partition, meta.offset])
            await producer.send_many(topic, values[half:])
            sent.extend([value.decode(), None, None, None] for value in values[half:])
    print(json.dumps({"modules": public, "sent": sent}))

asyncio.run(main())
"""


@dataclass(frozen=True)
class Dist:
    wheel: Path
    sdist: Path


def _sources_mtime() -> float:
    files = [ROOT / name for name in ("Cargo.toml", "Cargo.lock", "pyproject.toml", "LICENSE")]
    files += [p for p in (ROOT / "rust").rglob("*") if p.is_file()]
    files += _package_files()
    return max(p.stat().st_mtime for p in files)


def _find(folder: Path) -> Dist | None:
    wheels = sorted(folder.glob("ferrokafka-*.whl"))
    sdists = sorted(folder.glob("ferrokafka-*.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        return None
    dist = Dist(wheels[0], sdists[0])
    newest = _sources_mtime()
    if min(dist.wheel.stat().st_mtime, dist.sdist.stat().st_mtime) < newest:
        return None
    return dist


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Dist:
    folder = Path(os.environ.get(DIST_ENV, ROOT / "dist"))
    found = _find(folder)
    if found is not None:
        return found
    built = tmp_path_factory.mktemp("dist")
    subprocess.run(["make", "-C", str(ROOT), "wheel", f"DIST={built}"], check=True)
    found = _find(built)
    assert found is not None, f"`make wheel DIST={built}` made no wheel and sdist"
    return found


@pytest.fixture(scope="module")
def clean_venv(dist: Dist, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty virtualenv (no system site-packages) with only the wheel pip-installed."""
    venv = tmp_path_factory.mktemp("clean-venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    env = _clean_env()
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", str(dist.wheel)],
        check=True,
        env=env,
        cwd=venv,
    )
    return python


def _package_files() -> list[Path]:
    """The package's files in the checkout, without what a build or an import leaves there."""
    return [
        p
        for p in PACKAGE.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".so", ".pyc")
    ]


def _clean_env() -> dict[str, str]:
    """The environment without anything that would let the checkout's packages leak in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _metadata(wheel: zipfile.ZipFile, name: str) -> email.message.Message:
    dist_info = next(n for n in wheel.namelist() if n.endswith(".dist-info/WHEEL")).split("/")[0]
    return email.parser.Parser().parsestr(wheel.read(f"{dist_info}/{name}").decode())


def test_wheel_is_abi3_manylinux2014(dist: Dist) -> None:
    name, version, _build, tags = parse_wheel_filename(dist.wheel.name)
    assert (name, str(version)) == ("ferrokafka", _project()["version"])
    machine = platform.machine()
    assert {(t.interpreter, t.abi) for t in tags} == {("cp311", "abi3")}
    assert f"manylinux_2_17_{machine}" in {t.platform for t in tags}
    with zipfile.ZipFile(dist.wheel) as wheel:
        meta = _metadata(wheel, "WHEEL")
        assert meta["Root-Is-Purelib"] == "false"
        assert f"cp311-abi3-manylinux_2_17_{machine}" in meta.get_all("Tag", [])
        native = wheel.read("ferrokafka/_native.abi3.so")
    glibc = {tuple(map(int, m)) for m in re.findall(rb"GLIBC_(\d+)\.(\d+)", native)}
    assert glibc, "the native library names no glibc symbol version"
    assert max(glibc) <= MAX_GLIBC, f"needs glibc {max(glibc)}, manylinux2014 allows 2.17"


def test_wheel_contents_and_metadata(dist: Dist) -> None:
    sources = {
        f"ferrokafka/{p.relative_to(PACKAGE).as_posix()}": p.read_bytes() for p in _package_files()
    }
    assert {"ferrokafka/py.typed", "ferrokafka/_native.pyi"} <= sources.keys()
    with zipfile.ZipFile(dist.wheel) as wheel:
        names = set(wheel.namelist())
        for name, content in sources.items():
            assert name in names, f"{name} is missing from the wheel"
            assert wheel.read(name) == content, f"{name} in the wheel differs from the checkout"
        dist_info = next(n for n in names if n.endswith(".dist-info/WHEEL")).split("/")[0]
        assert wheel.read(f"{dist_info}/licenses/LICENSE") == (ROOT / "LICENSE").read_bytes()
        expected = sources.keys() | {"ferrokafka/_native.abi3.so"}
        stray = {n for n in names if not n.startswith(f"{dist_info}/")} - expected
        assert not stray, f"files in the wheel that the package does not have: {sorted(stray)}"
        meta = _metadata(wheel, "METADATA")
    assert meta["License-Expression"] == "Apache-2.0"
    assert meta["Requires-Python"] == ">=3.11"
    requires = meta.get_all("Requires-Dist", [])
    runtime = {r.replace(" ", "") for r in requires if "extra ==" not in r}
    assert runtime == {d.replace(" ", "") for d in _project()["dependencies"]}
    # The wire and the runtime tell asyncio from trio with sniffio; anyio no longer brings it.
    assert {"anyio", "sniffio"} <= {re.split(r"[<>=!~\[; ]", r)[0] for r in runtime}
    assert any(r.startswith("confluent-kafka") and "'testing'" in r for r in requires)
    assert "Typing :: Typed" in meta.get_all("Classifier", [])
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL", []))
    assert {"Homepage", "Documentation", "Issues", "Source"} <= urls.keys()


def test_sdist_has_what_a_build_needs(dist: Dist) -> None:
    with tarfile.open(dist.sdist) as sdist:
        names = set(sdist.getnames())
    top = dist.sdist.name.removesuffix(".tar.gz")
    manifest = tomllib.loads((ROOT / "Cargo.toml").read_text())
    targets = [manifest["lib"]["path"]] + [b["path"] for b in manifest.get("bench", [])]
    needed = ["pyproject.toml", "Cargo.toml", "Cargo.lock", "LICENSE", "README.md", *targets]
    needed += [p.relative_to(ROOT).as_posix() for p in (ROOT / "rust").rglob("*.rs")]
    needed += [p.relative_to(ROOT).as_posix() for p in _package_files()]
    missing = sorted(n for n in needed if f"{top}/{n}" not in names)
    assert not missing, f"the sdist lacks {missing}"


def test_clean_install_has_only_declared_dependencies(clean_venv: Path) -> None:
    check = subprocess.run(
        [str(clean_venv), "-m", "pip", "check"], capture_output=True, text=True, env=_clean_env()
    )
    assert check.returncode == 0, check.stdout + check.stderr
    listed = subprocess.run(
        [str(clean_venv), "-m", "pip", "list", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
        env=_clean_env(),
    )
    installed = {p["name"].lower() for p in json.loads(listed.stdout)}
    assert {"ferrokafka", "anyio", "sniffio"} <= installed
    assert not installed & {"confluent-kafka", "pytest", "maturin", "trio"}, installed


def test_clean_install_imports_and_produces(clean_venv: Path, kafka: BaseCluster) -> None:
    topic = kafka.create_topic(f"packaging-{uuid.uuid4().hex[:8]}", partitions=2)
    produced = subprocess.run(
        [
            str(clean_venv),
            "-c",
            PRODUCE_SCRIPT,
            kafka.bootstrap_servers,
            topic,
            ",".join(COMPRESSIONS),
            str(RECORDS_PER_COMPRESSION),
        ],
        capture_output=True,
        text=True,
        env=_clean_env(),
        cwd=clean_venv.parent,
        timeout=120,
    )
    assert produced.returncode == 0, produced.stderr
    report = json.loads(produced.stdout)
    missing = EXPECTED_MODULES - set(report["modules"])
    assert not missing, f"not imported in the clean virtualenv: {sorted(missing)}"
    sent = report["sent"]
    total = len(COMPRESSIONS) * RECORDS_PER_COMPRESSION
    assert len(sent) == total

    consumed = {r.value: r for r in kafka.consume(topic, total)}
    assert len(consumed) == total
    for value, key, partition, offset in sent:
        record = consumed[value.encode()]
        if key is not None:
            assert (record.key, record.partition, record.offset) == (
                key.encode(),
                partition,
                offset,
            )


def _project() -> dict[str, Any]:
    project: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return project
