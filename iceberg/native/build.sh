#!/usr/bin/env bash
# Builds the native Parquet encoder (arrow-rs's ArrowWriter for Node) into
# iceberg/native/netflow_parquet.node. Needs Rust >= 1.85 (rustup's cargo is
# found in ~/.cargo/bin too). Crates are pinned by Cargo.lock (--locked).
# Without it the Iceberg writer uses parquet-wasm, the same encoder ~3x slower.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cargo="$(command -v cargo || true)"
if [[ -z "$cargo" && -x "$HOME/.cargo/bin/cargo" ]]; then cargo="$HOME/.cargo/bin/cargo"; fi
if [[ -z "$cargo" ]]; then
  echo "native Parquet encoder: cargo not found (install Rust with rustup); the Iceberg writer will use parquet-wasm" >&2
  exit 1
fi
echo "native Parquet encoder: building with $("$cargo" --version) (a few minutes the first time)" >&2
"$cargo" build --release --locked --quiet --manifest-path "$here/Cargo.toml" --target-dir "$here/target"
cp "$here/target/release/libnetflow_parquet_native.so" "$here/netflow_parquet.node.tmp"
mv "$here/netflow_parquet.node.tmp" "$here/netflow_parquet.node"
echo "native Parquet encoder: $here/netflow_parquet.node" >&2
