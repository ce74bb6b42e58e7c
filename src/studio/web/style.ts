/** The studio's style sheet (served as /app.css). */
export const STUDIO_CSS = `
:root { --fg: #1d2330; --muted: #6b7385; --line: #d9dde6; --accent: #2f6fde; --bg: #f6f7fa; --pick: #e8f0ff; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; align-items: center; gap: 24px; padding: 10px 20px; background: #fff; border-bottom: 1px solid var(--line); }
h1 { font-size: 18px; margin: 0; }
h3 { margin: 18px 0 8px; font-size: 16px; }
nav button { text-transform: capitalize; border: none; background: none; padding: 6px 12px; border-radius: 6px; cursor: pointer; font: inherit; color: var(--muted); }
nav button.active { background: var(--pick); color: var(--accent); font-weight: 600; }
.me { margin-left: auto; color: var(--muted); }
button.link { border: none; background: none; color: var(--accent); cursor: pointer; font: inherit; padding: 0; }
main { padding: 16px 20px; max-width: 1200px; margin: 0 auto; }
.progress { display: flex; align-items: center; gap: 12px; margin-bottom: 12px; }
.bar { flex: 1; height: 8px; background: #e3e6ee; border-radius: 4px; overflow: hidden; }
.fill { height: 100%; background: var(--accent); }
.count { color: var(--muted); font-size: 13px; white-space: nowrap; }
.prompt { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; margin-bottom: 10px; }
.prompt .label { font-size: 12px; text-transform: uppercase; color: var(--muted); letter-spacing: .05em; }
pre.text { white-space: pre-wrap; word-break: break-word; font: inherit; margin: 4px 0 0; }
.question { display: flex; flex-wrap: wrap; gap: 8px; margin: 8px 0; }
.question .q { padding: 4px 10px; border-radius: 14px; background: #e9ecf3; color: var(--muted); font-size: 14px; }
.question .q.active { background: var(--accent); color: #fff; }
.question .q.answered { background: #dbe9d8; color: #2d5a27; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 14px; }
.candidate { margin: 0; background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; min-height: 120px; }
.candidate figcaption { font-size: 12px; color: var(--muted); margin-bottom: 6px; }
.candidate img { width: 100%; max-width: 280px; image-rendering: pixelated; display: block; margin: 0 auto; background: #000; }
.keys { display: flex; gap: 8px; margin-top: 12px; flex-wrap: wrap; }
.keys button, form button { font: inherit; padding: 6px 14px; border: 1px solid var(--line); border-radius: 6px; background: #fff; cursor: pointer; }
.busy { opacity: .6; }
.error { color: #b3261e; background: #fdecea; padding: 6px 10px; border-radius: 6px; }
.ok { color: #2d5a27; }
.done { font-size: 17px; padding: 30px; text-align: center; background: #fff; border-radius: 8px; border: 1px solid var(--line); }
table.results { border-collapse: collapse; background: #fff; width: 100%; margin: 8px 0; }
table.results th, table.results td { border-bottom: 1px solid var(--line); padding: 6px 10px; text-align: left; font-size: 14px; }
table.results td.rate { font-variant-numeric: tabular-nums; white-space: nowrap; }
svg.interval .half { stroke: #bbb; stroke-dasharray: 2 2; }
svg.interval .ci { stroke: var(--accent); stroke-width: 3; }
svg.interval .dot, svg.chart .dot { fill: var(--accent); }
form.import, .train form { display: flex; flex-direction: column; gap: 8px; max-width: 720px; }
.train form { flex-direction: row; flex-wrap: wrap; align-items: center; max-width: none; }
.train form h3 { width: 100%; }
input, select, textarea { font: inherit; padding: 5px 8px; border: 1px solid var(--line); border-radius: 6px; }
.train input { width: 90px; }
.models { display: flex; gap: 8px; }
ul.runs { list-style: none; padding: 0; }
ul.runs li { padding: 4px 8px; cursor: pointer; border-radius: 4px; font-family: monospace; font-size: 13px; }
ul.runs li.sel { background: var(--pick); }
pre.log { background: #1d2330; color: #dfe3ea; padding: 8px 12px; border-radius: 6px; font-size: 12px; max-height: 160px; overflow: auto; white-space: pre-wrap; }
.charts { display: flex; flex-wrap: wrap; gap: 10px; }
svg.chart { background: #fff; border: 1px solid var(--line); border-radius: 6px; }
svg.chart .title { font-size: 12px; font-weight: 600; fill: var(--fg); }
svg.chart .tick { font-size: 10px; fill: var(--muted); }
svg.chart .grid { stroke: #eceef3; }
svg.chart .line { fill: none; stroke: var(--accent); stroke-width: 1.6; }
.muted { color: var(--muted); }
ul.run-pick { list-style: none; padding: 0; margin: 0 0 10px; font-family: monospace; font-size: 13px; }
img.curves { max-width: 100%; background: #fff; border: 1px solid var(--line); border-radius: 6px; }
figure.figure { margin: 12px 0; }
figure.figure img { max-width: 100%; image-rendering: pixelated; background: #fff; }
figure.figure figcaption { font-size: 12px; color: var(--muted); }
.exports a { color: var(--accent); }
`;
