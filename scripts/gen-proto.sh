#!/usr/bin/env bash
# Regenerates src/gen/ from proto/ with ts-proto for @grpc/grpc-js. The output is committed
# and never edited by hand; a test fails when it is stale.
#
# ts-proto options and why:
#   outputServices=grpc-js   service definitions + typed clients for @grpc/grpc-js
#   env=node                 bytes fields are Buffer
#   forceLong=number         int64/uint64 as number: ids are safe integers by contract
#   esModuleInterop=true     matches tsconfig.json
#   importSuffix=.js         relative imports that resolve under NodeNext ESM
#   useExactTypes=false      lets callers pass plain object literals to fromPartial
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v protoc >/dev/null 2>&1; then
  echo "protoc not found. Install it with: apt-get install -y protobuf-compiler" >&2
  exit 1
fi

out="${1:-src/gen}"
rm -rf "$out"
mkdir -p "$out"
protoc \
  --plugin=protoc-gen-ts_proto=./node_modules/.bin/protoc-gen-ts_proto \
  --ts_proto_out="$out" \
  --ts_proto_opt=outputServices=grpc-js,env=node,forceLong=number,esModuleInterop=true,importSuffix=.js,useExactTypes=false \
  -I proto \
  proto/vectorxlite/v1/vectorxlite.proto \
  proto/cluster/v1/cluster.proto \
  proto/cluster/v1/raft.proto \
  proto/grpc/health/v1/health.proto
