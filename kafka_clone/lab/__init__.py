"""The lab: a whole cluster as background processes, the znode tree, guided demos."""
