// The report as one self-contained HTML page: styles, the chart library and the data inlined, and
// a Content-Security-Policy that forbids every network request, so it opens from disk anywhere.
import type { ReportData } from './data.ts';
import { PAGE_SCRIPT } from './page-script.ts';

/** The chart library's browser builds, inlined in order (d3 first: Plot's UMD build needs it). */
export interface ChartLibrary {
  scripts: string[];
}

/**
 * JSON that is safe inside a <script> element whatever strings the dataset holds: `<` is escaped
 * so no `</script>` or `<!--` can end or confuse the element, and so are the line separators that
 * old parsers treat as line ends.
 */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** A library's source made safe to inline: no sequence in it may close the script element. */
function inlineScript(source: string): string {
  return source.replace(/<\/script/gi, '<\\/script');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
  :root { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; background: #fafafa; }
  body { margin: 0 auto; max-width: 1200px; padding: 1rem 2rem 4rem; }
  h1 { margin-bottom: .2rem; } h2 { margin-top: 2.5rem; border-bottom: 1px solid #ddd; padding-bottom: .3rem; }
  .purpose { color: #555; }
  dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
  dl.meta dt { color: #666; } dl.meta dd { margin: 0; font-family: ui-monospace, monospace; }
  table { border-collapse: collapse; } th, td { padding: .25rem .8rem; text-align: right; border-bottom: 1px solid #eee; }
  th:first-child, td:first-child { text-align: left; }
  .grid { display: flex; flex-wrap: wrap; gap: 1rem 2rem; }
  figure.chart { margin: 0; } figcaption { font-weight: 600; margin-bottom: .3rem; }
  .rule-block { display: flex; flex-wrap: wrap; gap: 1rem 2rem; align-items: flex-start; width: 100%; }
  dl.rules { max-width: 560px; font-size: .9rem; } dl.rules dt { font-weight: 600; margin-top: .4rem; } dl.rules dd { margin: 0 0 0 1rem; color: #444; }
  .empty, .note { color: #777; font-style: italic; }
  #player { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 1rem; }
  #player .controls { display: flex; gap: .5rem; align-items: center; flex-wrap: wrap; margin: .5rem 0; }
  #player select { max-width: 100%; }
  #screen { width: 100%; max-height: 70vh; background: #eee; border: 1px solid #ccc; }
  #screen .blank { fill: #f4f4f4; } #screen .noframe { fill: #bbb; font-size: 40px; text-anchor: middle; }
  #screen .path { fill: none; stroke: #f28e2b; stroke-width: 3; stroke-dasharray: 8 6; }
  #screen .drag, #screen .scroll { stroke: #e15759; stroke-width: 5; }
  #screen .mark { fill: rgba(225, 87, 89, .35); stroke: #e15759; stroke-width: 3; }
  #screen .caption { fill: rgba(0, 0, 0, .65); } #screen .caption.redacted { fill: rgba(120, 0, 0, .75); }
  #screen .caption-text { fill: #fff; font-family: ui-monospace, monospace; }
  #caption { font-family: ui-monospace, monospace; min-height: 1.4em; }
`;

/** The whole page. `generatedFrom` says what the report was made from (a path, shown as is). */
export function renderReport(data: ReportData, library: ChartLibrary, generatedFrom: string): string {
  const scripts = library.scripts.map((s) => `<script>${inlineScript(s)}</script>`).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>episodic dataset report</title>
<style>${STYLE}</style>
</head>
<body>
<h1>episodic dataset report</h1>
<p class="purpose">For deciding whether this dataset is fit for training computer-use agents, and for checking that the
privacy promises held. Aggregates and a small sample of episodes only: no person, pseudonym or per-person figure is in this page.</p>
<p>Made from <code>${escapeHtml(generatedFrom)}</code>.</p>
<dl class="meta" id="meta"></dl>

<h2>What is in it</h2>
<table><thead><tr><th>split</th><th>episodes</th><th>actions</th><th>actions with a frame</th></tr></thead><tbody id="splits"></tbody></table>
<div class="grid" id="contents"></div>

<h2>What was withheld, and why</h2>
<p>Counts per privacy rule for the whole dataset, with the rule in plain words.</p>
<div class="grid" id="privacy"></div>

<h2>Episode player</h2>
<div id="player">
  <p>A seeded sample of episodes, action by action, drawn over the frame the agent saw (or a blank screen of the episode's size
  when it has none). Clicks are marks, drags and mouse paths lines, scrolls arrows; typed text and keys are captions; content the
  privacy gate removed is shown as removed. Arrow keys step too.</p>
  <div class="controls">
    <select id="episode" aria-label="episode"></select>
    <button id="prev" type="button">&larr; back</button>
    <button id="play" type="button">play</button>
    <button id="next" type="button">forward &rarr;</button>
    <input id="slider" type="range" min="0" max="0" value="0" aria-label="step">
    <span id="step"></span>
  </div>
  <svg id="screen" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="the screen at the current step"></svg>
  <p id="caption"></p>
</div>

<script type="application/json" id="report-data">${scriptSafeJson(data)}</script>
${scripts}
<script>${inlineScript(PAGE_SCRIPT)}</script>
</body>
</html>
`;
}
