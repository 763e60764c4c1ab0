// The script of the report page, as it runs in the browser: it reads the data block and draws the
// charts (Observable Plot) and the episode player. Text from the dataset only ever reaches the
// page as textContent or an SVG text node, never as markup. Kept free of template literals so it
// can live in a plain string.
export const PAGE_SCRIPT = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var fmt = new Intl.NumberFormat('en-US');
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) for (var k in attrs) node.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function entries(counts) {
    return Object.keys(counts).map(function (k) { return { name: k, count: counts[k] }; })
      .sort(function (a, b) { return b.count - a.count || (a.name < b.name ? -1 : 1); });
  }
  function chart(id, name, title, node, note) {
    var box = document.getElementById(id);
    var figure = el('figure', { 'class': 'chart', 'data-chart': name });
    figure.appendChild(el('figcaption', null, title));
    figure.appendChild(node);
    if (note) figure.appendChild(el('p', { 'class': 'note' }, note));
    box.appendChild(figure);
  }
  var SPLIT_COLORS = { legend: true, domain: ['train', 'validation', 'test'], range: ['#4e79a7', '#f28e2b', '#59a14f'] };
  function maxCount(rows) { return rows.reduce(function (m, r) { return Math.max(m, r.count); }, 0); }
  function bars(rows, label) {
    if (rows.length === 0) return el('p', { 'class': 'empty' }, 'none');
    return Plot.plot({
      marginLeft: 170, marginRight: 50, width: 560, height: Math.max(60, rows.length * 22 + 40),
      x: { label: label || 'count', grid: true, domain: [0, Math.max(1, maxCount(rows))] }, y: { label: null },
      marks: [
        Plot.barX(rows, { x: 'count', y: 'name', fill: '#4e79a7', sort: { y: '-x' } }),
        Plot.text(rows, { x: 'count', y: 'name', text: function (d) { return fmt.format(d.count); }, dx: 4, textAnchor: 'start' }),
        Plot.ruleX([0])
      ]
    });
  }
  function histogram(h, label) {
    var rows = h.labels.map(function (l, i) { return { bin: l, count: h.counts[i] }; });
    return Plot.plot({
      width: 560, height: 220, marginBottom: 40,
      x: { label: label, domain: h.labels, tickRotate: -30 }, y: { label: 'episodes', grid: true },
      marks: [Plot.barY(rows, { x: 'bin', y: 'count', fill: '#59a14f' }), Plot.ruleY([0])]
    });
  }
  function bySplit(counts) {
    var rows = [];
    Object.keys(counts).forEach(function (split) {
      Object.keys(counts[split]).forEach(function (k) { rows.push({ split: split, name: k, count: counts[split][k] }); });
    });
    if (rows.length === 0) return el('p', { 'class': 'empty' }, 'none');
    var totals = {};
    rows.forEach(function (r) { totals[r.name] = (totals[r.name] || 0) + r.count; });
    var names = Object.keys(totals);
    return Plot.plot({
      marginLeft: 120, width: 560, height: Math.max(80, names.length * 24 + 60),
      x: { label: 'count', grid: true, domain: [0, Math.max(1, Math.max.apply(null, names.map(function (n) { return totals[n]; })))] }, y: { label: null }, color: SPLIT_COLORS,
      marks: [Plot.barX(rows, Plot.stackX({ x: 'count', y: 'name', fill: 'split', sort: { y: '-x' } })), Plot.ruleX([0])]
    });
  }

  // What the dataset is
  var meta = document.getElementById('meta');
  [['dataset', data.dataset.name], ['schema version', data.dataset.schema_version], ['config hash', data.dataset.config_hash],
   ['formats', data.dataset.formats.join(', ')], ['made', data.dataset.created_at || 'not recorded (deterministic manifest)']]
    .forEach(function (pair) { meta.appendChild(el('dt', null, pair[0])); meta.appendChild(el('dd', null, pair[1])); });

  var splitTable = document.getElementById('splits');
  var splitRows = [];
  Object.keys(data.splits).forEach(function (split) {
    var s = data.splits[split];
    var tr = el('tr');
    [split, fmt.format(s.episodes), fmt.format(s.actions), fmt.format(s.frames)].forEach(function (v) { tr.appendChild(el('td', null, v)); });
    splitTable.appendChild(tr);
    splitRows.push({ split: split, measure: 'episodes', count: s.episodes });
    splitRows.push({ split: split, measure: 'actions', count: s.actions });
    splitRows.push({ split: split, measure: 'frames', count: s.frames });
  });
  chart('contents', 'splits', 'Splits side by side', Plot.plot({
    width: 560, height: 220, x: { label: null, domain: SPLIT_COLORS.domain }, y: { label: 'count', grid: true, type: 'symlog' }, fx: { label: null }, color: SPLIT_COLORS,
    marks: [Plot.barY(splitRows, { fx: 'measure', x: 'split', y: 'count', fill: 'split' }), Plot.ruleY([0])]
  }));
  chart('contents', 'duration', 'Episode duration', histogram(data.duration_minutes, 'minutes'));
  chart('contents', 'actions-per-episode', 'Actions per episode', histogram(data.actions_per_episode, 'actions'));
  chart('contents', 'events-per-episode', 'Input events per episode', histogram(data.events_per_episode, 'events'));
  chart('contents', 'action-kinds', 'Action mix', bySplit(data.action_kinds));
  chart('contents', 'apps', 'Apps (episodes using each; top ' + Object.keys(data.apps).length + ')', bars(entries(data.apps), 'episodes'));
  chart('contents', 'end-reasons', 'Why episodes ended', bySplit(data.end_reasons));

  // What was withheld and why
  var sections = {};
  data.privacy.forEach(function (r) { (sections[r.section] = sections[r.section] || []).push(r); });
  var titles = {
    dropped_events: 'Events not written, by rule', stripped_fields: 'Fields removed from kept events, by rule',
    exemption_reasons: 'Exemptions, by reason (events)', dropped: 'Records and episodes left out'
  };
  function privacyBlock(key, rows) {
    var block = el('div', { 'class': 'rule-block', 'data-section': key });
    var chartNode = bars(rows.map(function (r) { return { name: r.rule, count: r.count }; }));
    var figure = el('figure', { 'class': 'chart', 'data-chart': 'privacy-' + key });
    figure.appendChild(el('figcaption', null, titles[key] || key));
    figure.appendChild(chartNode);
    block.appendChild(figure);
    var list = el('dl', { 'class': 'rules' });
    rows.forEach(function (r) {
      list.appendChild(el('dt', null, r.rule + ' \u2014 ' + fmt.format(r.count)));
      list.appendChild(el('dd', null, r.text));
    });
    block.appendChild(list);
    document.getElementById('privacy').appendChild(block);
  }
  Object.keys(sections).forEach(function (key) { privacyBlock(key, sections[key]); });
  privacyBlock('dropped', data.dropped_rules);
  var redacted = entries(data.redacted_actions);
  chart('privacy', 'redacted-actions', 'Actions written with content removed, by reason', bars(redacted, 'actions'));

  // Episode player
  var sample = data.sample;
  var select = document.getElementById('episode');
  var svg = document.getElementById('screen');
  var caption = document.getElementById('caption');
  var stepLabel = document.getElementById('step');
  var slider = document.getElementById('slider');
  var playButton = document.getElementById('play');
  var NS = 'http://www.w3.org/2000/svg';
  var current = null, step = 0, timer = null;
  function svgEl(tag, attrs, text) {
    var node = document.createElementNS(NS, tag);
    for (var k in attrs) node.setAttribute(k, attrs[k]);
    if (text !== undefined) node.textContent = String(text);
    return node;
  }
  function screenSize(ep) {
    var w = ep.screen_width, h = ep.screen_height;
    if (w && h) return [w, h];
    var mx = 1, my = 1;
    ep.actions.forEach(function (a) { mx = Math.max(mx, a.x || 0, a.x2 || 0); my = Math.max(my, a.y || 0, a.y2 || 0); });
    return [Math.max(800, mx), Math.max(600, my)];
  }
  function describe(a) {
    var words = a.kind;
    if (a.kind === 'type') words += a.text !== null ? ': \u201c' + a.text + '\u201d' : ' (text not kept: ' + (a.redacted || 'removed') + ')';
    else if (a.key) words += ': ' + a.key;
    else if (a.kind === 'scroll') words += ' by ' + (a.dx || 0) + ', ' + (a.dy || 0);
    if (a.redacted && a.kind !== 'type') words += ' [' + a.redacted + ']';
    return words;
  }
  function draw() {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    if (!current) return;
    var size = screenSize(current);
    var w = size[0], h = size[1], r = Math.max(6, w / 120);
    svg.setAttribute('viewBox', '0 0 ' + w + ' ' + h);
    var a = current.actions[step];
    svg.setAttribute('data-step', String(step));
    svg.setAttribute('data-frame', String(a ? a.frame : -1));
    if (a && a.frame >= 0) svg.appendChild(svgEl('image', { href: current.frames[a.frame], x: 0, y: 0, width: w, height: h, preserveAspectRatio: 'none' }));
    else {
      svg.appendChild(svgEl('rect', { x: 0, y: 0, width: w, height: h, 'class': 'blank' }));
      svg.appendChild(svgEl('text', { x: w / 2, y: h / 2, 'class': 'noframe' }, 'no frame'));
    }
    if (!a) return;
    if (a.path.length > 1) svg.appendChild(svgEl('polyline', { points: a.path.map(function (p) { return p[0] + ',' + p[1]; }).join(' '), 'class': 'path' }));
    if (a.x !== null && a.y !== null) {
      if (a.kind === 'drag' && a.x2 !== null) {
        svg.appendChild(svgEl('line', { x1: a.x, y1: a.y, x2: a.x2, y2: a.y2, 'class': 'drag' }));
        svg.appendChild(svgEl('circle', { cx: a.x2, cy: a.y2, r: r / 2, 'class': 'mark' }));
      }
      if (a.kind === 'scroll') {
        var len = r * 4, dy = a.dy || 0, dx = a.dx || 0, norm = Math.max(1, Math.sqrt(dx * dx + dy * dy));
        svg.appendChild(svgEl('line', { x1: a.x, y1: a.y, x2: a.x + (dx / norm) * len, y2: a.y + (dy / norm) * len, 'class': 'scroll' }));
      }
      svg.appendChild(svgEl('circle', { cx: a.x, cy: a.y, r: r, 'class': 'mark ' + a.kind }));
    }
    var label = describe(a);
    var boxY = h - r * 5;
    svg.appendChild(svgEl('rect', { x: 0, y: boxY, width: w, height: r * 5, 'class': a.redacted ? 'caption redacted' : 'caption' }));
    svg.appendChild(svgEl('text', { x: r, y: boxY + r * 3.2, 'font-size': r * 2.2, 'class': 'caption-text' }, label));
    caption.textContent = 'step ' + (step + 1) + ' of ' + current.actions.length + ' \u00b7 ' + (a.t_ms / 1000).toFixed(1) + ' s \u00b7 ' +
      (a.app || 'unknown app') + ' \u00b7 ' + label;
    stepLabel.textContent = (step + 1) + ' / ' + current.actions.length;
    slider.value = String(step);
  }
  function show(index) {
    current = sample[index] || null;
    step = 0;
    slider.max = current ? String(Math.max(0, current.actions.length - 1)) : '0';
    draw();
  }
  function go(delta) {
    if (!current) return;
    step = Math.min(current.actions.length - 1, Math.max(0, step + delta));
    draw();
  }
  function stop() { if (timer) { clearInterval(timer); timer = null; playButton.textContent = 'play'; } }
  sample.forEach(function (ep, i) {
    select.appendChild(el('option', { value: String(i) }, (i + 1) + '. ' + ep.split + ', ' + ep.start_day + ', ' +
      Math.round(ep.duration_ms / 60000) + ' min, ' + ep.actions.length + ' actions, ' + ep.frames.length + ' frames, ended by ' + ep.end_reason));
  });
  select.addEventListener('change', function () { stop(); show(Number(select.value)); });
  document.getElementById('prev').addEventListener('click', function () { stop(); go(-1); });
  document.getElementById('next').addEventListener('click', function () { stop(); go(1); });
  slider.addEventListener('input', function () { stop(); step = Number(slider.value); draw(); });
  playButton.addEventListener('click', function () {
    if (timer) { stop(); return; }
    playButton.textContent = 'pause';
    timer = setInterval(function () {
      if (!current || step >= current.actions.length - 1) { stop(); return; }
      go(1);
    }, 600);
  });
  document.addEventListener('keydown', function (e) {
    if (e.key === 'ArrowRight') { stop(); go(1); }
    if (e.key === 'ArrowLeft') { stop(); go(-1); }
  });
  if (sample.length === 0) document.getElementById('player').appendChild(el('p', { 'class': 'empty' }, 'The dataset has no episodes to play.'));
  show(0);
  document.body.setAttribute('data-ready', 'true');
})();
`;
