"""Hypothesis strategies generated from the schema declarations themselves.

``message_strategy(cls, version)`` builds random instances of a request/response class holding
values only in the fields that exist at ``version`` (others keep their defaults), so
encode -> decode must give back an equal object.
"""

from __future__ import annotations

from functools import lru_cache

from hypothesis import strategies as st

from kafka_clone.protocol.schema import ArrayOf, Type, is_struct

_INTS = {
    "int8": st.integers(-(2**7), 2**7 - 1),
    "int16": st.integers(-(2**15), 2**15 - 1),
    "int32": st.integers(-(2**31), 2**31 - 1),
    "int64": st.integers(-(2**63), 2**63 - 1),
    "uint16": st.integers(0, 2**16 - 1),
}


def _type_strategy(tp, version: int, flexible: bool) -> st.SearchStrategy:
    if isinstance(tp, Type):
        kind = tp.kind
        if kind in _INTS:
            return _INTS[kind]
        if kind == "float64":
            return st.floats(allow_nan=False)
        if kind == "bool":
            return st.booleans()
        if kind == "string":
            return st.text(max_size=8)
        if kind == "bytes":
            return st.binary(max_size=8)
        if kind == "records":
            return st.binary(max_size=16)
        if kind == "uuid":
            return st.uuids()
        raise AssertionError(kind)
    if isinstance(tp, ArrayOf):
        return st.lists(_type_strategy(tp.element, version, flexible), max_size=3).map(tuple)
    assert is_struct(tp)
    return struct_strategy(tp, version, flexible)


@lru_cache(maxsize=None)
def struct_strategy(cls, version: int, flexible: bool) -> st.SearchStrategy:
    fields = {}
    for spec in cls.__kafka_fields__:
        if version not in spec.versions:
            continue
        s = _type_strategy(spec.type, version, flexible)
        if version in spec.nullable:
            s = st.none() | s
        fields[spec.name] = s
    return st.builds(cls, **fields)


def message_strategy(cls, version: int) -> st.SearchStrategy:
    return struct_strategy(cls, version, version in cls.FLEXIBLE_VERSIONS)
