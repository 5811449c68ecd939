"""KIP-73 replication quotas (pure)."""

import math

from kafka_clone.server.replication_quota import ReplicationQuotaManager, throttled_replicas


def test_throttled_replicas_parsing():
    assert throttled_replicas("*") == "*"
    assert throttled_replicas("0:101,1:102") == {(0, 101), (1, 102)}
    assert throttled_replicas("") == frozenset() and throttled_replicas(None) == frozenset()
    assert ReplicationQuotaManager.is_throttled("0:1,0:2", 0, 2)
    assert not ReplicationQuotaManager.is_throttled("0:1", 0, 2)
    assert ReplicationQuotaManager.is_throttled("*", 7, 3)


def test_rate_over_the_window():
    q = ReplicationQuotaManager()
    q.record(10_000_000, 0.0)
    assert not q.is_quota_exceeded(0.0)  # no rate configured: never throttled
    q.update_rate("1000")
    assert q.rate_bytes_per_s == 1000
    q.record(5000, 100.0)
    assert q.is_quota_exceeded(100.5)        # 5000 B in the first second > 1000 B/s
    assert not q.is_quota_exceeded(106.0)    # 5000 B over 6 s < 1000 B/s
    assert not q.is_quota_exceeded(200.0)    # the sample left the 11 s window
    q.update_rate(None)
    assert q.rate_bytes_per_s == math.inf
