/**
 * The DPO paper's controlled-sentiment experiment (Rafailov et al. 2023, §6.1)
 * on the embedded text world, one command: the SFT model (the bundled
 * movie-review GPT-2) samples 4 completions per prompt; preferences are drawn
 * from the Bradley–Terry model of the AFINN reward; then
 *   DPO (β sweep) · RLHF = reward model + RLOO (KL-coefficient sweep) ·
 *   preferred-FT (SFT on the chosen completions) · best-of-N under the learned reward
 * are each placed on the reward–KL frontier: mean AFINN reward of samples on
 * held-out prompts against KL(π ‖ π_SFT) estimated on those samples
 * (best-of-N: the analytic log N − (N−1)/N). Also reports each policy's win
 * rate against the SFT model under the AFINN judge. Beside them the exact
 * optimum π* = π_ref·e^{r/β}/Z under the true reward, estimated by
 * reweighting reference samples on the same held-out prompts
 * (src/eval/optimum-frontier.ts), and each method's efficiency: its reward
 * gain over the SFT model ÷ π*'s gain at the same KL, with a 95% interval
 * paired by prompt. The default preset adds SimPO, ORPO, KTO and listwise DPO
 * on the same samples, iterative DPO on pairs of its own, and online DPO
 * (rounds of the policy's own pairs, π_ref fixed; each round a point), and online DPO with a KL
 * target (the policy closest to it by a probe measurement). Each sub-run keeps its
 * directory under `out`, so an interrupted experiment resumes where it stopped.
 * An experiment composes pipelines, evaluation and report (DESIGN §3 layer 9).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afinnScore } from "../data/afinn.js";
import {
  embeddedPreferences,
  evaluatePolicy,
  sentimentPrompts,
} from "../data/sentiment-preferences.js";
import { writeJsonAtomic } from "../engine/atomic.js";
import { initEngine } from "../engine/init.js";
import { type FrontierPoint, frontierPlot, frontierTable } from "../eval/frontier.js";
import { afinnJudge } from "../eval/judges.js";
import { modelWinRate, sampleTexts } from "../eval/model-win-rate.js";
import type { PerPromptMeasure } from "../eval/optimum-frontier.js";
import { referenceSamples } from "../eval/reference-samples.js";
import { winRate } from "../eval/win-rate.js";
import { defaultModelDir } from "../models/default-model.js";
import { CausalLM } from "../models/lm/causal-lm.js";
import { RewardModel } from "../models/lm/reward-model.js";
import { runDpo } from "../pipelines/dpo.js";
import type { FamilyLossType } from "../pipelines/dpo-family.js";
import { runIterativeDpo } from "../pipelines/iterative-dpo.js";
import { runReward } from "../pipelines/reward.js";
import { runRlhf } from "../pipelines/rlhf.js";
import { runSft } from "../pipelines/sft.js";
import { svgToPng } from "../report/svg-to-png.js";
import { optimumReport } from "./optimum-report.js";

export type ExperimentPreset = {
  prompts: number;
  samplesPerPrompt: number;
  betas: number[];
  dpoEpochs: number;
  dpoLearningRate: number;
  rewardEpochs: number;
  klCoefs: number[];
  rlhfSteps: number;
  rlhfLearningRate: number;
  preferredFtEpochs: number;
  bestOfN: number[];
  evalPrompts: number;
  evalSamples: number;
  maxNewTokens: number;
  /** reference samples per held-out prompt behind the π* estimate */
  optimumSamples: number;
  /**
   * DPO-family members trained on the same pairs (listwise: rankings of the same samples), each
   * with its β (ORPO: λ) and, where it differs from dpoLearningRate, its own lr (directory
   * `<type>-beta-<β>-lr-<lr>`)
   */
  family: { type: FamilyLossType; beta: number; lr?: number }[];
  /** iterative DPO: rounds (0: off) and β per round */
  iterativeRounds: number;
  iterativeBeta: number;
  /** online DPO (π_ref fixed to the SFT model): rounds (0: off), β, prompts, epochs and lr per round */
  onlineRounds: number;
  onlineLearningRate: number;
  onlineBeta: number;
  onlinePrompts: number;
  onlineEpochs: number;
  /** online DPO with a KL target (0: off): up to `onlineTargetRounds` rounds, the policy measured closest to it */
  onlineTargetKl: number;
  onlineTargetRounds: number;
};

