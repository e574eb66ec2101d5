# Sourced by scripts/gpu-check.sh, gpu-soak.sh and gpu-bench-ab.sh (from the repository root, with PYTHON and OUT set):
# where srtrain and libtorch come from on the GPU machine, and one summary line per checked command.

# unpack_srtrain DIR: the self-contained build that `scripts/gpu-check.sh --publish` made, unpacked into DIR/srtrain.
unpack_srtrain() {
  [[ -f .gpu/srtrain.tar.xz ]] || { echo "no .gpu/srtrain.tar.xz: run scripts/gpu-check.sh --publish first, or set SRTRAIN" >&2; exit 2; }
  tar -C "$1" -xJf .gpu/srtrain.tar.xz
}

# use_torch_lib: the published build has no libtorch of its own; it loads TORCH_LIB's, by default the libtorch of
# PYTHON's PyTorch.
use_torch_lib() {
  local lib="${TORCH_LIB:-}"
  if [[ -z "$lib" ]]; then
    lib="$("$PYTHON" -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')" || { echo "no PyTorch in $PYTHON" >&2; exit 2; }
  fi
  export SRTRAIN_LIBTORCH="$lib" LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
}

# check NAME COMMAND...: runs it with its output in $OUT/NAME.log and counts it in passed/failed; prints
# "ok   NAME (seconds) <summary NAME>" (summary: the sourcing script's function) or "FAIL NAME (seconds, exit N) <last lines>".
check() {
  local name="$1"; shift
  local t0=$SECONDS rc=0
  "$@" > "$OUT/$name.log" 2>&1 || rc=$?
  if [[ $rc -eq 0 ]]; then
    passed=$((passed + 1)); echo "ok   $name ($((SECONDS - t0)) s) $(summary "$name")"
  else
    failed=$((failed + 1)); echo "FAIL $name ($((SECONDS - t0)) s, exit $rc) $(tail -n 3 "$OUT/$name.log" | tr '\n' ' ' | cut -c1-400)"
  fi
}
