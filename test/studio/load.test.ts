/**
 * Several people labeling at once, on 127.0.0.1 only, with a fixed number of
 * requests: 20 concurrent labelers each label all 30 pairs through the HTTP
 * API of a real `prefopt studio` process. No label may be lost or doubled;
 * then the same with the server killed by SIGKILL midway: every label the
 * server acknowledged is in the database after the kill, and after a restart
 * the labelers finish with exactly one label per pair each.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { importJsonl } from "../../src/studio/import.js";
import { Store } from "../../src/studio/store.js";
import { NO_SQLITE, tempDir } from "./helpers.js";
import { startStudio, stopStudio } from "./studio-process.js";

const LABELERS = 20;
const PAIRS = 20;

function makeData(): string {
  const dir = tempDir();
  const s = new Store(dir);
  const rows = Array.from({ length: PAIRS }, (_, i) =>
    JSON.stringify({ prompt: `p${i}`, chosen: ` yes ${i}`, rejected: ` no ${i}` }),
  );
  importJsonl(s, rows.join("\n"), "load.jsonl", { task: "pairs", baseDir: dir });
  s.close();
  return dir;
}

type Acked = { labeler: string; clientId: string; item: number };

/**
 * One labeler: next → judgment until done, at most `limit` requests; stops at
 * the first network error (the server was killed). Returns acknowledged labels.
 */
async function labeler(
  base: string,
  name: string,
  acked: Acked[],
  stopAfter: { n: number },
): Promise<void> {
  for (let req = 0; req < 2 * PAIRS + 2; req++) {
    let next: { assignment: number; item: number } | null;
    try {
      const r = await fetch(`${base}/api/next?task=pairs&labeler=${name}`);
      next = ((await r.json()) as { next: { assignment: number; item: number } | null }).next;
    } catch {
      return;
    }
    if (!next || acked.length >= stopAfter.n) return;
    const clientId = `${name}-${next.item}-${Math.random().toString(36).slice(2, 10)}`;
    try {
      const r = await fetch(`${base}/api/judgments`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          assignment: next.assignment,
          labeler: name,
          answers: { preference: next.item % 2 ? "left" : "right" },
          clientId,
        }),
      });
      if (r.status !== 200) throw new Error(`${r.status} ${await r.text()}`);
      acked.push({ labeler: name, clientId, item: next.item });
    } catch (e) {
      if ((e as Error).message.startsWith("fetch failed")) return;
      throw e;
    }
  }
}

function storedIds(dir: string): Map<string, { labeler: string; item: number }> {
  const s = new Store(dir);
  const rows = s.db
    .prepare("SELECT client_id, labeler, item_id FROM judgments WHERE undone_at IS NULL")
    .all() as { client_id: string; labeler: string; item_id: number }[];
  s.close();
  return new Map(rows.map((r) => [r.client_id, { labeler: r.labeler, item: r.item_id }]));
}

function assertComplete(dir: string): void {
  const stored = storedIds(dir);
  assert.equal(stored.size, LABELERS * PAIRS);
  const per = new Map<string, Set<number>>();
  for (const { labeler, item } of stored.values()) {
    per.set(labeler, (per.get(labeler) ?? new Set()).add(item));
  }
  assert.equal(per.size, LABELERS);
  for (const [l, items] of per) assert.equal(items.size, PAIRS, `${l} labeled each pair once`);
}

const names = Array.from({ length: LABELERS }, (_, i) => `labeler${i}`);

describe("studio under load", { skip: NO_SQLITE }, () => {
  it(`${LABELERS} concurrent labelers × ${PAIRS} pairs: every label stored once`, async () => {
    const dir = makeData();
    const p = await startStudio(dir);
    const base = p.url.replace(/\/$/, "");
    const acked: Acked[] = [];
    const t0 = performance.now();
    await Promise.all(names.map((n) => labeler(base, n, acked, { n: Infinity })));
    const seconds = (performance.now() - t0) / 1000;
    await stopStudio(p);
    assert.equal(acked.length, LABELERS * PAIRS);
    const stored = storedIds(dir);
    for (const a of acked) assert.ok(stored.has(a.clientId), `acknowledged ${a.clientId} stored`);
    assertComplete(dir);
    console.log(
      `# load: ${LABELERS} labelers, ${acked.length} labels (${2 * acked.length + LABELERS} requests) in ${seconds.toFixed(2)} s, ${(acked.length / seconds).toFixed(0)} labels/s; stored ${stored.size}`,
    );
  });

  it("kill -9 midway loses no acknowledged label; after a restart the labelers finish", async () => {
    const dir = makeData();
    let p = await startStudio(dir);
    let base = p.url.replace(/\/$/, "");
    const acked: Acked[] = [];
    const half = (LABELERS * PAIRS) / 2;
    // kill the server while requests are in flight, once about half the labels are acknowledged
    const killer = (async () => {
      while (acked.length < half) await new Promise((r) => setTimeout(r, 2));
      p.child.kill("SIGKILL");
    })();
    await Promise.all(names.map((n) => labeler(base, n, acked, { n: Infinity })));
    await killer;
    await stopStudio(p);
    assert.equal(p.child.signalCode, "SIGKILL");
    const afterKill = storedIds(dir);
    const lost = acked.filter((a) => !afterKill.has(a.clientId));
    assert.deepEqual(lost, [], "acknowledged labels missing after kill -9");
    const firstPhase = acked.length;
    assert.ok(firstPhase >= half && firstPhase < LABELERS * PAIRS);
    // restart and let everyone finish
    p = await startStudio(dir);
    base = p.url.replace(/\/$/, "");
    await Promise.all(names.map((n) => labeler(base, n, acked, { n: Infinity })));
    await stopStudio(p);
    assertComplete(dir);
    console.log(
      `# kill -9: ${firstPhase} labels acknowledged before the kill, ${afterKill.size} stored (${afterKill.size - firstPhase} committed but not yet acknowledged), 0 lost; after restart ${LABELERS * PAIRS} stored, each pair once per labeler`,
    );
  });
});
