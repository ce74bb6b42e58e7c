/**
 * `prefopt export trl`: the exported files read back with prefopt's own
 * loaders (the model gives the source model's logits, train.jsonl + test.jsonl
 * are the input rows split as dpo splits them), the accelerate config names N
 * processes, and every flag of the printed commands is a documented field of
 * TRL's DPO script (DPOConfig, TrainingArguments, ModelConfig, ScriptArguments)
 * carrying the recorded run's value.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { loadPreferenceJsonl } from "../src/data/preference-data.js";
import { UserError } from "../src/engine/errors.js";
import { initEngine } from "../src/engine/init.js";
import { numpy as np } from "../src/engine/jax.js";
import { defaultModelDir } from "../src/models/default-model.js";
import { CausalLM } from "../src/models/lm/causal-lm.js";
import { exportTrl } from "../src/pipelines/trl-export.js";
import { saveCheckpoint } from "../src/train/checkpoint.js";

/** TRL's documented DPO-script flags this export may use (trl dpo --help; DPOConfig/TrainingArguments docs). */
const TRL_FLAGS = new Set([
  "model_name_or_path",
  "dataset_name",
  "dataset_train_split",
  "dataset_test_split",
  "beta",
  "loss_type",
  "label_smoothing",
  "max_length",
  "max_prompt_length",
  "learning_rate",
  "lr_scheduler_type",
  "warmup_steps",
  "weight_decay",
  "max_grad_norm",
  "per_device_train_batch_size",
  "gradient_accumulation_steps",
  "num_train_epochs",
  "seed",
  "eval_strategy",
  "output_dir",
  "accelerate_config",
]);

const tmp = mkdtempSync(join(tmpdir(), "prefopt-trl-"));
before(async () => {
  await initEngine();
});
after(() => rmSync(tmp, { recursive: true, force: true }));

/** --flag value pairs of a command line (after its first `skip` words). */
function flags(cmd: string, skip: number): Map<string, string> {
  const words = cmd.split(" ").slice(skip);
  const m = new Map<string, string>();
  for (let i = 0; i < words.length; i += 2) {
    assert.match(words[i], /^--\w+$/, `flag expected at "${words[i]}" in ${cmd}`);
    m.set(words[i].slice(2), words[i + 1]);
  }
  return m;
}

describe("prefopt export trl", () => {
  it("writes model, data and accelerate config that read back, and TRL commands with the run's settings", async () => {
    const rows = Array.from({ length: 10 }, (_, i) => ({
      prompt: `Review ${i}: The movie`,
      chosen: ` was wonderful (${i}).`,
      rejected: ` was dull (${i}).`,
    }));
    const data = join(tmp, "prefs.jsonl");
    writeFileSync(data, rows.map((r) => JSON.stringify(r)).join("\n"));
    // a prefopt dpo run directory: a checkpoint whose trainer_state.json records the run's config
    const run = join(tmp, "run");
    await saveCheckpoint(run, {
      params: { w: np.zeros([1]) },
      optState: { m: np.zeros([1]) },
      trainerState: {
        step: 4,
        config: {
          beta: 0.25,
          lossType: "ipo",
          labelSmoothing: 0,
          lr: 5e-5,
          batchSize: 16,
          epochs: 3,
          maxLength: 96,
          maxPromptLength: 48,
          evalFraction: 0.2,
          seed: 7,
        },
      },
    });
    const out = join(tmp, "export");
    const r = spawnSync(
      process.execPath,
      [
        "bin/prefopt.js",
        "export",
        "trl",
        "--model",
        defaultModelDir("text"),
        "--data",
        data,
        "--out",
        out,
        "--run",
        run,
        "--num-processes",
        "4",
      ],
      { encoding: "utf8" },
    );
    assert.equal(r.status, 0, r.stderr);
    const [trl, accel] = r.stdout.trim().split("\n");
    assert.match(r.stderr, /8 train \/ 2 test rows/);

    // the model reads back with prefopt's loader and computes what the source computes
    const src = await CausalLM.load();
    const back = await CausalLM.load(join(out, "model"));
    const ids = src.tokenizer.encode("The movie was great");
    assert.deepEqual(back.config, src.config);
    assert.deepEqual(await back.logits(ids), await src.logits(ids));
    src.dispose();
    back.dispose();

    // the data: the input rows, every 5th held out (evalFraction 0.2), in TRL's format unchanged
    const train = loadPreferenceJsonl(join(out, "data", "train.jsonl"));
    const test = loadPreferenceJsonl(join(out, "data", "test.jsonl"));
    assert.equal(train.length, 8);
    assert.equal(test.length, 2);
    const lines = (f: string) =>
      readFileSync(join(out, "data", f), "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
    assert.deepEqual(lines("test.jsonl"), [rows[4], rows[9]]);
    assert.deepEqual(
      lines("train.jsonl"),
      [0, 1, 2, 3, 5, 6, 7, 8].map((i) => rows[i]),
    );

    // accelerate: one machine, 4 processes, data parallel
    const yaml = readFileSync(join(out, "accelerate.yaml"), "utf8");
    assert.match(yaml, /^num_processes: 4$/m);
    assert.match(yaml, /^distributed_type: MULTI_GPU$/m);
    assert.match(yaml, /^num_machines: 1$/m);

    // the commands: documented flags only, with the recorded run's values
    assert.ok(trl.startsWith("trl dpo "), trl);
    assert.ok(
      accel.startsWith(
        `accelerate launch --config_file ${join(out, "accelerate.yaml")} -m trl.scripts.dpo `,
      ),
    );
    const f = flags(trl, 2);
    for (const k of f.keys()) assert.ok(TRL_FLAGS.has(k), `--${k} is not a TRL DPO flag`);
    assert.equal(f.get("beta"), "0.25");
    assert.equal(f.get("loss_type"), "ipo");
    assert.equal(f.get("max_length"), "96");
    assert.equal(f.get("max_prompt_length"), "48");
    assert.equal(f.get("learning_rate"), "0.00005");
    assert.equal(f.get("num_train_epochs"), "3");
    assert.equal(f.get("seed"), "7");
    // global batch 16 = 4 per GPU × 4 GPUs × 1
    assert.equal(f.get("per_device_train_batch_size"), "4");
    assert.equal(f.get("gradient_accumulation_steps"), "1");
    assert.equal(f.get("model_name_or_path"), join(out, "model"));
    assert.equal(f.get("dataset_name"), join(out, "data"));
    assert.equal(f.get("accelerate_config"), join(out, "accelerate.yaml"));
    const g = flags(accel, 6);
    assert.deepEqual(
      [...g.entries()],
      [...f.entries()].filter(([k]) => k !== "accelerate_config"),
    );
    assert.ok(readFileSync(join(out, "launch.sh"), "utf8").includes(trl));
  });

  it("refuses a loss TRL's DPOTrainer does not have, and a --run without a recorded config", async () => {
    const data = join(tmp, "one.jsonl");
    writeFileSync(data, `${JSON.stringify({ prompt: "a", chosen: " b", rejected: " c" })}\n`);
    const o = { model: defaultModelDir("text"), data, out: join(tmp, "x") };
    await assert.rejects(
      exportTrl({ ...o, settings: { lossType: "simpo" } }),
      (e: Error) =>
        e instanceof UserError &&
        /loss type "simpo": TRL's DPOTrainer takes sigmoid, hinge, ipo, robust/.test(e.message),
    );
    await assert.rejects(
      exportTrl({ ...o, run: tmp }),
      (e: Error) =>
        e instanceof UserError &&
        /no checkpoint-\*\/trainer_state\.json with a recorded config/.test(e.message),
    );
  });
});
