"""Configuration: DescribeConfigs (32), AlterConfigs (33) and IncrementalAlterConfigs (44).

Mirrors the corresponding Kafka 2.8 JSON specs. IncrementalAlterConfigs (KIP-339) reuses
struct names of AlterConfigs, so its structs carry the message name as a prefix.
"""

from __future__ import annotations

from ..schema import ArrayOf, BOOL, INT16, INT32, INT8, STRING, f, message, struct


@struct
class DescribeConfigsResource:
    resource_type: int = f(INT8)
    resource_name: str = f(STRING)
    configuration_keys: tuple[str, ...] | None = f(ArrayOf(STRING), nullable="0+")


@message(api_key=32, valid="0-4", flexible="4+")
class DescribeConfigsRequest:
    resources: tuple[DescribeConfigsResource, ...] = f(ArrayOf(DescribeConfigsResource))
    include_synonyms: bool = f(BOOL, "1+")
    include_documentation: bool = f(BOOL, "3+")


@struct
class DescribeConfigsSynonym:
    name: str = f(STRING, "1+")
    value: str | None = f(STRING, "1+", nullable="0+")
    source: int = f(INT8, "1+")


@struct
class DescribeConfigsResourceResult:
    name: str = f(STRING)
    value: str | None = f(STRING, nullable="0+")
    read_only: bool = f(BOOL)
    is_default: bool = f(BOOL, "0")
    config_source: int = f(INT8, "1+", default=-1)
    is_sensitive: bool = f(BOOL)
    synonyms: tuple[DescribeConfigsSynonym, ...] = f(ArrayOf(DescribeConfigsSynonym), "1+")
    config_type: int = f(INT8, "3+")
    documentation: str | None = f(STRING, "3+", nullable="0+")


@struct
class DescribeConfigsResult:
    error_code: int = f(INT16)
    error_message: str | None = f(STRING, nullable="0+")
    resource_type: int = f(INT8)
    resource_name: str = f(STRING)
    configs: tuple[DescribeConfigsResourceResult, ...] = f(ArrayOf(DescribeConfigsResourceResult))


@message(api_key=32, valid="0-4", flexible="4+")
class DescribeConfigsResponse:
    throttle_time_ms: int = f(INT32)
    results: tuple[DescribeConfigsResult, ...] = f(ArrayOf(DescribeConfigsResult))


@struct
class AlterableConfig:
    name: str = f(STRING)
    value: str | None = f(STRING, nullable="0+")


@struct
class AlterConfigsResource:
    resource_type: int = f(INT8)
    resource_name: str = f(STRING)
    configs: tuple[AlterableConfig, ...] = f(ArrayOf(AlterableConfig))


@message(api_key=33, valid="0-2", flexible="2+")
class AlterConfigsRequest:
    resources: tuple[AlterConfigsResource, ...] = f(ArrayOf(AlterConfigsResource))
    validate_only: bool = f(BOOL)


@struct
class AlterConfigsResourceResponse:
    error_code: int = f(INT16)
    error_message: str | None = f(STRING, nullable="0+")
    resource_type: int = f(INT8)
    resource_name: str = f(STRING)


@message(api_key=33, valid="0-2", flexible="2+")
class AlterConfigsResponse:
    throttle_time_ms: int = f(INT32)
    responses: tuple[AlterConfigsResourceResponse, ...] = f(ArrayOf(AlterConfigsResourceResponse))


@struct
class IncrementalAlterConfigsRequestAlterableConfig:
    name: str = f(STRING)
    config_operation: int = f(INT8)
    value: str | None = f(STRING, nullable="0+")


@struct
class IncrementalAlterConfigsRequestAlterConfigsResource:
    resource_type: int = f(INT8)
    resource_name: str = f(STRING)
    configs: tuple[IncrementalAlterConfigsRequestAlterableConfig, ...] = f(ArrayOf(IncrementalAlterConfigsRequestAlterableConfig))


@message(api_key=44, valid="0-1", flexible="1+")
class IncrementalAlterConfigsRequest:
    resources: tuple[IncrementalAlterConfigsRequestAlterConfigsResource, ...] = f(ArrayOf(IncrementalAlterConfigsRequestAlterConfigsResource))
    validate_only: bool = f(BOOL)


@message(api_key=44, valid="0-1", flexible="1+")
class IncrementalAlterConfigsResponse:
    throttle_time_ms: int = f(INT32)
    responses: tuple[AlterConfigsResourceResponse, ...] = f(ArrayOf(AlterConfigsResourceResponse))
