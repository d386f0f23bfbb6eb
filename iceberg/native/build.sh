#!/usr/bin/env bash
# Builds the native Parquet encoder (arrow-rs's ArrowWriter for Node) into
# iceberg/native/netflow_parquet.node, unless it is newer than its sources.
# Needs Rust >= 1.88 (rustup's cargo is found in ~/.cargo/bin too); crates are
# pinned by Cargo.lock (--locked). Without it the Iceberg writer uses
# parquet-wasm: the same encoder, the same files, ~3x slower.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/netflow_parquet.node"
if [[ -f "$out" && -z "$(find "$here/src" "$here/Cargo.toml" "$here/Cargo.lock" "$here/build.rs" -newer "$out" -print -quit)" ]]; then
  exit 0
fi
cargo="$(command -v cargo || true)"
if [[ -z "$cargo" && -x "$HOME/.cargo/bin/cargo" ]]; then cargo="$HOME/.cargo/bin/cargo"; fi
if [[ -z "$cargo" ]]; then
  echo "native Parquet encoder: cargo not found (install Rust with rustup); the Iceberg writer will use parquet-wasm" >&2
  exit 1
fi
echo "native Parquet encoder: building with $("$cargo" --version) (a few minutes the first time)" >&2
"$cargo" build --release --locked --quiet --manifest-path "$here/Cargo.toml" --target-dir "$here/target"
cp "$here/target/release/libnetflow_parquet_native.so" "$out.tmp"
mv "$out.tmp" "$out"
echo "native Parquet encoder: built $out" >&2
