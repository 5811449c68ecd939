"""`kclone configs` (Kafka 2.8's ``kafka-configs.sh``).

Option checks need no broker: they fail before anything connects. The rest runs against one
real in-process broker in a background thread (its own trio loop, since the CLI calls
``trio.run`` itself), on the session's ZooKeeper ensemble, in a chroot of its own.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import trio
from click.testing import CliRunner

from cli.configs import configs, parse_configs_to_be_added
from kafka_clone.client import KafkaAdminClient, NewTopic
from tests.cli.broker_thread import BrokerThread, fresh_chroot, one_broker_config
from zk.client import ZkClient
from zk.znodes import ConfigEntityChangeNotificationZNode

DEPRECATION = ("Warning: --zookeeper is deprecated and will be removed in a future version of Kafka.\n"
               "Use --bootstrap-server instead to specify a broker to connect to.\n")


def run(*args: str):
    return CliRunner().invoke(configs, list(args))


# ---- no broker needed ---------------------------------------------------------------------------

BS = ("--bootstrap-server", "127.0.0.1:1")
ZK = ("--zookeeper", "127.0.0.1:1")


@pytest.mark.parametrize("args,message", [
    (BS + ("--topic", "t"), "Command must include exactly one action: --describe, --alter"),
    (BS + ("--describe", "--alter", "--topic", "t"), "Command must include exactly one action: --describe, --alter"),
    (BS + ("--describe", "--topic", "t", "--add-config", "a=b"),
     'Option "[describe]" can\'t be used with option "[add-config]"'),
    (BS + ("--describe", "--topic", "t", "--delete-config", "a"),
     'Option "[describe]" can\'t be used with option "[delete-config]"'),
    (BS + ("--describe", "--entity-type", "users", "--user", "u"), "Duplicate entity type(s) specified: users"),
    (BS + ("--describe", "--entity-type", "widgets"),
     "Invalid entity type widgets, the entity type must be one of topics, clients, users, brokers, ips, "
     "broker-loggers with the --bootstrap-server argument"),
    (ZK + ("--describe", "--entity-type", "broker-loggers", "--entity-name", "1"),
     "Invalid entity type broker-loggers, the entity type must be one of topics, clients, users, brokers, ips "
     "with the --zookeeper argument"),
    (BS + ("--describe",), "At least one entity type must be specified"),
    (BS + ("--describe", "--entity-type", "topics", "--entity-type", "brokers"),
     "Only 'users' and 'clients' entity types may be specified together"),
    (BS + ("--describe", "--entity-name", "t", "--topic", "t"),
     "--entity-{type,name,default} should not be used in conjunction with specific entity flags"),
    (("--describe", "--topic", "t"),
     "One of the required --bootstrap-server or --zookeeper arguments must be specified"),
    (BS + ZK + ("--describe", "--topic", "t"), "Only one of --bootstrap-server or --zookeeper must be specified"),
    (ZK + ("--describe", "--topic", "t", "--all"), "--bootstrap-server must be specified for --all"),
    (BS + ("--describe", "--entity-type", "brokers", "--entity-name", "one"),
     "The entity name for brokers must be a valid integer broker id, but it is: one"),
    (BS + ("--describe", "--broker-logger", "x"),
     "The entity name for broker-loggers must be a valid integer broker id, but it is: x"),
    (BS + ("--describe", "--entity-type", "broker-loggers"),
     "an entity name must be specified with --describe of broker-loggers"),
    (BS + ("--alter", "--entity-type", "topics", "--add-config", "a=1"),
     "an entity name must be specified with --alter of topics"),
    (BS + ("--alter", "--entity-type", "brokers", "--add-config", "a=1"),
     "an entity-name or default entity must be specified with --alter of users, clients, brokers or ips"),
    (BS + ("--alter", "--topic", "t", "--add-config", "a=1", "--add-config-file", "f"),
     "Only one of --add-config or --add-config-file must be specified"),
    (BS + ("--alter", "--topic", "t"),
     "At least one of --add-config, --add-config-file, or --delete-config must be specified with --alter"),
    (BS + ("--alter", "--topic", "t", "--add-config", "retention.ms"),
     'requirement failed: Invalid entity config: all configs to be added must be in the format "key=val".'),
    (BS + ("--alter", "--topic", "t", "--add-config", "a=1,b"),
     'requirement failed: Invalid entity config: all configs to be added must be in the format "key=val".'),
    (BS + ("--alter", "--user", "u", "--add-config", "retention.ms=1"),
     "Only quota and SCRAM credential configs can be added for 'users' using --bootstrap-server. "
     "Unexpected config names: Set(retention.ms)"),
    (BS + ("--alter", "--client", "c", "--add-config", "SCRAM-SHA-256=[password=x]"),
     "Only quota configs can be added for 'clients' using --bootstrap-server. "
     "Unexpected config names: Set(SCRAM-SHA-256)"),
    (BS + ("--alter", "--client", "c", "--delete-config", "retention.ms,producer_byte_rate"),
     "Only quota configs can be deleted for 'clients' using --bootstrap-server. "
     "Unexpected config names: ArrayBuffer(retention.ms)"),
    (BS + ("--alter", "--user", "u", "--add-config", "SCRAM-SHA-256=[password=x],producer_byte_rate=10"),
     "Cannot alter both quota and SCRAM credential configs simultaneously for 'users' using --bootstrap-server."),
    (BS + ("--alter", "--user-defaults", "--add-config", "SCRAM-SHA-256=[password=x]"),
     "The use of --entity-default or --user-defaults is not allowed with User SCRAM Credentials using "
     "--bootstrap-server."),
])
def test_option_errors_are_kafkas_line_on_stderr_exit_1(args: tuple[str, ...], message: str) -> None:
    result = run(*args)
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", message + "\n"), result.output


def test_no_arguments_print_the_purpose_and_options() -> None:
    result = run()
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith("This tool helps to manipulate and describe entity config for a topic, client, "
                                    "user, broker or ip\nUsage: configs [OPTIONS]")


@pytest.mark.parametrize("text,expected", [
    ("a=1", {"a": "1"}),
    ("a = 1 , b=2", {"a": "1", "b": "2"}),
    ("cleanup.policy=[compact,delete],retention.ms=5", {"cleanup.policy": "compact,delete", "retention.ms": "5"}),
    ("k=[x=y,z]", {"k": "x=y,z"}),
    ("ssl.endpoint.identification.algorithm=", {"ssl.endpoint.identification.algorithm": ""}),
    ("a=1,", {"a": "1"}),  # String.split drops the trailing empty string
])
def test_add_config_syntax(text: str, expected: dict[str, str]) -> None:
    assert parse_configs_to_be_added(text, None) == expected


def test_add_config_file_then_add_config(tmp_path: Path) -> None:
    path = tmp_path / "c.properties"
    path.write_text("# comment\nretention.ms=10\nsegment.bytes = 2048\n")
    assert parse_configs_to_be_added("retention.ms=20", str(path)) == {"retention.ms": "20", "segment.bytes": "2048"}


def test_a_dead_bootstrap_server_times_out_in_one_line(tmp_path: Path) -> None:
    # Kafka's admin client keeps trying to reach a node until the call's deadline.
    props = tmp_path / "admin.properties"
    props.write_text("default.api.timeout.ms=1500\n")
    start = time.monotonic()
    result = run(*BS, "--command-config", str(props), "--describe", "--topic", "t")
    assert time.monotonic() - start < 10
    # As in Kafka, the heading is printed before the describe is sent.
    assert result.exit_code == 1 and result.stdout == "Dynamic configs for topic t are:\n"
    assert result.stderr == (
        "Error while executing config command with args '--bootstrap-server 127.0.0.1:1 --command-config "
        f"{props} --describe --topic t': org.apache.kafka.common.errors.TimeoutException: Timed out waiting "
        "for a node assignment. Call: describeConfigs\n")


def test_users_against_a_dead_server_time_out_too(tmp_path: Path) -> None:
    props = tmp_path / "admin.properties"
    props.write_text("default.api.timeout.ms=500\n")
    result = run(*BS, "--command-config", str(props), "--describe", "--user", "alice")
    assert result.exit_code == 1
    assert result.stderr.endswith("TimeoutException: Timed out waiting for a node assignment. Call: "
                                  "describeClientQuotas\n")


# ---- one real broker ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def zk_chroot(zookeeper_connect: str) -> str:
    return fresh_chroot(zookeeper_connect)


@pytest.fixture(scope="module")
def broker(zk_chroot: str, tmp_path_factory):
    with BrokerThread(one_broker_config(zk_chroot, tmp_path_factory.mktemp("configs-broker"),
                                        log_retention_hours="100")) as b:
        yield b


def create_topics(broker: BrokerThread, *names: str) -> None:
    async def create() -> None:
        async with KafkaAdminClient.create(broker.bootstrap) as admin:
            for result in await admin.create_topics([NewTopic(n, 1, 1) for n in names]):
                result.check()
    broker.call(create)


def wait_until(condition, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def ok(result) -> str:
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    return result.stdout


def test_topic_add_describe_delete(broker: BrokerThread) -> None:
    create_topics(broker, "demo")
    bs = ("--bootstrap-server", broker.bootstrap)
    out = ok(run(*bs, "--alter", "--topic", "demo",
                 "--add-config", "retention.ms=1000,cleanup.policy=[compact,delete]"))
    assert out == "Completed updating config for topic demo.\n"

    out = ok(run(*bs, "--entity-type", "topics", "--entity-name", "demo", "--describe"))
    assert out == (
        "Dynamic configs for topic demo are:\n"
        "  cleanup.policy=compact,delete sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:cleanup.policy="
        "compact,delete, DEFAULT_CONFIG:log.cleanup.policy=delete}\n"
        "  retention.ms=1000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=1000}\n")

    out = ok(run(*bs, "--alter", "--topic", "demo", "--delete-config", "cleanup.policy"))
    assert out == "Completed updating config for topic demo.\n"
    out = ok(run(*bs, "--describe", "--topic", "demo"))
    assert out == ("Dynamic configs for topic demo are:\n"
                   "  retention.ms=1000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=1000}\n")

    # --all: every config with its effective value, the overridden one included.
    out = ok(run(*bs, "--describe", "--topic", "demo", "--all"))
    lines = out.splitlines()
    assert lines[0] == "All configs for topic demo are:"
    assert "  retention.ms=1000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=1000}" in lines
    assert "  cleanup.policy=delete sensitive=false synonyms={DEFAULT_CONFIG:log.cleanup.policy=delete}" in lines
    assert [line.split("=")[0] for line in lines[1:]] == sorted(line.split("=")[0] for line in lines[1:])

    # The broker applies the override to its log (from /config/changes).
    wait_until(lambda: broker.server.log_manager.config_for("demo").retention_ms == 1000)


def test_topic_errors(broker: BrokerThread) -> None:
    create_topics(broker, "errs")
    bs = ("--bootstrap-server", broker.bootstrap)
    result = run(*bs, "--alter", "--topic", "errs", "--delete-config", "segment.ms,retention.ms")
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", "Invalid config(s): segment.ms,retention.ms\n")

    result = run(*bs, "--describe", "--topic", "nope")
    assert result.exit_code == 1 and result.stdout == "Dynamic configs for topic nope are:\n"
    assert result.stderr == (
        f"Error while executing config command with args '--bootstrap-server {broker.bootstrap} --describe "
        "--topic nope': org.apache.kafka.common.errors.UnknownTopicOrPartitionException: This server does not "
        "host this topic-partition.\n")

    result = run(*bs, "--alter", "--topic", "errs", "--add-config", "retention.ms=soon")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith("Error while executing config command with args '")
    assert "org.apache.kafka.common.errors.InvalidRequestException: Invalid config value for resource " \
           "ConfigResource(type=TOPIC, name='errs')" in result.stderr
    assert "Traceback" not in result.output

    result = run(*bs, "--alter", "--topic", "errs", "--add-config", "no.such.config=1")
    assert result.exit_code == 1
    assert result.stderr.endswith(
        "org.apache.kafka.common.errors.InvalidConfigurationException: Unknown topic config name: no.such.config\n")

    result = run(*bs, "--describe", "--users")  # not an option: click's own usage error
    assert result.exit_code == 2


def test_describe_every_topic_and_broker(broker: BrokerThread) -> None:
    create_topics(broker, "list-a", "list-b")
    bs = ("--bootstrap-server", broker.bootstrap)
    out = ok(run(*bs, "--describe", "--entity-type", "topics"))
    assert "Dynamic configs for topic list-a are:\nDynamic configs for topic list-b are:\n" in out

    out = ok(run(*bs, "--describe", "--entity-type", "brokers"))
    assert out.startswith("Dynamic configs for broker 1 are:\n")
    assert "Default configs for brokers in the cluster are:\n" in out


def test_broker_and_default_dynamic_configs(broker: BrokerThread) -> None:
    create_topics(broker, "plain")
    bs = ("--bootstrap-server", broker.bootstrap)
    out = ok(run(*bs, "--alter", "--broker-defaults", "--add-config", "log.retention.ms=123456"))
    assert out == "Completed updating default config for brokers in the cluster.\n"
    out = ok(run(*bs, "--describe", "--entity-type", "brokers", "--entity-default"))
    assert out == (
        "Default configs for brokers in the cluster are:\n"
        "  log.retention.ms=123456 sensitive=false synonyms={DYNAMIC_DEFAULT_BROKER_CONFIG:log.retention.ms=123456, "
        "STATIC_BROKER_CONFIG:log.retention.hours=100, DEFAULT_CONFIG:log.retention.hours=168}\n")

    # A topic without its own retention follows the new default, live.
    wait_until(lambda: broker.server.log_manager.config_for("plain").retention_ms == 123456)
    out = ok(run(*bs, "--describe", "--topic", "plain", "--all"))
    retention = [line for line in out.splitlines() if line.startswith("  retention.ms=")]
    assert retention == ["  retention.ms=123456 sensitive=false synonyms={DYNAMIC_DEFAULT_BROKER_CONFIG:"
                         "log.retention.ms=123456, STATIC_BROKER_CONFIG:log.retention.hours=100, "
                         "DEFAULT_CONFIG:log.retention.hours=168}"]

    # One broker's own config; 2.8 sends the whole new dynamic set with AlterConfigs.
    out = ok(run(*bs, "--alter", "--entity-type", "brokers", "--entity-name", "1",
                 "--add-config", "log.cleaner.threads=2,log.retention.bytes=1000000"))
    assert out == "Completed updating config for broker 1.\n"
    out = ok(run(*bs, "--alter", "--broker", "1", "--delete-config", "log.cleaner.threads"))
    assert out == "Completed updating config for broker 1.\n"
    out = ok(run(*bs, "--describe", "--broker", "1"))
    assert out == (
        "Dynamic configs for broker 1 are:\n"
        "  log.retention.bytes=1000000 sensitive=false synonyms={DYNAMIC_BROKER_CONFIG:log.retention.bytes=1000000, "
        "DEFAULT_CONFIG:log.retention.bytes=-1}\n")
    wait_until(lambda: broker.server.log_manager.config_for("plain").retention_bytes == 1000000)

    result = run(*bs, "--alter", "--broker", "1", "--delete-config", "log.cleaner.threads")
    assert (result.exit_code, result.stderr) == (1, "Invalid config(s): log.cleaner.threads\n")
    result = run(*bs, "--alter", "--broker", "1", "--add-config", "broker.id=7")
    assert result.exit_code == 1
    assert result.stderr.endswith("Cannot update these configs dynamically: Set(broker.id)\n")

    ok(run(*bs, "--alter", "--broker-defaults", "--delete-config", "log.retention.ms"))
    ok(run(*bs, "--alter", "--broker", "1", "--delete-config", "log.retention.bytes"))
    out = ok(run(*bs, "--describe", "--broker-defaults"))
    assert out == "Default configs for brokers in the cluster are:\n"
    wait_until(lambda: broker.server.log_manager.config_for("plain").retention_ms == 100 * 3600 * 1000)


def test_add_config_file_and_sensitive_broker_entries(broker: BrokerThread, tmp_path: Path) -> None:
    create_topics(broker, "from-file")
    bs = ("--bootstrap-server", broker.bootstrap)
    path = tmp_path / "topic.properties"
    path.write_text("retention.ms=7000\nmax.message.bytes=2048\n")
    out = ok(run(*bs, "--alter", "--topic", "from-file", "--add-config-file", str(path)))
    assert out == "Completed updating config for topic from-file.\n"
    out = ok(run(*bs, "--describe", "--topic", "from-file"))
    assert [line.split(" ")[2] for line in out.splitlines()[1:]] == ["max.message.bytes=2048", "retention.ms=7000"]

    missing = tmp_path / "missing.properties"
    result = run(*bs, "--alter", "--topic", "from-file", "--add-config-file", str(missing))
    assert result.exit_code == 1 and result.stderr.endswith(f"java.nio.file.NoSuchFileException: {missing}\n")
    result = run(*bs, "--command-config", str(missing), "--describe", "--topic", "from-file")
    assert result.exit_code == 1 and result.stderr.endswith(f"java.nio.file.NoSuchFileException: {missing}\n")

    # A config the broker does not know is stored, and described as sensitive (its value hidden):
    # 2.8's tool sends the whole set back with AlterConfigs, so it must be given again.
    ok(run(*bs, "--alter", "--broker", "1", "--add-config", "custom.thing=1"))
    out = ok(run(*bs, "--describe", "--broker", "1"))
    assert "  custom.thing=null sensitive=true synonyms={DYNAMIC_BROKER_CONFIG:custom.thing=null}\n" in out
    result = run(*bs, "--alter", "--broker", "1", "--add-config", "log.cleaner.threads=2")
    assert (result.exit_code, result.stderr) == (
        1, "All sensitive broker config entries must be specified for --alter, missing entries: Set(custom.thing)\n")
    ok(run(*bs, "--alter", "--broker", "1", "--add-config", "custom.thing=2,log.cleaner.threads=2"))
    ok(run(*bs, "--alter", "--broker", "1", "--delete-config", "custom.thing,log.cleaner.threads"))
    assert ok(run(*bs, "--describe", "--broker", "1")) == "Dynamic configs for broker 1 are:\n"


def test_broker_loggers(broker: BrokerThread) -> None:
    bs = ("--bootstrap-server", broker.bootstrap)
    out = ok(run(*bs, "--describe", "--broker-logger", "1"))
    assert out.startswith("Dynamic configs for broker-logger 1 are:\n")
    assert "  root=" in out
    name = "kafka_clone.server.broker"
    assert f"  {name}=" in out
    out = ok(run(*bs, "--alter", "--broker-logger", "1", "--add-config", f"{name}=DEBUG"))
    assert out == "Completed updating config for broker-logger 1.\n"
    assert f"  {name}=DEBUG sensitive=false synonyms={{}}\n" in ok(run(*bs, "--describe", "--broker-logger", "1"))
    ok(run(*bs, "--alter", "--broker-logger", "1", "--delete-config", name))
    result = run(*bs, "--alter", "--broker-logger", "1", "--add-config", "no.such.logger=INFO")
    assert (result.exit_code, result.stderr) == (1, "Invalid broker logger(s): no.such.logger\n")


@pytest.mark.parametrize("args,api", [
    (("--describe", "--entity-type", "clients"), "DESCRIBE_CLIENT_QUOTAS"),
    (("--alter", "--user", "u", "--add-config", "producer_byte_rate=10"), "DESCRIBE_CLIENT_QUOTAS"),
    (("--alter", "--user", "u", "--add-config", "SCRAM-SHA-512=[password=x]"), "ALTER_USER_SCRAM_CREDENTIALS"),
])
def test_users_and_clients_need_apis_our_broker_lacks(broker: BrokerThread, args: tuple[str, ...], api: str) -> None:
    result = run("--bootstrap-server", broker.bootstrap, *args)
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.endswith(f"org.apache.kafka.common.errors.UnsupportedVersionException: The broker does "
                                  f"not support {api}\n")


# ---- --zookeeper ----------------------------------------------------------------------------------


def zk_read(connect: str, path: str) -> tuple[bytes | None, list[str]]:
    async def read():
        async with ZkClient.open(connect, session_timeout_ms=6000, connection_timeout_ms=5000) as zk:
            got = await zk.get_or_none(path)
            changes = await zk.get_children_or_empty(ConfigEntityChangeNotificationZNode.path())
            return (None if got is None else got[0]), changes
    return trio.run(read)


def test_zookeeper_topic_configs(broker: BrokerThread, zk_chroot: str) -> None:
    create_topics(broker, "zk-demo")
    zk = ("--zookeeper", zk_chroot)
    _, before = zk_read(zk_chroot, "/config/changes")
    out = ok(run(*zk, "--alter", "--entity-type", "topics", "--entity-name", "zk-demo",
                 "--add-config", "retention.ms=4242,segment.ms=600000"))
    assert out == DEPRECATION + "Completed updating config for entity: topic 'zk-demo'.\n"
    data, after = zk_read(zk_chroot, "/config/topics/zk-demo")
    assert json.loads(data) == {"version": 1, "config": {"retention.ms": "4242", "segment.ms": "600000"}}
    new = sorted(set(after) - set(before))
    assert len(new) == 1 and new[0].startswith("config_change_")
    notification, _ = zk_read(zk_chroot, f"/config/changes/{new[0]}")
    assert notification == b'{"version":2,"entity_path":"topics/zk-demo"}'
    # The broker learns it from the notification.
    wait_until(lambda: broker.server.log_manager.config_for("zk-demo").retention_ms == 4242)

    out = ok(run(*zk, "--describe", "--topic", "zk-demo"))
    # Properties order (a Java Hashtable), the order the znode's JSON has too.
    assert out == DEPRECATION + "Configs for topic 'zk-demo' are retention.ms=4242,segment.ms=600000\n"
    assert data == b'{"version":1,"config":{"retention.ms":"4242","segment.ms":"600000"}}'
    out = ok(run(*zk, "--alter", "--topic", "zk-demo", "--delete-config", "segment.ms"))
    assert out == DEPRECATION + "Completed updating config for entity: topic 'zk-demo'.\n"
    assert json.loads(zk_read(zk_chroot, "/config/topics/zk-demo")[0])["config"] == {"retention.ms": "4242"}

    result = run(*zk, "--alter", "--topic", "zk-demo", "--delete-config", "segment.ms")
    assert (result.exit_code, result.stdout, result.stderr) == (1, DEPRECATION, "Invalid config(s): segment.ms\n")
    result = run(*zk, "--alter", "--topic", "zk-nope", "--add-config", "retention.ms=1")
    assert result.exit_code == 1
    assert result.stderr.endswith(
        "org.apache.kafka.common.errors.UnknownTopicOrPartitionException: Topic 'zk-nope' does not exist.\n")
    result = run(*zk, "--alter", "--topic", "zk-demo", "--add-config", "bogus=1")
    assert (result.exit_code, result.stderr) == (1, "Unknown topic config name: bogus\n")


def test_zookeeper_broker_configs_only_while_the_broker_is_down(broker: BrokerThread, zk_chroot: str) -> None:
    zk = ("--zookeeper", zk_chroot)
    # Replication throttles may be changed at any time (KIP-73).
    out = ok(run(*zk, "--alter", "--broker", "1", "--add-config", "leader.replication.throttled.rate=1000000"))
    assert out == DEPRECATION + "Completed updating config for entity: brokers '1'.\n"
    assert json.loads(zk_read(zk_chroot, "/config/brokers/1")[0])["config"] == {
        "leader.replication.throttled.rate": "1000000"}
    out = ok(run(*zk, "--describe", "--broker", "1"))
    assert out == DEPRECATION + "Configs for brokers '1' are leader.replication.throttled.rate=1000000\n"

    info = ("Broker configuration updates using ZooKeeper are supported for bootstrapping before brokers are "
            "started to enable encrypted password configs to be stored in ZooKeeper.")
    result = run(*zk, "--alter", "--broker", "1", "--add-config", "log.retention.ms=5")
    assert (result.exit_code, result.stderr) == (1, (
        "requirement failed: --bootstrap-server option must be specified to update broker configs "
        f"Set(log.retention.ms). when broker 1 is running. {info}\n"))
    result = run(*zk, "--alter", "--entity-type", "brokers", "--entity-default", "--add-config", "log.retention.ms=5")
    assert (result.exit_code, result.stderr) == (1, (
        "requirement failed: --bootstrap-server option must be specified to update broker configs "
        f"Set(log.retention.ms). for default cluster if any broker is running. {info}\n"))

    # A broker that is not running (id 2) may be bootstrapped through ZooKeeper.
    out = ok(run(*zk, "--alter", "--broker", "2", "--add-config", "log.retention.ms=5"))
    assert out == DEPRECATION + "Completed updating config for entity: brokers '2'.\n"
    result = run(*zk, "--alter", "--broker", "2", "--add-config", "broker.id=3")
    assert result.exit_code == 1
    assert result.stderr.endswith("Cannot update these configs dynamically: Set(broker.id)\n")
    ok(run(*zk, "--alter", "--broker", "1", "--delete-config", "leader.replication.throttled.rate"))


def test_zookeeper_users_and_clients(zk_chroot: str, broker: BrokerThread) -> None:
    zk = ("--zookeeper", zk_chroot)
    out = ok(run(*zk, "--alter", "--entity-type", "clients", "--entity-name", "app 1",
                 "--add-config", "producer_byte_rate=1024,consumer_byte_rate=2048"))
    assert out == DEPRECATION + "Completed updating config for entity: client-id 'app 1'.\n"
    assert json.loads(zk_read(zk_chroot, "/config/clients/app%201")[0])["config"] == {
        "producer_byte_rate": "1024", "consumer_byte_rate": "2048"}
    out = ok(run(*zk, "--describe", "--entity-type", "clients"))
    assert out == DEPRECATION + "Configs for client-id 'app 1' are producer_byte_rate=1024,consumer_byte_rate=2048\n"

    out = ok(run(*zk, "--alter", "--entity-type", "users", "--entity-name", "alice", "--entity-type", "clients",
                 "--entity-default", "--add-config", "request_percentage=50"))
    assert out == DEPRECATION + "Completed updating config for entity: user-principal 'alice', default client-id.\n"
    assert zk_read(zk_chroot, "/config/users/alice/clients/<default>")[0] is not None

    out = ok(run(*zk, "--alter", "--user", "bob", "--add-config", "SCRAM-SHA-256=[iterations=4096,password=secret]"))
    assert out == DEPRECATION + "Completed updating config for entity: user-principal 'bob'.\n"
    stored = json.loads(zk_read(zk_chroot, "/config/users/bob")[0])["config"]["SCRAM-SHA-256"]
    assert stored.startswith("salt=") and ",stored_key=" in stored and stored.endswith(",iterations=4096")

    result = run(*zk, "--alter", "--client", "c", "--add-config", "bogus=1")
    assert (result.exit_code, result.stderr) == (1, "requirement failed: Unknown Dynamic Configuration: Set(bogus).\n")
    result = run(*zk, "--alter", "--user", "bob", "--add-config", "SCRAM-SHA-256=[iterations=10,password=x]")
    assert (result.exit_code, result.stderr) == (
        1, "Iterations 10 is less than the minimum 4096 required for SCRAM-SHA-256\n")
