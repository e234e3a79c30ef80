#!/usr/bin/env bash
# Regenerates the Go code for the protobuf definitions under messages/.
# Tools are pinned: protoc 3.21.12 (Debian package protobuf-compiler) and
# protoc-gen-go from go.mod (run via `go tool`).
set -euo pipefail

want="libprotoc 3.21.12"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if ! command -v protoc >/dev/null 2>&1; then
	echo "gen.sh: protoc not found; install the Debian package protobuf-compiler (want $want)" >&2
	exit 1
fi
have="$(protoc --version)"
if [[ "$have" != "$want" ]]; then
	echo "gen.sh: protoc reports '$have', need '$want' (Debian package protobuf-compiler 3.21.12)" >&2
	exit 1
fi

plugin="$(go tool -n protoc-gen-go)"

protoc \
	--plugin=protoc-gen-go="$plugin" \
	-I messages \
	--go_out=messages \
	--go_opt=paths=source_relative \
	messages/mesos/mesos.proto \
	messages/mesos/quota.proto \
	messages/scheduler/scheduler.proto \
	messages/mesosinternal/messages.proto \
	messages/mesosinternal/registry.proto

# The actors layer's wire envelope (package actors).
protoc \
	--plugin=protoc-gen-go="$plugin" \
	-I actors \
	--go_out=actors \
	--go_opt=paths=source_relative \
	actors/envelope.proto
