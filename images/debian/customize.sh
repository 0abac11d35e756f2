#!/bin/sh
# mmdebstrap customize hook for composer-test/debian:bookworm; $1 is the new root.
# The postgresql-15 package creates a default cluster at install time; the image
# must start with an empty data area so that the postgres entrypoint initialises
# its own PGDATA.
set -eu
root="$1"
rm -rf "$root/var/lib/postgresql/15" "$root/etc/postgresql/15"
# PostgreSQL's optional LLVM JIT is a third of the image; without its provider
# the server simply runs with JIT unavailable.
rm -rf "$root/usr/lib/postgresql/15/lib/llvmjit"* "$root/usr/lib/postgresql/15/lib/bitcode"
rm -f "$root/usr/lib/x86_64-linux-gnu/libLLVM-"* "$root/usr/lib/x86_64-linux-gnu/libz3.so"*
# mmdebstrap itself cleans the apt lists and cache afterwards. Leave $root/tmp
# alone: mmdebstrap keeps its apt configuration there until the very end.
rm -rf "$root/var/cache/debconf/"*-old "$root/var/log/"*.log "$root/var/log/apt/"*
# Containers get their hostname and resolver from the engine.
: > "$root/etc/hostname"
: > "$root/etc/resolv.conf"
