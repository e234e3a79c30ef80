package actors

import cmap "github.com/orcaman/concurrent-map"

// protoactor's process registry is 1,024 concurrent maps of
// concurrent-map's SHARD_COUNT (32) shards each: 32,768 Go maps made by
// every actor system at its start, most of a command executor's start-up
// CPU and a garbage collection in every process. The 1,024 buckets, each
// with its own lock, already spread the registry's contention, so one shard
// per bucket is enough. SHARD_COUNT is read whenever a map is used, so it
// is set here, before any actor system exists, and never again.
func init() { cmap.SHARD_COUNT = 1 }
