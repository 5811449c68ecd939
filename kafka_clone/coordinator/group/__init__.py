"""The group coordinator (Kafka 2.8 ``kafka.coordinator.group``).

- ``member_metadata``: one member of a group (``MemberMetadata.scala``);
- ``group_metadata``: a group and its state machine (``GroupMetadata.scala``);
- ``delayed``: the coordinator's timers, trio deadlines instead of Kafka's purgatory
  (``DelayedJoin``, ``InitialDelayedJoin``, ``DelayedHeartbeat``);
- ``group_metadata_manager``: ``__consumer_offsets``: partition choice, records, load/unload,
  offset expiry (``GroupMetadataManager.scala``);
- ``group_coordinator``: JoinGroup/SyncGroup/Heartbeat/LeaveGroup (``GroupCoordinator.scala``);
- ``offsets_and_admin``: the rest of ``GroupCoordinator``: offsets, List/Describe/DeleteGroups, expiry.
"""
