#!/usr/bin/env bash
# Shows that a generated train step runs packed FMA: builds the `water`
# example (WaterNet through netc::model!) in release with a plain
# `cargo build` (no target-cpu flags: the ISA is picked at run time) and
# counts `vfmadd…ps` on ymm/zmm registers in the const-width kernels the
# generated code instantiated (`netc_runtime::fixed::*::avx512::<..>` and
# `::avx2::<..>`, one per layer width). Fails when there are none.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release -p netc --example water >&2
binary=target/release/examples/water
command -v objdump >/dev/null || { echo "objdump not found" >&2; exit 2; }

# Functions of the generated code's const-width kernel instantiations
# (demangled names omit the const arguments: the address tells them apart).
objdump -d --no-show-raw-insn -C "$binary" | awk '
    /^[0-9a-f]+ <.*>:$/ {
        keep = ($0 ~ /<netc_runtime::fixed::[a-z_]+::(avx512|avx2)>:$/)
        if (keep) { name = $0; sub(/>:$/, "", name); sub(/ </, "  ", name) }
        next
    }
    keep && /vfmadd[0-9a-z]*ps/ && /[yz]mm/ { count[name]++ }
    END {
        total = 0
        for (f in count) { printf "%6d  %s\n", count[f], f; total += count[f] }
        printf "%6d  packed FMA instructions (ymm/zmm) in generated const-width kernels\n", total
        exit (total > 0 ? 0 : 1)
    }'
