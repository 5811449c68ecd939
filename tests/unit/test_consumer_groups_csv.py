"""The reset-plan CSV of ``kclone consumer-groups --reset-offsets --export`` / ``--from-file``:
Kafka 2.8's ``exportOffsetsToCsv`` and ``parseResetPlan`` (Jackson's CsvMapper), golden text."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cli.consumer_groups import ResetPlanError, format_reset_plan_csv, parse_reset_plan_csv, read_reset_plan
from kafka_clone.common.topic import TopicPartition


def tp(topic: str, partition: int) -> TopicPartition:
    return TopicPartition(topic, partition)


def test_one_group_exports_topic_partition_offset_rows() -> None:
    plan = {"g": {tp("orders", 0): 0, tp("orders", 1): 42, tp("audit.log_v2", 10): 9223372036854775807}}
    assert format_reset_plan_csv(plan, with_group=False) == (
        "orders,0,0\n"
        "orders,1,42\n"
        "audit.log_v2,10,9223372036854775807\n")


def test_several_groups_export_group_first() -> None:
    plan = {"g1": {tp("t", 0): 5}, "g2": {tp("t", 0): 6, tp("t", 1): 7}, "empty": {}}
    assert format_reset_plan_csv(plan, with_group=True) == "g1,t,0,5\ng2,t,0,6\ng2,t,1,7\n"
    assert format_reset_plan_csv({}, with_group=True) == ""


def test_values_are_quoted_as_jacksons_loose_check_does() -> None:
    # Longer than 24 characters: always quoted. Shorter: quoted when a character is below '-'
    # (space, '"', '#', '+', ',' ...), with quotes doubled. '-', '.', '_' and alphanumerics are not.
    plan = {
        "my group": {tp("a" * 24, 0): 1, tp("a" * 25, 1): 2},
        'say "hi"': {tp("t-1.x_y", 0): 3},
        "a,b": {tp("t", 0): 4},
        "c#+!": {tp("t", 0): 5},
    }
    assert format_reset_plan_csv(plan, with_group=True) == (
        f'"my group",{"a" * 24},0,1\n'
        f'"my group","{"a" * 25}",1,2\n'
        '"say ""hi""",t-1.x_y,0,3\n'
        '"a,b",t,0,4\n'
        '"c#+!",t,0,5\n')


def test_a_single_group_reads_either_format() -> None:
    no_group = "orders,0,7\norders,1,8\n"
    assert parse_reset_plan_csv(no_group, "g") == {"g": {tp("orders", 0): 7, tp("orders", 1): 8}}
    with_group = "g,orders,0,7\nother,orders,0,1\n"
    assert parse_reset_plan_csv(with_group, "g") == {"g": {tp("orders", 0): 7}, "other": {tp("orders", 0): 1}}


def test_several_groups_read_group_first_rows_only() -> None:
    assert parse_reset_plan_csv("g1,t,0,5\ng2,t,1,6\n", None) == {"g1": {tp("t", 0): 5}, "g2": {tp("t", 1): 6}}
    with pytest.raises(ResetPlanError, match=r"^Malformed line 1 of the reset plan \('t,0,5'\): "
                                             r"expected group,topic,partition,offset$"):
        parse_reset_plan_csv("t,0,5\n", None)


def test_quotes_line_ends_and_repeated_partitions() -> None:
    text = '"my group","a,b",0,5\r\n"say ""hi""",t,1,6\r\n"my group","a,b",0,9\n\n\n'
    assert parse_reset_plan_csv(text, None) == {"my group": {tp("a,b", 0): 9}, 'say "hi"': {tp("t", 1): 6}}
    # Numbers may carry spaces and a sign, as Jackson reads them; negative offsets are clamped later.
    assert parse_reset_plan_csv("t, 1 ,-3\n", "g") == {"g": {tp("t", 1): -3}}


@pytest.mark.parametrize("text,single,message", [
    ("", "g", "The reset plan is empty"),
    ("\n\n", "g", "The reset plan is empty"),
    ("t,0\n", "g", "Malformed line 1 of the reset plan ('t,0'): expected topic,partition,offset or "
                   "group,topic,partition,offset"),
    ("t,0,1\nt,1\n", "g", "Malformed line 2 of the reset plan ('t,1'): expected topic,partition,offset"),
    ("t,0,1\n\nt,1,2\n", "g", "Malformed line 2 of the reset plan (''): expected topic,partition,offset"),
    ("t,0,1\ng,t,1,2\n", "g", "Malformed line 2 of the reset plan ('g,t,1,2'): expected topic,partition,offset"),
    ("t,0,abc\n", "g", "Malformed line 1 of the reset plan ('t,0,abc'): offset 'abc' is not a long"),
    ("t,0,1.5\n", "g", "Malformed line 1 of the reset plan ('t,0,1.5'): offset '1.5' is not a long"),
    ("t,0,9223372036854775808\n", "g",
     "Malformed line 1 of the reset plan ('t,0,9223372036854775808'): offset '9223372036854775808' is not a long"),
    ("t,x,1\n", "g", "Malformed line 1 of the reset plan ('t,x,1'): partition 'x' is not an int"),
    ("t,2147483648,1\n", "g",
     "Malformed line 1 of the reset plan ('t,2147483648,1'): partition '2147483648' is not an int"),
    (",0,1\n", "g", "Malformed line 1 of the reset plan (',0,1'): the topic is empty"),
    ('g,"t,0,1\n', None, "Malformed line 1 of the reset plan ('g,\"t,0,1'): expected group,topic,partition,offset"),
    ("g,t,٣,1\n", None, "Malformed line 1 of the reset plan ('g,t,٣,1'): partition '٣' is not an int"),
])
def test_malformed_plans_are_one_line_errors(text: str, single: str | None, message: str) -> None:
    with pytest.raises(ResetPlanError) as info:
        parse_reset_plan_csv(text, single)
    assert str(info.value) == message


def test_reading_the_file(tmp_path) -> None:
    path = tmp_path / "plan.csv"
    path.write_text("t,0,5\n")
    assert read_reset_plan(str(path), "g") == {"g": {tp("t", 0): 5}}
    with pytest.raises(ResetPlanError, match=r"^Cannot read the reset plan .*missing\.csv: No such file or directory$"):
        read_reset_plan(str(tmp_path / "missing.csv"), "g")
    with pytest.raises(ResetPlanError, match="Is a directory"):
        read_reset_plan(str(tmp_path), "g")
    path.write_bytes(b"t,0,\xff\n")
    with pytest.raises(ResetPlanError, match="^Cannot read the reset plan"):
        read_reset_plan(str(path), "g")


names = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\r\n"), min_size=1, max_size=40)
topics = st.text(alphabet=string.ascii_letters + string.digits + "._-", min_size=1, max_size=40)
plans = st.dictionaries(names, st.dictionaries(
    st.builds(TopicPartition, topics, st.integers(0, 2**31 - 1)), st.integers(-(2**63), 2**63 - 1), min_size=1),
    min_size=1, max_size=4)


@given(plans)
def test_an_exported_plan_reads_back(plan) -> None:
    assert parse_reset_plan_csv(format_reset_plan_csv(plan, with_group=True), None) == plan
    for group, offsets in plan.items():
        one = {group: offsets}
        assert parse_reset_plan_csv(format_reset_plan_csv(one, with_group=False), group) == one
