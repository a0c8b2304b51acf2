"""The examples run against the real broker: the FastAPI and aiohttp services (their handlers
await send), the worker (async with, delivery callbacks, signals) and the bulk ingestion
script; what they produced is read back by an independent consumer."""

from __future__ import annotations

import importlib.util
import json
import signal
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import anyio
import httpx
import pytest
from producer_helpers import by_value, run

from ferrokafka.testing import BaseCluster
from ferrokafka.testing.pytest_plugin import TopicFactory

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_script(name: str, *args: str, stdin: str = "", timeout: float = 60) -> Any:
    """Runs an example as its users would; returns the JSON summary it prints."""
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py"), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- FastAPI ---------------------------------------------------------------------------------


def test_fastapi_app(kafka: BaseCluster, topic: TopicFactory, backend: str) -> None:
    name = topic(partitions=3)
    app = load("fastapi_app").create_app(kafka.bootstrap_servers, name)
    orders = [
        {"order_id": f"o-{i % 10}", "customer": f"c{i}", "amount": 1.5 + i} for i in range(60)
    ]

    async def main() -> list[httpx.Response]:
        responses: list[httpx.Response] = [None] * len(orders)  # type: ignore[list-item]

        async def post(i: int, client: httpx.AsyncClient) -> None:
            responses[i] = await client.post("/orders", json=orders[i])

        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://orders") as client,
        ):
            async with anyio.create_task_group() as tasks:
                for i in range(len(orders)):
                    tasks.start_soon(post, i, client)
            invalid = await client.post("/orders", json={"order_id": "", "amount": -1})
            assert invalid.status_code == 422
            health = (await client.get("/health")).json()
            assert health == {"record-send-total": len(orders), "record-error-total": 0}
        return responses

    responses = run(backend, main)
    assert [r.status_code for r in responses] == [201] * len(orders)
    consumed = kafka.consume(name, len(orders))
    where = {(r.partition, r.offset): r for r in consumed}
    for order, response in zip(orders, responses, strict=True):
        body = response.json()
        assert body["topic"] == name
        record = where[(body["partition"], body["offset"])]
        assert record.key == str(order["order_id"]).encode()
        assert json.loads(record.value or b"") == order
        assert record.headers == [("content-type", b"application/json")]
    # One key, one partition.
    partitions: dict[bytes | None, set[int]] = {}
    for record in consumed:
        partitions.setdefault(record.key, set()).add(record.partition)
    assert all(len(p) == 1 for p in partitions.values())


# --- aiohttp ---------------------------------------------------------------------------------


async def test_aiohttp_app(kafka: BaseCluster, topic: TopicFactory) -> None:
    from aiohttp.test_utils import TestClient, TestServer

    name = topic(partitions=2)
    app = load("aiohttp_app").create_app(kafka.bootstrap_servers, name)
    async with TestClient(TestServer(app)) as client:

        async def post(i: int) -> dict[str, int]:
            response = await client.post(
                f"/events/user-{i % 4}", data=b"event-%d" % i, headers={"x-trace-id": f"t{i}"}
            )
            assert response.status == 201, await response.text()
            return dict(await response.json())

        answers: dict[int, dict[str, int]] = {}
        async with anyio.create_task_group() as tasks:

            async def record(i: int) -> None:
                answers[i] = await post(i)

            for i in range(40):
                tasks.start_soon(record, i)
    consumed = by_value(kafka.consume(name, 40))
    for i, answer in answers.items():
        got = consumed[b"event-%d" % i]
        assert (got.partition, got.offset) == (answer["partition"], answer["offset"])
        assert got.key == b"user-%d" % (i % 4)
        assert got.headers == [("x-trace-id", f"t{i}".encode())]
        assert got.timestamp == answer["timestamp"]


# --- worker ----------------------------------------------------------------------------------


def jobs(count: int) -> str:
    return "".join(json.dumps({"id": i, "text": f"job number {i}"}) + "\n" for i in range(count))


@pytest.mark.parametrize("backend", ["asyncio", "uvloop", "trio"])
def test_worker(kafka: BaseCluster, topic: TopicFactory, backend: str) -> None:
    name = topic(partitions=2)
    stdin = jobs(1_000) + "not json\n" + '{"no id": 1}\n'
    summary = run_script(
        "worker", "--bootstrap-servers", kafka.bootstrap_servers, "--topic", name,
        "--backend", backend, stdin=stdin,
    )  # fmt: skip
    assert summary == {
        "received": 1_002,
        "invalid": 2,
        "delivered": 1_000,
        "failed": 0,
        "errors": [],
    }
    consumed = kafka.consume(name, 1_000)
    results = {r.key: json.loads(r.value or b"") for r in consumed}
    assert results[b"7"] == {"id": 7, "words": 3, "upper": "JOB NUMBER 7"}
    assert results.keys() == {str(i).encode() for i in range(1_000)}


