/**
 * The browser example: load the bundled text model over HTTP, sample, run a
 * few DPO steps on preferences written in the page, sample again with the same
 * seeds. Built by examples/browser/build.mjs (esbuild) into dist/.
 */
import {
  CausalLM,
  completionLogProbs,
  DpoStepper,
  initEngine,
  type PreferenceExample,
  parsePreferenceJsonl,
} from "prefopt";

const PROMPTS = ["The movie", "The acting", "This film", "The story"];
const SAMPLES = 3;
const GEN = { maxNewTokens: 14, temperature: 1, seed: 7 };
const DEFAULT_PAIRS: PreferenceExample[] = [
  { prompt: "The movie", chosen: " was wonderful and moving.", rejected: " was dull and boring." },
  { prompt: "The acting", chosen: " was brilliant.", rejected: " was terrible." },
  { prompt: "This film", chosen: " is a joy to watch.", rejected: " is a waste of time." },
  { prompt: "The story", chosen: " is beautiful and funny.", rejected: " is stupid and bad." },
];

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = (s: string) => {
  $("status").textContent = s;
};
const state: {
  lm?: CausalLM;
  before?: string[][];
  after?: string[][];
  metrics: Record<string, number>[];
  margins?: { before: number; after: number };
  done: boolean;
  error?: string;
} = { metrics: [], done: false };
(globalThis as unknown as { prefoptDemo: typeof state }).prefoptDemo = state;

async function sample(lm: CausalLM): Promise<string[][]> {
  return lm.generateBatch(PROMPTS, { ...GEN, n: SAMPLES });
}

function show(el: HTMLElement, rows: string[][], pick: boolean): void {
  el.replaceChildren();
  rows.forEach((texts, i) => {
    const p = document.createElement("div");
    const title = document.createElement("div");
    title.className = "prompt";
    title.textContent = PROMPTS[i];
    const ol = document.createElement("ol");
    for (const [j, t] of texts.entries()) {
      const li = document.createElement("li");
      li.textContent = `${PROMPTS[i]}${t}`;
      if (pick) {
        // prefer this sample over the next one of the same prompt
        const other = texts[(j + 1) % texts.length];
        const b = document.createElement("button");
        b.className = "pick";
        b.textContent = "prefer";
        b.onclick = () => {
          const line = JSON.stringify({ prompt: PROMPTS[i], chosen: t, rejected: other });
          $<HTMLTextAreaElement>("pairs").value += `\n${line}`;
        };
        li.append(b);
      }
      ol.append(li);
    }
    p.append(title, ol);
    el.append(p);
  });
}

/** Mean log π(chosen) − log π(rejected) over the pairs (completion tokens, as DPO scores them). */
async function meanMargin(lm: CausalLM, pairs: PreferenceExample[]): Promise<number> {
  const eos = lm.tokenizer.eosTokenId;
  const enc = (s: string) => [
    ...lm.tokenizer.encode(s, { addSpecialTokens: false }),
    ...(eos === undefined ? [] : [eos]),
  ];
  const rows = pairs.flatMap((p) => {
    const prompt = lm.tokenizer.encode(p.prompt);
    return [
      { prompt, completion: enc(p.chosen) },
      { prompt, completion: enc(p.rejected) },
    ];
  });
  const lp = await completionLogProbs(lm.config, lm.params, rows);
  let s = 0;
  for (let i = 0; i < pairs.length; i++) s += lp[2 * i] - lp[2 * i + 1];
  return s / pairs.length;
}

async function train(): Promise<void> {
  const lm = state.lm as CausalLM;
  $<HTMLButtonElement>("train").disabled = true;
  const pairs = parsePreferenceJsonl($<HTMLTextAreaElement>("pairs").value, "page");
  const steps = Number($<HTMLInputElement>("steps").value);
  const before = await meanMargin(lm, pairs);
  const stepper = new DpoStepper(lm, {
    beta: Number($<HTMLInputElement>("beta").value),
    lr: Number($<HTMLInputElement>("lr").value),
  });
  const body = $("metrics").querySelector("tbody") as HTMLElement;
  for (let i = 0; i < steps; i++) {
    status(`DPO step ${i + 1}/${steps}…`);
    const t0 = performance.now();
    const m = await stepper.step(pairs);
    m.ms = performance.now() - t0;
    state.metrics.push(m);
    const tr = document.createElement("tr");
    for (const v of [
      i + 1,
      m.loss.toFixed(4),
      m["rewards/margins"].toFixed(4),
      m["rewards/accuracies"].toFixed(2),
      m.grad_norm.toFixed(3),
      m.ms.toFixed(0),
    ]) {
      const td = document.createElement("td");
      td.textContent = String(v);
      tr.append(td);
    }
    body.append(tr);
  }
  stepper.dispose();
  const after = await meanMargin(lm, pairs);
  state.margins = { before, after };
  $("margins").textContent =
    `mean log π(chosen) − log π(rejected) over the ${pairs.length} pairs: ` +
    `${before.toFixed(2)} before, ${after.toFixed(2)} after`;
  status("sampling after training…");
  state.after = await sample(lm);
  show($("after"), state.after, false);
  status(`done: ${steps} DPO steps`);
  state.done = true;
}

async function main(): Promise<void> {
  // ?device=webgpu (or auto) computes on the GPU through the page's navigator.gpu
  const device = new URLSearchParams(location.search).get("device") ?? "cpu";
  const info = await initEngine({ device: device as "cpu" | "webgpu" | "auto" });
  $("engine").textContent =
    `(engine: ${info.device}, ${info.threads} thread${info.threads > 1 ? "s" : ""})`;
  $<HTMLTextAreaElement>("pairs").value = DEFAULT_PAIRS.map((p) => JSON.stringify(p)).join("\n");
  status("fetching the model…");
  state.lm = await CausalLM.fromUrl(new URL("./model/", location.href));
  status("sampling…");
  state.before = await sample(state.lm);
  show($("before"), state.before, true);
  status("ready: edit the preferences and train");
  $<HTMLButtonElement>("train").disabled = false;
  $("train").onclick = () => {
    train().catch(fail);
  };
  if (new URLSearchParams(location.search).has("autotrain")) await train();
}

function fail(err: unknown): void {
  state.error = String((err as Error)?.stack ?? err);
  status(`error: ${(err as Error)?.message ?? err}`);
  console.error(err);
}

main().catch(fail);
