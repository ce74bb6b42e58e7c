/**
 * Hand a prefopt DPO run to TRL and accelerate for a multi-GPU run: writes
 *   OUT/model/            the Hugging Face model directory (as prefopt loads and saves it)
 *   OUT/data/train.jsonl  the preference rows, unchanged (TRL's standard or conversational
 *   OUT/data/test.jsonl   format), split as prefopt's dpo splits them (every k-th row held out)
 *   OUT/accelerate.yaml   a multi-GPU (DDP) accelerate config for N processes
 *   OUT/launch.sh         the two equivalent commands
 * and returns the `trl dpo …` and `accelerate launch …` command lines carrying
 * the run's β, loss type, label smoothing, lengths, learning rate, schedule,
 * batch size and epochs (from the run's recorded config, prefopt's DPO defaults
 * otherwise, flags on top). Flag names are TRL's DPOConfig / TrainingArguments /
 * ModelConfig / ScriptArguments fields.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readJsonl } from "../data/jsonl.js";
import { loadPreferenceJsonl, splitEval } from "../data/preference-data.js";
import { writeFileAtomic } from "../engine/atomic.js";
import { UserError } from "../engine/errors.js";
import { CausalLM } from "../models/lm/causal-lm.js";
import { LMTokenizer } from "../models/lm/tokenizer.js";
import { latestCheckpoint, TRAINER_STATE_FILE } from "../train/checkpoint.js";
import { DPO_DEFAULTS } from "./dpo.js";
import { chatTemplateOf } from "./lm-data.js";

/** The loss types prefopt's DPO and TRL's DPOTrainer share (same names, same formulas). */
export const TRL_LOSS_TYPES = ["sigmoid", "hinge", "ipo", "robust"] as const;

/** The DPO settings a TRL run takes from the prefopt run (prefopt's option names). */
export type DpoRunSettings = {
  beta: number;
  lossType: string;
  labelSmoothing: number;
  lr: number;
  warmupSteps: number;
  weightDecay: number;
  maxGradNorm: number;
  batchSize: number;
  epochs: number;
  maxPromptLength: number;
  maxLength: number;
  evalFraction: number;
  seed: number;
};

export type TrlExportOptions = {
  /** Hugging Face model directory to train */
  model: string;
  /** TRL preference JSONL */
  data: string;
  out: string;
  /** a prefopt dpo --out directory whose recorded config supplies the settings (default: `model` when it is one) */
  run?: string;
  /** GPUs (accelerate processes); default 8 */
  numProcesses?: number;
  /** overrides of the run's settings */
  settings?: Partial<DpoRunSettings>;
};

export type TrlExport = {
  settings: DpoRunSettings;
  /** where the settings came from: a trainer_state.json, or "prefopt dpo defaults" */
  settingsFrom: string;
  trainRows: number;
  testRows: number;
  perDeviceBatch: number;
  gradientAccumulation: number;
  /** `trl dpo …` (the TRL CLI launches accelerate with --accelerate_config) */
  trlCommand: string;
  /** `accelerate launch --config_file … -m trl.scripts.dpo …` */
  accelerateCommand: string;
  files: string[];
};

/** The recorded config of a prefopt training run in `dir` (its latest checkpoint's trainer_state.json), if any. */
function recordedConfig(dir: string): { config: Record<string, unknown>; file: string } | null {
  const ckpt = existsSync(dir) ? latestCheckpoint(dir) : null;
  if (!ckpt) return null;
  const file = join(ckpt, TRAINER_STATE_FILE);
  const state = JSON.parse(readFileSync(file, "utf8")) as { config?: Record<string, unknown> };
  return state.config && typeof state.config === "object" ? { config: state.config, file } : null;
}

function pick(c: Record<string, unknown>): Partial<DpoRunSettings> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(DPO_DEFAULTS)) if (c[k] !== undefined) out[k] = c[k];
  return out as Partial<DpoRunSettings>;
}