export const EXPERIMENT_PRESETS: Record<"quick" | "default", ExperimentPreset> = {
  quick: {
    prompts: 128,
    samplesPerPrompt: 4,
    betas: [0.1, 0.5],
    dpoEpochs: 1,
    dpoLearningRate: 2.5e-4,
    rewardEpochs: 2,
    klCoefs: [0.1],
    rlhfSteps: 12,
    rlhfLearningRate: 2e-4,
    preferredFtEpochs: 1,
    bestOfN: [4, 16],
    evalPrompts: 32,
    evalSamples: 4,
    maxNewTokens: 16,
    optimumSamples: 64,
    family: [],
    iterativeRounds: 0,
    iterativeBeta: 2,
    onlineRounds: 0,
    onlineLearningRate: 2e-4,
    onlineBeta: 1,
    onlinePrompts: 512,
    onlineEpochs: 1,
    onlineTargetKl: 0,
    onlineTargetRounds: 4,
  },
  default: {
    prompts: 128,
    samplesPerPrompt: 4,
    betas: [0.05, 0.1, 0.25, 0.5],
    dpoEpochs: 2,
    dpoLearningRate: 2.5e-4,
    rewardEpochs: 3,
    klCoefs: [0.02, 0.1, 0.5],
    rlhfSteps: 30,
    rlhfLearningRate: 2e-4,
    preferredFtEpochs: 2,
    bestOfN: [2, 4, 8, 16],
    evalPrompts: 48,
    evalSamples: 4,
    maxNewTokens: 16,
    optimumSamples: 256,
    family: [
      // SimPO has no reference model to hold it: at dpoLearningRate (2.5e-4, 2 epochs) it ran to
      // KL 44; at 2e-4 it stopped at KL 0.9 (README, "DPO against the exact optimum")
      { type: "simpo", beta: 2, lr: 1.5e-4 },
      { type: "orpo", beta: 0.1 },
      { type: "kto", beta: 1 },
      { type: "listwise", beta: 1 },
    ],
    iterativeRounds: 2,
    iterativeBeta: 2,
    onlineRounds: 3,
    onlineLearningRate: 2e-4,
    onlineBeta: 1,
    onlinePrompts: 512,
    onlineEpochs: 1,
    onlineTargetKl: 2,
    onlineTargetRounds: 4,
  },
};

export type ExperimentOptions = Partial<ExperimentPreset> & {
  model?: string;
  out: string;
  preset?: "quick" | "default";
  seed?: number;
  log?: (line: string) => void;
};

export type ExperimentResult = {
  points: FrontierPoint[];
  table: string;
  sftReward: number;
  pairs: number;
  seconds: number;
  /** the π* estimate's report (sample count, convergence, bias) */
  optimum: string;
  files: { plot: string; png: string; table: string; json: string; optimum: string };
};