def test_worker_stops_cleanly_on_sigterm(kafka: BaseCluster, topic: TopicFactory) -> None:
    """SIGTERM while the worker waits for input: it stops reading, and `async with` still
    delivers every job read so far before the process exits."""
    name = topic()
    process = subprocess.Popen(
        [sys.executable, str(EXAMPLES / "worker.py"), "--bootstrap-servers",
         kafka.bootstrap_servers, "--topic", name],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert process.stdin is not None
        process.stdin.write(jobs(300))
        process.stdin.flush()
        # Wait until the worker has taken the jobs (they reach the broker), stdin still open.
        kafka.consume(name, 300, timeout=30)
        process.send_signal(signal.SIGTERM)
        # Not communicate(): closing stdin would end the worker by itself.
        process.wait(timeout=30)
        assert process.stdout is not None
        assert process.stderr is not None
        stdout, stderr = process.stdout.read(), process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, stderr[-3000:]
    summary = json.loads(stdout.strip().splitlines()[-1])
    assert summary["received"] == summary["delivered"] == 300
    assert "SIGTERM" in stderr


# --- bulk ingestion --------------------------------------------------------------------------


@pytest.mark.parametrize("keyed", [True, False], ids=["keyed", "unkeyed"])
def test_ingest(kafka: BaseCluster, topic: TopicFactory, tmp_path: Path, keyed: bool) -> None:
    name = topic(partitions=3)
    count = 50_000
    path = tmp_path / "events.tsv"
    lines = [
        (f"user-{i % 321}\t" if keyed else "") + json.dumps({"n": i, "pad": "x" * (i % 40)})
        for i in range(count)
    ]
    path.write_text("\n".join(lines) + "\n")
    args = ["--topic", name, "--bootstrap-servers", kafka.bootstrap_servers, "--compression",
            "zstd"]  # fmt: skip
    if keyed:
        args += ["--key-separator", "\t"]
    summary = run_script("ingest", str(path), *args, timeout=120)
    assert summary["queued"] == summary["delivered"] == count
    assert summary["failed"] == 0
    consumed = kafka.consume(name, count, timeout=60)
    values = {json.loads(r.value or b"")["n"]: r for r in consumed}
    assert sorted(values) == list(range(count))
    if keyed:
        assert all(r.key == f"user-{n % 321}".encode() for n, r in values.items())
        # Records of one key keep their order (one partition each).
        by_key: dict[bytes | None, list[int]] = {}
        for record in consumed:
            by_key.setdefault(record.key, []).append(json.loads(record.value or b"")["n"])
        assert all(ns == sorted(ns) for ns in by_key.values())
    else:
        assert all(r.key is None for r in consumed)


def test_ingest_in_a_small_buffer(kafka: BaseCluster, topic: TopicFactory, tmp_path: Path) -> None:
    """The ingestion loop against a buffer smaller than one chunk: partly queued bulks are
    completed, nothing is lost or duplicated."""
    ingest: Any = load("ingest")
    name = topic()
    original = ingest.Producer

    def small_buffer(**options: Any) -> Any:
        return original(**{**options, "buffer_memory": 300_000, "batch_size": 64 * 1024})

    ingest.Producer = small_buffer
    ingest.CHUNK = 4_000
    path = tmp_path / "records.txt"
    lines = [f"{i:06d}" + "y" * 200 for i in range(12_000)]
    # One line over max_request_size (1 MiB by default) is reported and skipped.
    lines.insert(5_000, "z" * 1_100_000)
    path.write_text("\n".join(lines) + "\n")
    summary = run("asyncio", ingest.ingest, path, name, kafka.bootstrap_servers, None, "none")
    assert summary["failed"] == 1
    assert "max_request_size" in summary["first_error"]
    assert summary["queued"] == summary["delivered"] == 12_000
    values = [r.value for r in kafka.consume(name, 12_000, timeout=60)]
    assert values == [f"{i:06d}".encode() + b"y" * 200 for i in range(12_000)]
