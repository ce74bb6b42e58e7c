/**
 * The studio's HTTP server (fastify): the web app, a JSON API over the store,
 * and images from <data>/images. Every request passes the access policy
 * (access.ts); JSON bodies are size-limited and validated by schema; every
 * error is one line {"error": "..."}; responses carry a strict
 * Content-Security-Policy (scripts only from the app itself), so even a model
 * output that slipped into the page as markup could not run. The app renders
 * model outputs as text nodes, never as HTML.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import Fastify, { type FastifyError, type FastifyInstance } from "fastify";
import { UserError } from "../engine/errors.js";
import { runCurves } from "../report/curves.js";
import { readMetrics } from "../train/metrics.js";
import { type AccessPolicy, refusal } from "./access.js";
import { exportText } from "./export.js";
import { IMAGE_NAME, importJsonl } from "./import.js";
import { startGenerate, startJudge, startTraining, type TrainRequest, viewRun } from "./jobs.js";
import { resolveInside } from "./safe-path.js";
import type { Media, Store, Task } from "./store.js";
import { majorityPairs, questionResults } from "./tally.js";
import { studioAssets } from "./web-assets.js";

export type StudioServerOptions = {
  store: Store;
  access: AccessPolicy;
  /** largest JSON body in bytes (imports included) */
  bodyLimit?: number;
};

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** A figure file a run folder may show: a PNG with a plain name. */
const FIGURE = /^[\w.-]{1,120}\.png$/;

const TASK = { type: "string", enum: ["pairs", "eval"] } as const;
const LABELER = { type: "string", minLength: 1, maxLength: 64, pattern: "^[\\w .@-]+$" } as const;
const SIDE = { type: "string", enum: ["left", "right", "tie"] } as const;

const TOKEN_COOKIE = "prefopt_studio_token";

/** The value of cookie `name` in a Cookie header. */
function cookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const i = part.indexOf("=");
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

/** One line of text for an error (fastify's validation messages, body limits, UserErrors). */
function oneLine(e: FastifyError | Error): string {
  const err = e as FastifyError;
  if (err.validation?.length) {
    const v = err.validation[0];
    const at = `${err.validationContext ?? "body"}${v.instancePath || ""}`;
    const allowed =
      v.params && "allowedValues" in v.params
        ? ` (${(v.params.allowedValues as string[]).join(", ")})`
        : "";
    const extra =
      v.params && "additionalProperty" in v.params ? ` "${v.params.additionalProperty}"` : "";
    return `${at}: ${v.message}${extra}${allowed}`.replace(/\s*\n\s*/g, " ");
  }
  return err.message.replace(/\s*\n\s*/g, " ");
}