/** Runs the experiment; see the module doc. */
export async function runSentimentExperiment(opts: ExperimentOptions): Promise<ExperimentResult> {
  await initEngine();
  const t0 = Date.now();
  const base = EXPERIMENT_PRESETS[opts.preset ?? "default"];
  const o: ExperimentPreset = { ...base };
  for (const k of Object.keys(base) as (keyof ExperimentPreset)[]) {
    if (opts[k] !== undefined) (o as Record<string, unknown>)[k] = opts[k];
  }
  const seed = opts.seed ?? 0;
  const log = opts.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const out = opts.out;
  mkdirSync(out, { recursive: true });
  const modelDir = opts.model ?? defaultModelDir("text");
  const sftModel = await CausalLM.load(modelDir);
  const tok = sftModel.tokenizer;
  const held = sentimentPrompts(o.evalPrompts, 999_001 + seed);
  const judge = afinnJudge();
  const points: FrontierPoint[] = [];
  // each evaluated policy's per-prompt means, for efficiency intervals paired with π* by prompt
  const perPrompt = new Map<FrontierPoint, PerPromptMeasure>();
  const quiet = true;

  // 1. preferences from the SFT model's samples
  const prefPath = join(out, "preferences.jsonl");
  const prefs = await embeddedPreferences(sftModel, prefPath, {
    prompts: o.prompts,
    samplesPerPrompt: o.samplesPerPrompt,
    maxNewTokens: o.maxNewTokens,
    seed,
    log: (line) => log(`experiment: ${line}`),
  });
  log(`experiment: ${prefs.length} preference pairs in ${prefPath}`);

  const evalDir = async (
    method: string,
    setting: string,
    dir: string,
    seconds: number,
  ): Promise<void> => {
    const m = await CausalLM.load(dir);
    const e = await evaluatePolicy(m.config, m.params, sftModel.params, tok, held, {
      n: o.evalSamples,
      maxNewTokens: o.maxNewTokens,
      seed: seed + 777,
    });
    const w = await modelWinRate(m, sftModel, held, judge, {
      n: o.evalSamples,
      maxNewTokens: o.maxNewTokens,
      seed: seed + 555,
    });
    m.dispose();
    const p: FrontierPoint = {
      method,
      setting,
      kl: Math.max(0, e.kl),
      reward: e.reward,
      rewardSE: e.rewardSE,
      winRate: w.rate,
      seconds,
    };
    points.push(p);
    perPrompt.set(p, {
      reward: e.samples.map((x) => x.rewards.reduce((a, b) => a + b, 0) / x.rewards.length),
      kl: e.klPerPrompt,
    });
    log(
      `experiment: ${method} ${setting}: reward ${p.reward.toFixed(2)}, KL ${p.kl.toFixed(2)}, win rate vs SFT ${(100 * w.rate).toFixed(0)}% (${seconds.toFixed(0)} s)`,
    );
  };
  /**
   * A sub-run's training seconds. One that finished in an earlier run of the
   * experiment (its model `done`, default dir/model.safetensors, and its
   * record dir/`file` are there) is not trained again: the seconds come from
   * the record. Otherwise `train` runs; with `record` the experiment writes the
   * record ({seconds}) itself, for pipelines that write none.
   */
  const subRun = async (
    dir: string,
    file: string,
    train: () => Promise<{ seconds: number }>,
    opts: { done?: string; record?: boolean } = {},
  ): Promise<number> => {
    const p = join(dir, file);
    if (existsSync(p) && existsSync(opts.done ?? join(dir, "model.safetensors")))
      return (JSON.parse(readFileSync(p, "utf8")) as { seconds: number }).seconds;
    const { seconds } = await train();
    if (opts.record) writeJsonAtomic(p, { seconds });
    return seconds;
  };

  // 2. the SFT model itself
  {
    const e = await evaluatePolicy(sftModel.config, sftModel.params, sftModel.params, tok, held, {
      n: o.evalSamples,
      maxNewTokens: o.maxNewTokens,
      seed: seed + 777,
    });
    points.push({
      method: "SFT",
      setting: "–",
      kl: 0,
      reward: e.reward,
      rewardSE: e.rewardSE,
      winRate: 0.5,
    });
    log(`experiment: SFT reward ${e.reward.toFixed(2)}`);
  }

  // 3. DPO, β sweep (reference log-probs cached beside the preferences after the first run),
  // then the rest of the DPO family on the same pairs
  const dpoRuns = [
    ...o.betas.map((beta) => ({ type: "sigmoid" as const, beta, dir: `dpo-beta-${beta}` })),
    ...o.family.map((f) => ({
      ...f,
      dir: `${f.type}-beta-${f.beta}${f.lr === undefined ? "" : `-lr-${f.lr}`}`,
    })),
  ];
  for (const f of dpoRuns) {
    const dir = join(out, f.dir);
    const secs = await subRun(dir, "dpo_result.json", () =>
      runDpo({
        model: modelDir,
        // listwise: one Plackett–Luce ranking of each prompt's same samples (the run draws them)
        data: f.type === "listwise" ? undefined : prefPath,
        numPrompts: o.prompts,
        samplesPerPrompt: o.samplesPerPrompt,
        maxNewTokens: o.maxNewTokens,
        out: dir,
        beta: f.beta,
        lossType: f.type,
        epochs: o.dpoEpochs,
        lr: ("lr" in f ? f.lr : undefined) ?? o.dpoLearningRate,
        seed,
        quiet,
        log: () => {},
      }),
    );
    const name = {
      sigmoid: "DPO",
      simpo: "SimPO",
      orpo: "ORPO",
      kto: "KTO",
      listwise: "Listwise DPO",
    }[f.type];
    const lr = "lr" in f && f.lr !== undefined ? `, lr ${f.lr}` : "";
    await evalDir(name, `${f.type === "orpo" ? "λ" : "β"}=${f.beta}${lr}`, dir, secs);
  }
  // 3b. iterative DPO on pairs of its own
  if (o.iterativeRounds > 0) {
    const dir = join(out, `iterative-dpo-beta-${o.iterativeBeta}`);
    const last = join(dir, `round-${o.iterativeRounds}`);
    const secs = await subRun(
      dir,
      "iterative_dpo.json",
      () =>
        runIterativeDpo({
          model: modelDir,
          out: dir,
          rounds: o.iterativeRounds,
          beta: o.iterativeBeta,
          numPrompts: o.prompts,
          samplesPerPrompt: o.samplesPerPrompt,
          maxNewTokens: o.maxNewTokens,
          epochs: o.dpoEpochs,
          lr: o.dpoLearningRate,
          seed,
          quiet,
          log: () => {},
        }),
      { done: join(last, "model.safetensors"), record: true },
    );
    const rounds = `${o.iterativeRounds} round${o.iterativeRounds === 1 ? "" : "s"}`;
    await evalDir("Iterative DPO", `${rounds}, β=${o.iterativeBeta}`, last, secs);
  }

  // the options online DPO's rows share (3c and 3d)
  const onlineRun = (dir: string) => ({
    model: modelDir,
    out: dir,
    fixedReference: true,
    beta: o.onlineBeta,
    numPrompts: o.onlinePrompts,
    samplesPerPrompt: o.samplesPerPrompt,
    maxNewTokens: o.maxNewTokens,
    epochs: o.onlineEpochs,
    lr: o.onlineLearningRate,
    seed,
    quiet,
    log: () => {},
  });

  // 3c. online DPO: rounds of pairs from the policy, π_ref fixed to the SFT model, so every
  // round's target is π* at β; each round's model is a point on the frontier
  if (o.onlineRounds > 0) {
    const dir = join(out, `online-dpo-beta-${o.onlineBeta}`);
    const round = (k: number) => join(dir, `round-${k}`);
    const secs = await subRun(
      dir,
      "online_dpo.json",
      () => runIterativeDpo({ ...onlineRun(dir), rounds: o.onlineRounds }),
      { done: join(round(o.onlineRounds), "model.safetensors"), record: true },
    );
    for (let k = 1; k <= o.onlineRounds; k++)
      await evalDir(
        "Online DPO",
        `β=${o.onlineBeta}, round ${k} (${o.onlinePrompts}×${o.samplesPerPrompt})`,
        round(k),
        (secs * k) / o.onlineRounds,
      );
  }

  // 3d. online DPO with a KL target: its own rounds (as 3c's, measured on probe openings), the
  // policy measured closest to the target (src/pipelines/kl-target.ts)
  if (o.onlineTargetKl > 0) {
    const dir = join(out, `online-dpo-beta-${o.onlineBeta}-kl-${o.onlineTargetKl}`);
    const kept = join(dir, "kl-target");
    const secs = await subRun(
      dir,
      "online_dpo.json",
      () =>
        runIterativeDpo({
          ...onlineRun(dir),
          rounds: o.onlineTargetRounds,
          targetKl: o.onlineTargetKl,
        }),
      { done: join(kept, "model.safetensors"), record: true },
    );
    const record = JSON.parse(readFileSync(join(dir, "kl_target.json"), "utf8")) as {
      measurements: { round: number; step: number }[];
      chosen: number;
    };
    const m = record.measurements[record.chosen];
    await evalDir(
      "Online DPO, KL target",
      `KL ${o.onlineTargetKl}: round ${m.round} step ${m.step}`,
      kept,
      secs,
    );
  }

  // 4. preferred-FT: SFT on the chosen completions
  {
    const dir = join(out, "preferred-ft");
    const secs = await subRun(
      dir,
      "preferred_ft.json",
      () =>
        runSft({
          model: modelDir,
          examples: prefs.map((p) => ({ prompt: p.prompt, completion: p.chosen })),
          out: dir,
          epochs: o.preferredFtEpochs,
          seed,
          quiet,
        }),
      { record: true },
    );
    await evalDir("Preferred-FT", `${o.preferredFtEpochs} ep`, dir, secs);
  }

  // 5. reward model, then RLHF (KL-coefficient sweep) and best-of-N under it
  const rmDir = join(out, "reward-model");
  const rmSecs = await subRun(rmDir, "reward_result.json", () =>
    runReward({
      model: modelDir,
      data: prefPath,
      out: rmDir,
      epochs: o.rewardEpochs,
      seed,
      quiet,
      log: () => {},
    }),
  );
  const rm = await RewardModel.load(rmDir);
  for (const lambda of o.klCoefs) {
    const dir = join(out, `rlhf-kl-${lambda}`);
    const secs = await subRun(dir, "rlhf_result.json", () =>
      runRlhf({
        model: modelDir,
        rewardModel: rmDir,
        out: dir,
        klCoef: lambda,
        steps: o.rlhfSteps,
        lr: o.rlhfLearningRate,
        maxNewTokens: o.maxNewTokens,
        evalPrompts: 0,
        seed,
        quiet,
        log: () => {},
      }),
    );
    await evalDir("RLHF (RLOO)", `λ=${lambda}`, dir, secs + rmSecs);
  }

  // best-of-N: N samples from SFT, keep the one the learned reward model likes best
  {
    const maxN = Math.max(...o.bestOfN);
    const t = Date.now();
    const samples = await sampleTexts(sftModel, held, {
      n: maxN * o.evalSamples,
      maxNewTokens: o.maxNewTokens,
      seed: seed + 999,
    });
    const flat = held.flatMap((p, i) => samples[i].map((c) => ({ prompt: p, completion: c })));
    const scores = await rm.score(flat);
    const baseline = await sampleTexts(sftModel, held, {
      n: o.evalSamples,
      maxNewTokens: o.maxNewTokens,
      seed: seed + 555 + 1,
    });
    const sampleSecs = (Date.now() - t) / 1000;
    for (const N of o.bestOfN) {
      const picked: { prompt: string; completion: string }[] = [];
      held.forEach((_p, i) => {
        for (let e = 0; e < o.evalSamples; e++) {
          let best = -1;
          for (let j = e * maxN; j < e * maxN + N; j++) {
            const idx = i * maxN * o.evalSamples + j;
            if (best < 0 || scores[idx] > scores[best]) best = idx;
          }
          picked.push(flat[best]);
        }
      });
      const rewards = picked.map((x) => afinnScore(`${x.prompt}${x.completion}`));
      const mean = rewards.reduce((a, b) => a + b, 0) / rewards.length;
      const sd = Math.sqrt(
        rewards.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, rewards.length - 1),
      );
      const base = held.flatMap((p, i) => baseline[i].map((c) => ({ prompt: p, completion: c })));
      const outcomes = await judge.compare(
        picked.map((x, i) => ({ prompt: x.prompt, a: x.completion, b: base[i].completion })),
      );
      const p: FrontierPoint = {
        method: "Best-of-N",
        setting: `N=${N}`,
        kl: Math.log(N) - (N - 1) / N,
        reward: mean,
        rewardSE: sd / Math.sqrt(rewards.length),
        winRate: winRate(outcomes).rate,
        seconds: (sampleSecs * N) / maxN + rmSecs,
      };
      points.push(p);
      log(`experiment: best-of-${N}: reward ${mean.toFixed(2)}, KL ${p.kl.toFixed(2)}`);
    }
  }
  rm.dispose();

  // 6. the exact optimum under the true reward, from reference samples on the held-out prompts
  const refSamples = await referenceSamples(sftModel, held, {
    n: o.optimumSamples,
    maxNewTokens: o.maxNewTokens,
    seed: seed + 4242,
    cachePath: join(out, "reference-samples.json"),
    onProgress: (d, t) => log(`experiment: π* reference samples, ${d}/${t} prompts`),
  });
  sftModel.dispose();
  const optimum = optimumReport(
    refSamples.rewards,
    points.map((p) => Object.assign(p, { perPrompt: perPrompt.get(p) })),
    { seconds: refSamples.seconds },
  );
  for (const p of points) delete (p as { perPrompt?: unknown }).perPrompt;
  points.push(...optimum.points);
  for (const p of points) {
    if (p.efficiency !== undefined)
      log(
        `experiment: ${p.method} ${p.setting}: efficiency vs π* ${p.efficiency.toFixed(2)} (${(p.efficiencyLo ?? Number.NaN).toFixed(2)}–${(p.efficiencyHi ?? Number.NaN).toFixed(2)})`,
      );
  }

  const table = frontierTable(points);
  const svg = frontierPlot(points, "Sentiment world: reward–KL frontier");
  const files = {
    plot: join(out, "frontier.svg"),
    png: join(out, "frontier.png"),
    table: join(out, "frontier.md"),
    json: join(out, "results.json"),
    optimum: join(out, "optimum.md"),
  };
  writeFileSync(files.plot, svg);
  writeFileSync(files.png, svgToPng(svg, 2));
  writeFileSync(files.table, `${table}\n`);
  writeFileSync(files.optimum, `${optimum.markdown}\n`);
  const result: ExperimentResult = {
    points,
    table,
    sftReward: points[0].reward,
    pairs: prefs.length,
    seconds: (Date.now() - t0) / 1000,
    optimum: optimum.markdown,
    files,
  };
  writeJsonAtomic(files.json, { ...result, preset: opts.preset ?? "default", options: o });
  return result;
}
