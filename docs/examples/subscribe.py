"""Feedwerk public topics in Python: own consumer group, schema validation, dedup by ce_id.

pip install confluent-kafka jsonschema
KAFKA_BROKERS=... KAFKA_USERNAME=analytics-bi KAFKA_PASSWORD=... python subscribe.py
"""
import json
import os
from collections import OrderedDict
from pathlib import Path

from confluent_kafka import Consumer, KafkaException
from jsonschema import Draft202012Validator, FormatChecker

TOPICS = os.environ.get("TOPICS", "feedwerk.public.jobs.v1").split(",")
SCHEMAS = Path(os.environ.get("SCHEMA_DIR", "docs/contract/schemas/public"))

config = {
    "bootstrap.servers": os.environ["KAFKA_BROKERS"],
    "group.id": os.environ.get("GROUP", "analytics-bi"),  # must start with analytics-
    "auto.offset.reset": "earliest",
    "enable.auto.commit": False,  # commit after handling, never before
}
if os.environ.get("KAFKA_USERNAME"):
    config.update({
        # SASL_PLAINTEXT only against a loopback test broker
        "security.protocol": os.environ.get("KAFKA_SECURITY_PROTOCOL", "SASL_SSL"),
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": os.environ["KAFKA_USERNAME"],
        "sasl.password": os.environ["KAFKA_PASSWORD"],
    })

validators = {}


def validator(ce_type, version):
    key = (ce_type, version)
    if key not in validators:
        schema = json.loads((SCHEMAS / f"{ce_type}.v{version}.schema.json").read_text())
        validators[key] = Draft202012Validator(schema, format_checker=FormatChecker())
    return validators[key]


seen = OrderedDict()  # recent ce_ids: a record delivered twice is handled once


def handle(ce_type, headers, payload):
    print(ce_type, headers.get("ce_time"), json.dumps(payload, ensure_ascii=False))


consumer = Consumer(config)
consumer.subscribe(TOPICS)
limit = int(os.environ.get("MAX_MESSAGES", "0"))  # 0: run forever
handled = 0
try:
    while limit == 0 or handled < limit:
        msg = consumer.poll(1.0)
        if msg is None:
            continue
        if msg.error():
            raise KafkaException(msg.error())  # e.g. TOPIC_AUTHORIZATION_FAILED
        headers = {k: v.decode() for k, v in (msg.headers() or [])}
        ce_id, ce_type = headers["ce_id"], headers["ce_type"]
        if ce_id not in seen:
            payload = json.loads(msg.value())
            validator(ce_type, headers["ce_schemaversion"]).validate(payload)
            handle(ce_type, headers, payload)
            seen[ce_id] = True
            if len(seen) > 100_000:
                seen.popitem(last=False)
        consumer.commit(message=msg, asynchronous=False)
        handled += 1
finally:
    consumer.close()
