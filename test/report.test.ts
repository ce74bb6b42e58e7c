import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { reweightFigure } from "../src/report/reweight-figure.js";
import { niceTicks } from "../src/report/svg-plot.js";
import { svgToPng } from "../src/report/svg-to-png.js";
import { setup } from "./helpers.js";

describe("plots", () => {
  before(setup);

  it("niceTicks covers the range with a 1-2-5 step", () => {
    assert.deepEqual(niceTicks(0, 0.65, 4), [0, 0.25, 0.5, 0.75]);
    assert.deepEqual(niceTicks(0, 0.65, 6), [0, 0.2, 0.4, 0.6, 0.8]);
    const t = niceTicks(-4, 6);
    assert.ok(t[0] <= -4 && t[t.length - 1] >= 6);
  });

  it("the reweight figure: π* integrates to 1 and is π_ref·exp(r/β) up to a constant", async () => {
    const fig = await reweightFigure({ beta: 0.1 });
    const dx = fig.x[1] - fig.x[0];
    const mass = fig.optimumDensity.reduce((s, d) => s + d * dx, 0);
    assert.ok(Math.abs(mass - 1) < 1e-3, `mass ${mass}`);
    const ratios = fig.optimumDensity.map((d, i) => d / (fig.refDensity[i] * fig.weight[i]));
    const mid = ratios[Math.floor(ratios.length / 2)];
    for (const i of [100, 200, 300, 400]) assert.ok(Math.abs(ratios[i] / mid - 1) < 1e-3);
    // small β pulls the mass toward the reward's peak at 2
    assert.ok(fig.optimumMean > 1 && fig.optimumMean < 2, `mean ${fig.optimumMean}`);
    const png = svgToPng(fig.svg);
    assert.deepEqual(Array.from(png.slice(1, 4)), [0x50, 0x4e, 0x47]); // "PNG"
  });

  it("large β leaves π_ref almost unchanged", async () => {
    const fig = await reweightFigure({ beta: 100, points: 201 });
    assert.ok(Math.abs(fig.optimumMean) < 0.01);
  });
});