/** Builds the studio app (not yet listening). */
export async function createStudioServer(opts: StudioServerOptions): Promise<FastifyInstance> {
  const { store } = opts;
  const assets = await studioAssets();
  const app = Fastify({
    bodyLimit: opts.bodyLimit ?? 8 * 1024 * 1024,
    logger: false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  });

  // JSON only: a cross-site form (text/plain, urlencoded) cannot post to the API
  app.removeContentTypeParser("text/plain");

  app.addHook("onRequest", async (req, reply) => {
    const q = req.query as Record<string, unknown> | undefined;
    const fromQuery = typeof q?.token === "string" ? q.token : undefined;
    const token =
      (req.headers["x-prefopt-token"] as string | undefined) ??
      fromQuery ??
      cookie(req.headers.cookie, TOKEN_COOKIE);
    const no = refusal(opts.access, { host: req.headers.host, token });
    if (!no && opts.access.token && fromQuery) {
      // the page's own requests (script, style, images) then carry it as a cookie
      reply.header("set-cookie", `${TOKEN_COOKIE}=${fromQuery}; HttpOnly; SameSite=Strict; Path=/`);
    }
    reply.header("content-security-policy", CSP);
    reply.header("x-content-type-options", "nosniff");
    reply.header("referrer-policy", "no-referrer");
    reply.header("x-frame-options", "DENY");
    reply.header("cache-control", "no-store");
    if (no) return reply.code(no.status).send({ error: no.error });
  });

  app.setErrorHandler((err: FastifyError, _req, reply) => {
    if (err instanceof UserError) return reply.code(400).send({ error: oneLine(err) });
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    reply.code(status).send({ error: oneLine(err) });
  });
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send({ error: `not found: ${req.method} ${req.url.split("?")[0]}` });
  });

  // --- the web app
  app.get("/", (_req, reply) => reply.type("text/html; charset=utf-8").send(assets.html));
  app.get("/app.js", (_req, reply) => reply.type("text/javascript; charset=utf-8").send(assets.js));
  app.get("/favicon.ico", (_req, reply) => reply.code(204).send());
  app.get("/app.css", (_req, reply) => reply.type("text/css; charset=utf-8").send(assets.css));

  // --- images: only content-addressed names from <data>/images
  app.get<{ Params: { name: string } }>("/media/:name", (req, reply) => {
    const { name } = req.params;
    if (!IMAGE_NAME.test(name)) {
      return reply.code(400).send({ error: `media: "${name}" is not an image name of the studio` });
    }
    const path = join(store.dataDir, "images", name);
    if (!existsSync(path)) return reply.code(404).send({ error: `media: ${name} not found` });
    return reply.type("image/png").send(readFileSync(path));
  });

  // --- labeling and evaluation
  app.get<{ Querystring: { task: Task; labeler: string } }>(
    "/api/next",
    {
      schema: {
        querystring: {
          type: "object",
          required: ["task", "labeler"],
          properties: { task: TASK, labeler: LABELER, token: { type: "string" } },
        },
      },
    },
    (req) => {
      const { task, labeler } = req.query;
      return { next: store.next(task, labeler), progress: store.progress(task, labeler) };
    },
  );

  app.post<{
    Body: {
      assignment: number;
      labeler: string;
      answers?: Record<string, "left" | "right" | "tie">;
      skip?: boolean;
      clientId?: string;
    };
  }>(
    "/api/judgments",
    {
      bodyLimit: 16 * 1024,
      schema: {
        body: {
          type: "object",
          required: ["assignment", "labeler"],
          additionalProperties: false,
          properties: {
            assignment: { type: "integer", minimum: 1 },
            labeler: LABELER,
            answers: {
              type: "object",
              maxProperties: 8,
              propertyNames: { pattern: "^[a-z]{1,32}$" },
              additionalProperties: SIDE,
            },
            skip: { type: "boolean" },
            clientId: { type: "string", minLength: 8, maxLength: 64, pattern: "^[\\w-]+$" },
          },
        },
      },
    },
    (req) => {
      const b = req.body;
      if (!b.skip && !b.answers) throw new UserError("body: give answers or skip: true");
      const r = store.judge(b);
      return { saved: r.id, duplicate: r.duplicate, progress: store.progress(r.task, b.labeler) };
    },
  );

  app.post<{ Body: { task: Task; labeler: string } }>(
    "/api/undo",
    {
      bodyLimit: 4096,
      schema: {
        body: {
          type: "object",
          required: ["task", "labeler"],
          additionalProperties: false,
          properties: { task: TASK, labeler: LABELER },
        },
      },
    },
    (req) => {
      const { task, labeler } = req.body;
      return { next: store.undo(task, labeler), progress: store.progress(task, labeler) };
    },
  );

  // --- data in and out
  app.get("/api/summary", () => {
    const pairs = majorityPairs(store.items("pairs"), store.judgments("pairs"));
    return {
      counts: store.counts(),
      exportable: pairs.pairs.length,
      undecided: pairs.undecided,
      labeling: questionResults("pairs", store.items("pairs"), store.judgments("pairs")),
    };
  });

  app.post<{
    Body: {
      task: Task;
      file?: string;
      jsonl?: string;
      modelA?: string;
      modelB?: string;
    };
  }>(
    "/api/import",
    {
      schema: {
        body: {
          type: "object",
          required: ["task"],
          additionalProperties: false,
          properties: {
            task: TASK,
            file: { type: "string", minLength: 1, maxLength: 1024 },
            jsonl: { type: "string", minLength: 1 },
            modelA: { type: "string", minLength: 1, maxLength: 64 },
            modelB: { type: "string", minLength: 1, maxLength: 64 },
          },
        },
      },
    },
    (req) => {
      const b = req.body;
      if ((b.file === undefined) === (b.jsonl === undefined)) {
        throw new UserError(
          "body: give either file (a JSONL path inside the data directory) or jsonl (its text)",
        );
      }
      const common = { task: b.task, modelA: b.modelA, modelB: b.modelB, confineTo: store.dataDir };
      if (b.file !== undefined) {
        const path = resolveInside(store.dataDir, b.file, "file");
        const text = readFileSync(path, "utf8");
        return importJsonl(store, text, b.file, { ...common, baseDir: join(path, "..") });
      }
      return importJsonl(store, b.jsonl!, "uploaded JSONL", { ...common, baseDir: store.dataDir });
    },
  );

  app.get<{ Querystring: { media?: Media } }>(
    "/api/export",
    {
      schema: {
        querystring: {
          type: "object",
          properties: {
            media: { type: "string", enum: ["text", "image"] },
            token: { type: "string" },
          },
        },
      },
    },
    (req, reply) => {
      const media = req.query.media ?? "text";
      // image paths point into the data directory, which is where a downloaded file is used from
      const { text, summary } = exportText(store, media, store.dataDir);
      reply
        .header("content-disposition", `attachment; filename="prefopt-${media}-pairs.jsonl"`)
        .header("x-prefopt-rows", String(summary.rows))
        .type("application/x-ndjson; charset=utf-8");
      return text;
    },
  );

  // --- human evaluation
  app.get("/api/eval/results", () => {
    const items = store.items("eval");
    const models = [...new Set(items.map((i) => `${i.modelA} vs ${i.modelB}`))];
    return {
      models,
      items: items.length,
      questions: questionResults("eval", items, store.judgments("eval")),
    };
  });

  app.post("/api/eval/judge", { bodyLimit: 1024 }, () => ({
    run: viewRun(store, startJudge(store)),
  }));

  // --- training runs and reports
  app.post<{ Body: TrainRequest }>(
    "/api/train",
    {
      bodyLimit: 4096,
      schema: {
        body: {
          type: "object",
          required: ["steps", "batchSize"],
          additionalProperties: false,
          properties: {
            kind: { type: "string", enum: ["dpo", "diffusion-dpo"] },
            steps: { type: "integer", minimum: 1, maximum: 100000 },
            beta: { type: "number", exclusiveMinimum: 0, maximum: 100000 },
            batchSize: { type: "integer", minimum: 1, maximum: 1024 },
            lr: { type: "number", exclusiveMinimum: 0, maximum: 1 },
          },
        },
      },
    },
    (req) => {
      return { run: viewRun(store, startTraining(store, req.body)) };
    },
  );

  app.post<{
    Body: {
      task: Task;
      run?: string;
      prompts?: string[];
      limit?: number;
      maxNewTokens?: number;
      temperature?: number;
    };
  }>(
    "/api/generate",
    {
      bodyLimit: 512 * 1024,
      schema: {
        body: {
          type: "object",
          required: ["task"],
          additionalProperties: false,
          properties: {
            task: TASK,
            run: { type: "string", pattern: "^[\\w-]{1,80}$" },
            prompts: {
              type: "array",
              minItems: 1,
              maxItems: 500,
              items: { type: "string", maxLength: 2000 },
            },
            limit: { type: "integer", minimum: 1, maximum: 500 },
            maxNewTokens: { type: "integer", minimum: 1, maximum: 256 },
            temperature: { type: "number", minimum: 0, maximum: 5 },
          },
        },
      },
    },
    (req) => {
      const b = req.body;
      return {
        run: viewRun(
          store,
          startGenerate(store, {
            task: b.task,
            run: b.run,
            prompts: b.prompts,
            limit: b.limit ?? 50,
            maxNewTokens: b.maxNewTokens ?? 24,
            temperature: b.temperature ?? 1,
          }),
        ),
      };
    },
  );

  app.get("/api/runs", () => ({ runs: store.runs().map((r) => viewRun(store, r)) }));

  /**
   * Run folders under <data>/runs (trained here, or copied in): those with a
   * metrics.jsonl, and the PNG figures each holds (curves, image grids,
   * frontiers, the unlearning figure: whatever the command that made it drew).
   */
  app.get("/api/reports", () => {
    const root = join(store.dataDir, "runs");
    if (!existsSync(root)) return { runs: [] };
    const runs = readdirSync(root, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => {
        const files = readdirSync(join(root, d.name));
        return {
          dir: `runs/${d.name}`,
          metrics: files.includes("metrics.jsonl"),
          figures: files.filter((f) => FIGURE.test(f)).sort(),
        };
      })
      .filter((r) => r.metrics || r.figures.length)
      .sort((a, b) => (a.dir < b.dir ? -1 : 1));
    return { runs };
  });

  app.get<{ Querystring: { dir: string; name: string } }>(
    "/api/figure",
    {
      schema: {
        querystring: {
          type: "object",
          required: ["dir", "name"],
          properties: {
            dir: { type: "string", minLength: 1, maxLength: 1024 },
            name: { type: "string", pattern: FIGURE.source },
            token: { type: "string" },
          },
        },
      },
    },
    (req, reply) => {
      const path = resolveInside(store.dataDir, join(req.query.dir, req.query.name), "dir");
      if (!existsSync(path)) throw new UserError(`${req.query.dir}/${req.query.name}: not found`);
      return reply.type("image/png").send(readFileSync(path));
    },
  );

  app.get<{ Querystring: { dir: string } }>(
    "/api/metrics",
    {
      schema: {
        querystring: {
          type: "object",
          required: ["dir"],
          properties: {
            dir: { type: "string", minLength: 1, maxLength: 1024 },
            token: { type: "string" },
          },
        },
      },
    },
    (req) => {
      const dir = resolveInside(store.dataDir, req.query.dir, "dir");
      const path = join(dir, "metrics.jsonl");
      if (!existsSync(path)) throw new UserError(`dir: ${req.query.dir} has no metrics.jsonl`);
      return { dir: req.query.dir, rows: readMetrics(path) };
    },
  );

  /** The training-curves figure (report/curves.ts) of one or more run folders, overlaid, as SVG. */
  app.get<{ Querystring: { dir: string | string[] } }>(
    "/api/curves.svg",
    {
      schema: {
        querystring: {
          type: "object",
          required: ["dir"],
          properties: {
            dir: {
              anyOf: [
                { type: "string", minLength: 1, maxLength: 1024 },
                {
                  type: "array",
                  minItems: 1,
                  maxItems: 8,
                  items: { type: "string", minLength: 1, maxLength: 1024 },
                },
              ],
            },
            token: { type: "string" },
          },
        },
      },
    },
    (req, reply) => {
      const rels = Array.isArray(req.query.dir) ? req.query.dir : [req.query.dir];
      const dirs = rels.map((d) => {
        const p = resolveInside(store.dataDir, d, "dir");
        if (!existsSync(join(p, "metrics.jsonl"))) {
          throw new UserError(`dir: ${d} has no metrics.jsonl`);
        }
        return p;
      });
      const fig = runCurves(dirs, {
        title: rels.length === 1 ? `training curves: ${rels[0]}` : "training curves",
      });
      return reply.type("image/svg+xml; charset=utf-8").send(fig.svg);
    },
  );

  return app;
}
