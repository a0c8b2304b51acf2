"""``ferrokafka describe``: brokers, topics, partitions and leaders of a cluster."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from ferrokafka.cli._options import bootstrap_servers
from ferrokafka.cluster import ClusterDescription, TopicDescription, describe_cluster
from ferrokafka.errors import KafkaError, error_for_code


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "describe",
        help="show the brokers, topics, partitions and leaders of a cluster",
        description="Describe a Kafka cluster from one metadata request (topics are never "
        "created by asking).",
    )
    parser.add_argument("-b", "--bootstrap-server", metavar="HOST:PORT[,...]")
    parser.add_argument(
        "--topic", action="append", dest="topics", metavar="TOPIC", help="only these (repeatable)"
    )
    parser.add_argument(
        "--include-internal", action="store_true", help="list internal topics (__consumer_offsets)"
    )
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout")
    parser.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        cluster = asyncio.run(
            describe_cluster(
                bootstrap_servers(args.bootstrap_server), topics=args.topics, timeout=args.timeout
            )
        )
    except KafkaError as exc:
        print(f"describe: {exc}", file=sys.stderr)
        return 1
    topics = [
        topic
        for name, topic in sorted(cluster.topics.items())
        if args.include_internal or args.topics or not topic.is_internal
    ]
    if args.json:
        print(json.dumps(_as_json(cluster, topics), indent=2))
    else:
        print(_as_text(cluster, topics))
    missing = [t.name for t in topics if t.error_code]
    return 1 if missing else 0


def _as_text(cluster: ClusterDescription, topics: list[TopicDescription]) -> str:
    controller = "none" if cluster.controller_id is None else cluster.controller_id
    lines = [f"Cluster: {cluster.cluster_id or '-'}\tController: {controller}", "Brokers:"]
    for broker in cluster.brokers:
        rack = f"\tRack: {broker.rack}" if broker.rack else ""
        lines.append(f"\tId: {broker.node_id}\tHost: {broker.host}:{broker.port}{rack}")
    for topic in topics:
        if topic.error_code:
            lines.append(f"Topic: {topic.name}\tError: {_topic_error(topic.error_code)}")
            continue
        replication = len(topic.partitions[0].replicas) if topic.partitions else 0
        lines.append(
            f"Topic: {topic.name}\tTopicId: {topic.topic_id or '-'}\t"
            f"PartitionCount: {len(topic.partitions)}\tReplicationFactor: {replication}"
            + ("\tInternal: true" if topic.is_internal else "")
        )
        for p in topic.partitions:
            leader = "none" if p.leader is None else p.leader
            offline = f"\tOffline: {_ids(p.offline_replicas)}" if p.offline_replicas else ""
            lines.append(
                f"\tTopic: {topic.name}\tPartition: {p.partition}\tLeader: {leader}\t"
                f"Replicas: {_ids(p.replicas)}\tIsr: {_ids(p.isr)}{offline}"
            )
    return "\n".join(lines)


def _as_json(cluster: ClusterDescription, topics: list[TopicDescription]) -> dict[str, Any]:
    return {
        "cluster_id": cluster.cluster_id,
        "controller_id": cluster.controller_id,
        "brokers": [
            {"id": b.node_id, "host": b.host, "port": b.port, "rack": b.rack}
            for b in cluster.brokers
        ],
        "topics": [
            {
                "name": t.name,
                "topic_id": str(t.topic_id) if t.topic_id else None,
                "internal": t.is_internal,
                "error_code": t.error_code,
                "partitions": [
                    {
                        "partition": p.partition,
                        "leader": p.leader,
                        "leader_epoch": p.leader_epoch,
                        "replicas": list(p.replicas),
                        "isr": list(p.isr),
                        "offline_replicas": list(p.offline_replicas),
                    }
                    for p in t.partitions
                ],
            }
            for t in topics
        ],
    }


def _ids(ids: tuple[int, ...]) -> str:
    return ",".join(str(i) for i in ids) or "-"


def _topic_error(code: int) -> str:
    error = error_for_code(code)
    return f"{type(error).__name__} (code {code})"
