#!/usr/bin/python3
"""Compatibility driver for the Python Kafka clients (Debian packages; run with /usr/bin/python3).

    python_driver.py confluent-kafka|kafka-python BOOTSTRAP

Speaks the protocol of scripts/compat/protocol.ts: one JSON request per stdin line, one reply per
stdout line prefixed with REPLY_PREFIX. Client logs go to stderr. message_at() must build exactly
the messages of protocol.ts messageAt().
"""

import json
import logging
import os
import sys
import threading
import time
import traceback

REPLY_PREFIX = "@@millrace-compat "
CODECS = ["gzip", "snappy", "lz4", "zstd"]


def log(*args):
    print(*args, file=sys.stderr, flush=True)


class Unsupported(Exception):
    pass


def message_at(i, tag, partitions):
    p = i % partitions
    value = "v-%d-%s-\u00e9\u00df-%s" % (i, tag, "x" * (i % 41))
    return {"partition": p, "key": "k-%d" % i, "value": value, "headers": [["src", tag], ["part", str(p)]]}


def text(b):
    if b is None:
        return None
    return b.decode("utf-8") if isinstance(b, (bytes, bytearray)) else str(b)


def wait_for(done, timeout_ms, what, failed=lambda: None):
    deadline = time.time() + timeout_ms / 1000.0
    while not done():
        err = failed()
        if err:
            raise err
        if time.time() > deadline:
            raise TimeoutError("timed out after %d ms waiting for %s" % (timeout_ms, what()))
        time.sleep(0.02)


def run_group_flow(req, start_member, produce, committed):
    """Members A and B share the partitions and consume phase 1; C joins; once the group settled
    on three members phase 2 is produced and consumed. Mirrors drivers/group-flow.ts."""
    processed = []
    lock = threading.Lock()
    members = {}
    errors = []
    all_parts = list(range(req["partitions"]))
    deadline = time.time() + req["timeoutMs"] / 1000.0

    def left():
        return max(1000, int((deadline - time.time()) * 1000))

    def on_message(name):
        def record(p, o, k):
            with lock:
                processed.append([name, p, o, k])
        return record

    def describe():
        return " ".join("%s=%s" % (n, m.assignment()) for n, m in members.items()) + ", %d processed" % len(processed)

    def settled():
        owned = [m.assignment() for m in members.values()]
        flat = sorted(p for a in owned for p in a)
        return all(len(a) > 0 for a in owned) and flat == all_parts

    def failed():
        return errors[0] if errors else None

    def wait_settled(what):
        while True:
            wait_for(settled, left(), lambda: "%s: %s" % (what, describe()), failed)
            time.sleep(0.3)
            if settled():
                return

    try:
        members["A"] = start_member("A", on_message("A"), errors)
        members["B"] = start_member("B", on_message("B"), errors)
        wait_settled("A and B to share every partition")
        produce(req["phase1"]["start"], req["phase1"]["count"])
        wait_for(lambda: len(processed) >= req["phase1"]["count"], left(), lambda: "phase 1 to be consumed: " + describe(), failed)
        time.sleep(0.3)
        members["C"] = start_member("C", on_message("C"), errors)
        wait_settled("A, B and C to settle")
        assignments = {n: m.assignment() for n, m in members.items()}
        produce(req["phase2"]["start"], req["phase2"]["count"])
        total = req["phase1"]["count"] + req["phase2"]["count"]
        wait_for(lambda: len(processed) >= total, left(), lambda: "phase 2 to be consumed: " + describe(), failed)
        time.sleep(0.3)
        stopping = list(members.values())
        members.clear()
        for m in stopping:
            m.stop_async()
        for m in stopping:
            m.join()
        return {"processed": processed, "assignments": assignments, "committed": committed()}
    finally:
        for m in members.values():
            m.stop_async()
        for m in members.values():
            m.join()


