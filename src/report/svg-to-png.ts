/**
 * Rasterises an SVG document to PNG bytes with resvg (a Rust renderer shipped
 * as a prebuilt npm binary), using the system's fonts for text.
 */
import { Resvg } from "@resvg/resvg-js";

export function svgToPng(svg: string, scale = 1): Uint8Array {
  const r = new Resvg(svg, {
    fitTo: { mode: "zoom", value: scale },
    background: "white",
    font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans" },
  });
  return r.render().asPng();
}
