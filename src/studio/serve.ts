/**
 * Starting the studio: open the store, decide the access policy (a token is
 * required whenever the host is not a loopback address), listen, and stop
 * cleanly on SIGINT/SIGTERM (the database is closed; WAL makes even a kill -9
 * safe for every acknowledged label).
 */
import type { FastifyInstance } from "fastify";
import { UserError } from "../engine/errors.js";
import { isLoopback, newToken } from "./access.js";
import { createStudioServer } from "./server.js";
import { Store } from "./store.js";

export type ServeOptions = {
  dataDir: string;
  host: string;
  port: number;
  /** required off loopback; generated when not given */
  token?: string;
};

export type RunningStudio = {
  app: FastifyInstance;
  store: Store;
  url: string;
  token?: string;
  close(): Promise<void>;
};

/** Starts the studio and resolves once it listens; `url` includes ?token= when one is needed. */
export async function serveStudio(opts: ServeOptions): Promise<RunningStudio> {
  if (opts.token !== undefined && !/^[\w-]{16,128}$/.test(opts.token)) {
    throw new UserError("--token: expected 16 to 128 letters, digits, _ or -");
  }
  const token = opts.token ?? (isLoopback(opts.host) ? undefined : newToken());
  const store = new Store(opts.dataDir);
  const app = await createStudioServer({ store, access: { token } });
  try {
    await app.listen({ host: opts.host, port: opts.port });
  } catch (e) {
    store.close();
    const err = e as NodeJS.ErrnoException;
    throw new UserError(
      `--host ${opts.host} --port ${opts.port}: cannot listen (${err.code ?? err.message})`,
    );
  }
  const addr = app.server.address();
  const port = typeof addr === "object" && addr ? addr.port : opts.port;
  const shownHost = opts.host.includes(":") ? `[${opts.host}]` : opts.host;
  const url = `http://${shownHost}:${port}/${token ? `?token=${token}` : ""}`;
  let closed = false;
  return {
    app,
    store,
    url,
    token,
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      store.close();
    },
  };
}