class Member(object):
    """A consumer polled by its own thread (a rebalance needs every member to keep polling)."""

    def __init__(self, name, poll_once, close, errors):
        self.name = name
        self.owned = []
        self._stop = threading.Event()
        self._poll_once = poll_once
        self._close = close
        self._errors = errors
        self._thread = threading.Thread(target=self._run, name="member-" + name, daemon=True)
        self._thread.start()

    def assignment(self):
        return sorted(self.owned)

    def _run(self):
        try:
            while not self._stop.is_set():
                self._poll_once()
        except Exception as e:  # noqa: BLE001 - reported to the waiting flow
            log("member %s failed: %s" % (self.name, traceback.format_exc()))
            self._errors.append(e)
        finally:
            try:
                self._close()
            except Exception:  # noqa: BLE001
                log("member %s close failed: %s" % (self.name, traceback.format_exc()))

    def stop_async(self):
        self._stop.set()

    def join(self):
        self._thread.join(30)


# ---- confluent-kafka ---------------------------------------------------------------------------


class ConfluentDriver(object):
    def __init__(self, bootstrap):
        import confluent_kafka
        from confluent_kafka.admin import AdminClient

        self.ck = confluent_kafka
        self.bootstrap = bootstrap
        self.admin = AdminClient({"bootstrap.servers": bootstrap, "logger": logging.getLogger("librdkafka")})
        self.groups = 0

    def conf(self, **extra):
        c = {"bootstrap.servers": self.bootstrap, "logger": logging.getLogger("librdkafka")}
        c.update(extra)
        return c

    def hello(self, _):
        return {
            "client": "confluent-kafka",
            "version": "%s (librdkafka %s)" % (self.ck.version()[0], self.ck.libversion()[0]),
            "produceCodecs": CODECS,
            "consumeCodecs": CODECS,
            "features": [],
        }

    def metadata(self, req):
        md = self.admin.list_topics(timeout=10)
        topics = []
        for name in req["topics"]:
            t = md.topics.get(name)
            if t is None:
                continue
            if t.error is not None:
                raise RuntimeError("metadata for %s: %s" % (name, t.error))
            parts = [{"id": p.id, "leader": p.leader, "replicas": list(p.replicas), "isr": list(p.isrs)} for p in t.partitions.values()]
            topics.append({"name": name, "partitions": sorted(parts, key=lambda p: p["id"])})
        return {
            "brokers": [{"id": b.id, "host": b.host, "port": b.port} for b in md.brokers.values()],
            "controllerId": md.controller_id,
            "topics": topics,
        }

    def createTopic(self, req):
        from confluent_kafka.admin import NewTopic

        fs = self.admin.create_topics([NewTopic(req["topic"], num_partitions=req["partitions"], replication_factor=1, config=req["configs"])], operation_timeout=10)
        fs[req["topic"]].result(timeout=20)

    def describeTopic(self, req):
        from confluent_kafka.admin import ConfigResource

        md = self.admin.list_topics(topic=req["topic"], timeout=10)
        fs = self.admin.describe_configs([ConfigResource("topic", req["topic"])])
        configs = {}
        for _, f in fs.items():
            for name, entry in f.result(timeout=20).items():
                if name in req["configKeys"]:
                    configs[name] = entry.value
        return {"partitions": len(md.topics[req["topic"]].partitions), "configs": configs}

    def deleteTopic(self, req):
        fs = self.admin.delete_topics([req["topic"]], operation_timeout=10)
        fs[req["topic"]].result(timeout=20)

    def listTopics(self, _):
        return {"topics": list(self.admin.list_topics(timeout=10).topics.keys())}

    def _produce(self, req):
        conf = self.conf(**{"acks": "all" if req["acks"] == -1 else str(req["acks"]), "compression.type": req["compression"], "linger.ms": 5})
        if req["idempotent"]:
            conf["enable.idempotence"] = True
        producer = self.ck.Producer(conf)
        errors = []

        def delivered(err, msg):
            if err is not None:
                errors.append("%s [%s]: %s" % (msg.topic(), msg.partition(), err))

        for i in range(req["start"], req["start"] + req["count"]):
            m = message_at(i, req["tag"], req["partitions"])
            headers = [(k, v.encode("utf-8")) for k, v in m["headers"]]
            while True:
                try:
                    producer.produce(req["topic"], value=m["value"].encode("utf-8"), key=m["key"].encode("utf-8"), partition=m["partition"], headers=headers, on_delivery=delivered)
                    break
                except BufferError:
                    producer.poll(0.05)
            producer.poll(0)
        left = producer.flush(60)
        if left:
            raise RuntimeError("%d messages still undelivered after 60 s" % left)
        if errors:
            raise RuntimeError("%d delivery errors, first: %s" % (len(errors), errors[0]))

    def produce(self, req):
        self._produce(req)
        return {"count": req["count"]}

    def consume(self, req):
        self.groups += 1
        conf = {"group.id": "compat-ck-read-%d-%d" % (os.getpid(), self.groups), "enable.auto.commit": False, "auto.offset.reset": "earliest", "fetch.wait.max.ms": 100}
        if req.get("readCommitted"):
            conf["isolation.level"] = "read_committed"
        c = self.ck.Consumer(self.conf(**conf))
        records = []
        try:
            c.assign([self.ck.TopicPartition(req["topic"], p, self.ck.OFFSET_BEGINNING) for p in range(req["partitions"])])
            deadline = time.time() + req["timeoutMs"] / 1000.0
            while len(records) < req["expect"] and time.time() < deadline:
                for msg in c.consume(num_messages=1000, timeout=0.2):
                    if msg.error():
                        if msg.error().fatal():
                            raise RuntimeError(str(msg.error()))
                        log("consume error: %s" % msg.error())
                        continue
                    records.append(self._record(msg))
        finally:
            c.close()
        return {"records": records}

    @staticmethod
    def _record(msg):
        headers = [[k, text(v)] for k, v in (msg.headers() or [])]
        return [msg.partition(), msg.offset(), text(msg.key()), text(msg.value()), headers]

    def group(self, req):
        ck = self.ck
        topic = req["topic"]

        def start_member(name, on_message, errors):
            c = ck.Consumer(self.conf(**{
                "group.id": req["groupId"], "enable.auto.commit": False, "auto.offset.reset": "earliest",
                "session.timeout.ms": 10000, "heartbeat.interval.ms": 500, "fetch.wait.max.ms": 100,
            }))
            member = None

            def on_assign(consumer, partitions):
                member.owned = [p.partition for p in partitions]

            def on_revoke(consumer, partitions):
                member.owned = []

            def poll_once():
                msg = c.poll(0.1)
                if msg is None:
                    return
                if msg.error():
                    log("member %s: %s" % (name, msg.error()))
                    return
                on_message(msg.partition(), msg.offset(), text(msg.key()))
                c.commit(message=msg, asynchronous=False)

            member = Member(name, poll_once, c.close, errors)
            c.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke)
            return member

        def produce(start, count):
            self._produce({"topic": topic, "partitions": req["partitions"], "start": start, "count": count, "tag": req["tag"], "compression": "none", "idempotent": False, "acks": -1})

        def committed():
            c = ck.Consumer(self.conf(**{"group.id": req["groupId"], "enable.auto.commit": False}))
            try:
                tps = c.committed([ck.TopicPartition(topic, p) for p in range(req["partitions"])], timeout=10)
                return {str(tp.partition): tp.offset for tp in tps}
            finally:
                c.close()

        return run_group_flow(req, start_member, produce, committed)

    def offsets(self, req):
        ck = self.ck
        c = ck.Consumer(self.conf(**{"group.id": "compat-ck-offsets-%d" % os.getpid(), "enable.auto.commit": False}))
        try:
            earliest, latest = [], []
            for p in range(req["partitions"]):
                lo, hi = c.get_watermark_offsets(ck.TopicPartition(req["topic"], p), timeout=10, cached=False)
                earliest.append(lo)
                latest.append(hi)
            by_time = [[] for _ in range(req["partitions"])]
            for ts in req["timestamps"]:
                found = c.offsets_for_times([ck.TopicPartition(req["topic"], p, ts) for p in range(req["partitions"])], timeout=10)
                for tp in found:
                    if tp.error:
                        raise RuntimeError("offsets_for_times %s [%d]: %s" % (tp.topic, tp.partition, tp.error))
                    by_time[tp.partition].append(tp.offset)
            return {"earliest": earliest, "latest": latest, "byTime": by_time}
        finally:
            c.close()


    def transactions(self, req):
        ck = self.ck
        producer = ck.Producer(self.conf(**{"transactional.id": req["transactionalId"], "transaction.timeout.ms": 30000, "linger.ms": 5}))
        # send_offsets_to_transaction takes the group's metadata from a consumer of that group.
        group = ck.Consumer(self.conf(**{"group.id": req["groupId"], "enable.auto.commit": False}))
        errors = []

        def delivered(err, msg):
            if err is not None:
                errors.append("%s [%s]: %s" % (msg.topic(), msg.partition(), err))

        committed = aborted = 0
        try:
            producer.init_transactions(30)
            for step in req["transactions"]:
                producer.begin_transaction()
                for i in range(step["start"], step["start"] + step["count"]):
                    m = message_at(i, req["tag"], req["partitions"])
                    headers = [(k, v.encode("utf-8")) for k, v in m["headers"]]
                    while True:
                        try:
                            producer.produce(req["topic"], value=m["value"].encode("utf-8"), key=m["key"].encode("utf-8"), partition=m["partition"], headers=headers, on_delivery=delivered)
                            break
                        except BufferError:
                            producer.poll(0.05)
                    producer.poll(0)
                if step.get("offsets"):
                    offsets = [ck.TopicPartition(req["offsetsTopic"], int(p), o) for p, o in step["offsets"].items()]
                    producer.send_offsets_to_transaction(offsets, group.consumer_group_metadata(), 30)
                if step["commit"]:
                    producer.commit_transaction(30)
                    committed += 1
                else:
                    # abort_transaction drops what is still queued: deliver everything first, so the
                    # aborted records are in the log and the broker has to hide them.
                    left = producer.flush(30)
                    if left:
                        raise RuntimeError("%d messages still undelivered before the abort" % left)
                    producer.abort_transaction(30)
                    aborted += 1
                producer.flush(30)
                if errors:
                    raise RuntimeError("%d delivery errors, first: %s" % (len(errors), errors[0]))
        finally:
            group.close()
        return {"committed": committed, "aborted": aborted}