/** A shell word: bare when safe, single-quoted otherwise. */
function sh(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** TRL's flags for the settings (DPOConfig, TrainingArguments, ModelConfig, ScriptArguments). */
export function trlDpoArgs(
  s: DpoRunSettings,
  paths: { model: string; data: string; output: string },
  perDeviceBatch: number,
  gradientAccumulation: number,
): string[] {
  const flags: [string, string | number][] = [
    ["model_name_or_path", paths.model],
    ["dataset_name", paths.data],
    ["dataset_train_split", "train"],
    ["dataset_test_split", "test"],
    ["beta", s.beta],
    ["loss_type", s.lossType],
    ["label_smoothing", s.labelSmoothing],
    ["max_length", s.maxLength],
    ["max_prompt_length", s.maxPromptLength],
    ["learning_rate", s.lr],
    ["lr_scheduler_type", "linear"],
    ["warmup_steps", s.warmupSteps],
    ["weight_decay", s.weightDecay],
    ["max_grad_norm", s.maxGradNorm],
    ["per_device_train_batch_size", perDeviceBatch],
    ["gradient_accumulation_steps", gradientAccumulation],
    ["num_train_epochs", s.epochs],
    ["seed", s.seed],
    ["eval_strategy", "epoch"],
    ["output_dir", paths.output],
  ];
  return flags.flatMap(([k, v]) => [`--${k}`, String(v)]);
}

/** The accelerate config for one machine with `n` GPUs, data parallel, bf16 (as TRL's multi_gpu.yaml). */
export function accelerateConfigYaml(n: number): string {
  return [
    "compute_environment: LOCAL_MACHINE",
    "debug: false",
    "distributed_type: MULTI_GPU",
    "downcast_bf16: 'no'",
    "gpu_ids: all",
    "machine_rank: 0",
    "main_training_function: main",
    "mixed_precision: bf16",
    "num_machines: 1",
    `num_processes: ${n}`,
    "rdzv_backend: static",
    "same_network: true",
    "tpu_env: []",
    "tpu_use_cluster: false",
    "tpu_use_sudo: false",
    "use_cpu: false",
    "",
  ].join("\n");
}

/** Writes the export (see the module doc) and returns the commands. */
export async function exportTrl(o: TrlExportOptions): Promise<TrlExport> {
  const n = o.numProcesses ?? 8;
  if (!Number.isInteger(n) || n < 1)
    throw new UserError(`--num-processes: expected a positive integer, got ${n}`);
  const runDir = o.run ?? o.model;
  const rec = recordedConfig(runDir);
  if (o.run && !rec)
    throw new UserError(
      `${o.run}: no checkpoint-*/${TRAINER_STATE_FILE} with a recorded config (not a prefopt dpo --out directory?)`,
    );
  const settings: DpoRunSettings = {
    ...(DPO_DEFAULTS as unknown as DpoRunSettings),
    ...(rec ? pick(rec.config) : {}),
    ...Object.fromEntries(Object.entries(o.settings ?? {}).filter(([, v]) => v !== undefined)),
  };
  if (!(TRL_LOSS_TYPES as readonly string[]).includes(settings.lossType))
    throw new UserError(
      `loss type "${settings.lossType}": TRL's DPOTrainer takes ${TRL_LOSS_TYPES.join(", ")} under these names; export a run trained with one of them`,
    );

  // the model: loaded (validated) and written back in HF layout, tokenizer files with it
  const lm = await CausalLM.load(o.model);
  const out = o.out;
  const modelOut = join(out, "model");
  try {
    await lm.save(modelOut);
  } finally {
    lm.dispose();
  }
  for (const f of ["special_tokens_map.json", "README.md"]) {
    if (existsSync(join(o.model, f))) copyFileSync(join(o.model, f), join(modelOut, f));
  }

  // the data: validated with prefopt's loader, written as the original rows
  loadPreferenceJsonl(o.data, { chatTemplate: chatTemplateOf(LMTokenizer.load(o.model)) });
  const rows = readJsonl(o.data).map((r) => r.value);
  const { train, eval: test } = splitEval(rows, settings.evalFraction);
  if (train.length === 0) throw new UserError(`${o.data}: no training rows after the split`);
  const dataOut = join(out, "data");
  mkdirSync(dataOut, { recursive: true });
  const jsonl = (xs: unknown[]) => xs.map((x) => `${JSON.stringify(x)}\n`).join("");
  writeFileAtomic(join(dataOut, "train.jsonl"), jsonl(train));
  writeFileAtomic(join(dataOut, "test.jsonl"), jsonl(test));

  // batch: the run's global batch over n processes (accumulating when it is smaller than n)
  const perDeviceBatch = Math.max(1, Math.floor(settings.batchSize / n));
  const gradientAccumulation = Math.max(1, Math.round(settings.batchSize / (perDeviceBatch * n)));
  const accel = join(out, "accelerate.yaml");
  writeFileAtomic(accel, accelerateConfigYaml(n));
  const args = trlDpoArgs(
    settings,
    { model: modelOut, data: dataOut, output: join(out, "trl-output") },
    perDeviceBatch,
    gradientAccumulation,
  );
  const line = (words: string[]) => words.map(sh).join(" ");
  const trlCommand = line(["trl", "dpo", ...args, "--accelerate_config", accel]);
  const accelerateCommand = line([
    "accelerate",
    "launch",
    "--config_file",
    accel,
    "-m",
    "trl.scripts.dpo",
    ...args,
  ]);
  const settingsFrom = rec ? rec.file : "prefopt dpo defaults";
  writeFileAtomic(
    join(out, "launch.sh"),
    [
      "#!/usr/bin/env bash",
      `# DPO on ${n} GPUs with TRL, settings from ${settingsFrom}`,
      "# (pip install trl accelerate; run one of the two lines)",
      "set -euo pipefail",
      trlCommand,
      `# ${accelerateCommand}`,
      "",
    ].join("\n"),
  );
  const files = [
    ...readdirSync(modelOut).map((f) => join(modelOut, f)),
    join(dataOut, "train.jsonl"),
    join(dataOut, "test.jsonl"),
    accel,
    join(out, "launch.sh"),
  ];
  return {
    settings,
    settingsFrom,
    trainRows: train.length,
    testRows: test.length,
    perDeviceBatch,
    gradientAccumulation,
    trlCommand,
    accelerateCommand,
    files,
  };
}
