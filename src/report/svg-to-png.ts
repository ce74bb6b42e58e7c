/**
 * Rasterises an SVG document to PNG bytes with resvg (a Rust renderer shipped
 * as a prebuilt npm binary), using the system's fonts for text. The native
 * module loads on the first call, so importing prefopt does not load it.
 */
import { createRequire } from "node:module";

type ResvgModule = typeof import("@resvg/resvg-js");
let resvg: ResvgModule | undefined;

export function svgToPng(svg: string, scale = 1): Uint8Array {
  resvg ??= createRequire(import.meta.url)("@resvg/resvg-js") as ResvgModule;
  const r = new resvg.Resvg(svg, {
    fitTo: { mode: "zoom", value: scale },
    background: "white",
    font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans" },
  });
  return r.render().asPng();
}