# ---- kafka-python ------------------------------------------------------------------------------


class KafkaPythonDriver(object):
    def __init__(self, bootstrap):
        import kafka
        import kafka.codec

        self.kafka = kafka
        self.codec = kafka.codec
        self.bootstrap = bootstrap
        self._admin = None

    def admin(self):
        if self._admin is None:
            from kafka.admin import KafkaAdminClient

            self._admin = KafkaAdminClient(bootstrap_servers=self.bootstrap, client_id="millrace-compat-kafka-python")
        return self._admin

    def hello(self, _):
        have = {"gzip": self.codec.has_gzip(), "snappy": self.codec.has_snappy(), "lz4": self.codec.has_lz4(), "zstd": self.codec.has_zstd()}
        codecs = [c for c in CODECS if have[c]]
        return {
            "client": "kafka-python",
            "version": self.kafka.__version__,
            "produceCodecs": codecs,
            "consumeCodecs": codecs,
            "writesXerialSnappy": True,
            "features": ["no idempotent producer in 2.0.2 (n/a)", "writes xerial-framed snappy, as the Java client does"],
        }

    def metadata(self, req):
        a = self.admin()
        cluster = a.describe_cluster()
        topics = []
        for t in a.describe_topics(req["topics"]):
            if t["error_code"]:
                raise RuntimeError("metadata for %s: error %d" % (t["topic"], t["error_code"]))
            parts = [{"id": p["partition"], "leader": p["leader"], "replicas": list(p["replicas"]), "isr": list(p["isr"])} for p in t["partitions"]]
            topics.append({"name": t["topic"], "partitions": sorted(parts, key=lambda p: p["id"])})
        return {
            "brokers": [{"id": b["node_id"], "host": b["host"], "port": b["port"]} for b in cluster["brokers"]],
            "controllerId": cluster.get("controller_id"),
            "topics": topics,
        }

    def createTopic(self, req):
        from kafka.admin import NewTopic

        res = self.admin().create_topics([NewTopic(req["topic"], req["partitions"], 1, topic_configs=req["configs"])], timeout_ms=10000)
        for name, code, *rest in res.topic_errors:
            if code:
                raise RuntimeError("create %s: error %d %s" % (name, code, rest))

    def describeTopic(self, req):
        from kafka.admin import ConfigResource, ConfigResourceType

        a = self.admin()
        topic = a.describe_topics([req["topic"]])[0]
        responses = a.describe_configs([ConfigResource(ConfigResourceType.TOPIC, req["topic"])])
        configs = {}
        for response in responses:
            for resource in response.resources:
                error_code, error_message, _type, _name, entries = resource[:5]
                if error_code:
                    raise RuntimeError("describe_configs: error %d %s" % (error_code, error_message))
                for entry in entries:
                    if entry[0] in req["configKeys"]:
                        configs[entry[0]] = entry[1]
        return {"partitions": len(topic["partitions"]), "configs": configs}

    def deleteTopic(self, req):
        res = self.admin().delete_topics([req["topic"]], timeout_ms=10000)
        for name, code in res.topic_error_codes:
            if code:
                raise RuntimeError("delete %s: error %d" % (name, code))

    def listTopics(self, _):
        return {"topics": self.admin().list_topics()}

    def _produce(self, req):
        if req["idempotent"]:
            raise Unsupported("kafka-python 2.0.2 has no idempotent producer")
        from kafka import KafkaProducer

        acks = "all" if req["acks"] == -1 else req["acks"]
        compression = None if req["compression"] == "none" else req["compression"]
        producer = KafkaProducer(bootstrap_servers=self.bootstrap, acks=acks, compression_type=compression, linger_ms=5, client_id="millrace-compat-kafka-python")
        try:
            futures = []
            for i in range(req["start"], req["start"] + req["count"]):
                m = message_at(i, req["tag"], req["partitions"])
                headers = [(k, v.encode("utf-8")) for k, v in m["headers"]]
                futures.append(producer.send(req["topic"], value=m["value"].encode("utf-8"), key=m["key"].encode("utf-8"), partition=m["partition"], headers=headers))
            producer.flush(60)
            for f in futures:
                f.get(timeout=60)
        finally:
            producer.close(10)

    def produce(self, req):
        self._produce(req)
        return {"count": req["count"]}

    def consume(self, req):
        from kafka import KafkaConsumer, TopicPartition

        c = KafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None, enable_auto_commit=False, auto_offset_reset="earliest", fetch_max_wait_ms=100, client_id="millrace-compat-kafka-python")
        records = []
        try:
            tps = [TopicPartition(req["topic"], p) for p in range(req["partitions"])]
            c.assign(tps)
            c.seek_to_beginning(*tps)
            deadline = time.time() + req["timeoutMs"] / 1000.0
            while len(records) < req["expect"] and time.time() < deadline:
                for _, batch in c.poll(timeout_ms=200, max_records=2000).items():
                    for r in batch:
                        records.append([r.partition, r.offset, text(r.key), text(r.value), [[k, text(v)] for k, v in (r.headers or [])]])
        finally:
            c.close()
        return {"records": records}

    def group(self, req):
        from kafka import KafkaConsumer, TopicPartition
        from kafka.consumer.subscription_state import ConsumerRebalanceListener
        from kafka.structs import OffsetAndMetadata

        topic = req["topic"]

        def start_member(name, on_message, errors):
            c = KafkaConsumer(
                bootstrap_servers=self.bootstrap, group_id=req["groupId"], enable_auto_commit=False, auto_offset_reset="earliest",
                session_timeout_ms=10000, heartbeat_interval_ms=500, fetch_max_wait_ms=100, client_id="millrace-compat-kafka-python-" + name,
            )
            holder = {}

            class Listener(ConsumerRebalanceListener):
                def on_partitions_revoked(self, revoked):
                    holder["m"].owned = []

                def on_partitions_assigned(self, assigned):
                    holder["m"].owned = [tp.partition for tp in assigned]

            def poll_once():
                for tp, batch in c.poll(timeout_ms=100).items():
                    for r in batch:
                        on_message(r.partition, r.offset, text(r.key))
                        c.commit({TopicPartition(r.topic, r.partition): OffsetAndMetadata(r.offset + 1, None)})

            c.subscribe([topic], listener=Listener())
            holder["m"] = Member(name, poll_once, lambda: c.close(autocommit=False), errors)
            return holder["m"]

        def produce(start, count):
            self._produce({"topic": topic, "partitions": req["partitions"], "start": start, "count": count, "tag": req["tag"], "compression": "none", "idempotent": False, "acks": -1})

        def committed():
            offsets = self.admin().list_consumer_group_offsets(req["groupId"])
            return {str(tp.partition): om.offset for tp, om in offsets.items() if tp.topic == topic}

        return run_group_flow(req, start_member, produce, committed)

    def transactions(self, _):
        raise Unsupported("kafka-python 2.0.2 has no transactional producer")

    def offsets(self, req):
        from kafka import KafkaConsumer, TopicPartition

        c = KafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None, enable_auto_commit=False, client_id="millrace-compat-kafka-python")
        try:
            tps = [TopicPartition(req["topic"], p) for p in range(req["partitions"])]
            lo = c.beginning_offsets(tps)
            hi = c.end_offsets(tps)
            by_time = [[] for _ in tps]
            for ts in req["timestamps"]:
                found = c.offsets_for_times({tp: ts for tp in tps})
                for tp in tps:
                    hit = found.get(tp)
                    by_time[tp.partition].append(hit.offset if hit is not None else -1)
            return {"earliest": [lo[tp] for tp in tps], "latest": [hi[tp] for tp in tps], "byTime": by_time}
        finally:
            c.close()


def main():
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="%(name)s %(levelname)s %(message)s")
    which, bootstrap = sys.argv[1], sys.argv[2]
    out = sys.stdout
    sys.stdout = sys.stderr  # anything a library prints goes with the logs, never into the replies
    driver = ConfluentDriver(bootstrap) if which == "confluent-kafka" else KafkaPythonDriver(bootstrap)
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        reply = {"id": req.get("id")}
        try:
            fn = getattr(driver, req["op"], None)
            if fn is None:
                raise Unsupported("%s cannot do %s" % (which, req["op"]))
            result = fn(req)
            reply.update(ok=True, result=result)
        except Unsupported as e:
            reply.update(ok=False, unsupported=True, error=str(e))
        except Exception as e:  # noqa: BLE001 - every failure goes back to the runner
            log(traceback.format_exc())
            reply.update(ok=False, error="%s: %s" % (type(e).__name__, e))
        out.write(REPLY_PREFIX + json.dumps(reply) + "\n")
        out.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
