/* global document, window, location, EventSource, fetch, uPlot, URLSearchParams, requestAnimationFrame, ResizeObserver */
// The dashboard page: reads the event stream of its server (an init with the whole state, then updates at most a
// few times a second) and draws it with uPlot (bundled, served by the same server). Plain browser JavaScript, no
// build step; every request carries the token of the page's own address.
'use strict';

(() => {
  const token = new URLSearchParams(location.search).get('token') || '';
  const $ = (id) => document.getElementById(id);
  const el = (tag, props, children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (k === 'text') e.textContent = v;
      else if (k === 'cls') e.className = v;
      else e.setAttribute(k, v);
    }
    for (const c of children || []) e.append(c);
    return e;
  };
  /** Sets a node's text only when it differs (a node whose content did not change is left alone). */
  const setText = (node, text) => {
    if (node.textContent !== text) node.textContent = text;
  };

  /**
   * Makes the children of `parent` the nodes of `entries` ([key, value] pairs) in their order, keeping the node of
   * each key across frames: a key seen before keeps its node (`update` changes it in place; it is moved only when the
   * order changed), a new key gets one from `make`, a key no longer listed loses its node. So the element under the
   * pointer survives the updates, and a click whose press and release are frames apart still lands on it. `nodes`
   * (a Map from key to node) is the caller's memory of them; the parent's other children (a trailing note) stay
   * after them.
   */
  function reconcile(parent, nodes, entries, make, update) {
    const wanted = new Set(entries.map((e) => e[0]));
    for (const [k, node] of nodes) {
      if (!wanted.has(k)) {
        node.remove();
        nodes.delete(k);
      }
    }
    let at = parent.firstChild;
    for (const [k, v] of entries) {
      let node = nodes.get(k);
      if (!node) nodes.set(k, (node = make(v, k)));
      update(node, v, k);
      if (node === at) at = at.nextSibling;
      else parent.insertBefore(node, at);
    }
  }

  const COLOURS = ['#2f6fd6', '#d92d20', '#12b76a', '#7a5af8', '#f79009', '#0e9384', '#667085'];
  const LEVEL_COLOUR = { violation: '#d92d20', warning: '#f79009', counterexample: '#7a5af8', info: '#667085' };
  /** Points kept per series in the page (thinned by half past this). */
  const MAX_POINTS = 6000;
  const fmt = (v, digits = 4) => (v === null || v === undefined ? '—' : typeof v === 'number' ? (Math.abs(v) >= 1e5 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(2) : +v.toPrecision(digits) + '') : String(v));

  /** A tick of a logarithmic axis: the decades as 1e-4 … 1e4 (uPlot's default rounds 1e-4 to 0), others left blank. */
  const logTick = (v) => {
    if (v === null || v === undefined || !(v > 0)) return '';
    const e = Math.round(Math.log10(v));
    if (Math.abs(v / 10 ** e - 1) > 1e-9) return '';
    return e >= -2 && e <= 3 ? String(+(10 ** e).toPrecision(1)) : `1e${e}`;
  };

  /** The labels of a logarithmic axis: at most about 6 decades labelled, evenly. */
  const logTicks = (splits) => {
    const ticks = splits.map(logTick);
    const every = Math.max(1, Math.ceil(ticks.filter(Boolean).length / 6));
    let k = 0;
    return ticks.map((t) => (t && k++ % every === 0 ? t : ''));
  };

  // ---- what the page knows -------------------------------------------------------------------------------------
  let meta = null;
  let state = {};
  const series = {};
  const lists = {};
  /** Each list item's place in its list over the whole run (0: the first), the key of its node on the page. */
  const seqOf = new WeakMap();
  /** The nodes kept across frames, by key: the fields, the findings, the sweep's rows and counts, the verdicts, the schedule. */
  const nodes = { fields: new Map(), findings: new Map(), rows: new Map(), counts: new Map(), verdicts: new Map(), reads: new Map() };
  /** The phase picture drawn last (redrawn only when the run sent another); NOT_DRAWN: none yet. */
  const NOT_DRAWN = {};
  let drawnPhase = NOT_DRAWN;
  const rows = new Map();
  let curveKeys = new Set();
  let xKey = 'iter';
  /** The iteration marked by a click on a finding (drawn on every chart). */
  let marked = null;
  let selectedRun = null;
  let selectedCurve = null;
  const charts = new Map();
  const dirty = new Set();
  let rendering = false;

  // ---- charts ---------------------------------------------------------------------------------------------------
  /** Which charts a page of each kind has: a series, its lines, whether the y axis is logarithmic. */
  function chartSpecs() {
    if (!meta) return [];
    if (meta.kind === 'run') {
      const withRef = state.hStar !== null && state.hStar !== undefined;
      const evalPts = series.eval || [];
      const metricKeys = [...new Set(evalPts.flatMap((p) => Object.keys(p).filter((k) => k.startsWith('m:'))))];
      const specs = [
        withRef
          ? { id: 'gap', title: 'h(x) − h*', series: 'eval', log: true, lines: [{ key: 'gap', label: 'h(x) − h*' }] }
          : { id: 'gap', title: 'h(x)', series: 'eval', log: 'auto', lines: [{ key: 'h', label: 'h(x)' }] },
        { id: 'grad', title: '‖∇h(x)‖ and ‖z − z*(x)‖', series: 'eval', log: true, lines: [{ key: 'grad', label: '‖∇h‖' }, { key: 'zdist', label: '‖z − z*(x)‖' }] },
        { id: 'norms', title: 'Norms of the three streams', series: 'live', log: true, lines: [{ key: 'zn', label: '‖z‖ (inner)' }, { key: 'vn', label: '‖v‖ (linear system)' }, { key: 'xn', label: '‖x‖ (outer)' }] },
        {
          id: 'steps',
          title: 'Step sizes α and moves per iteration',
          series: 'live',
          log: true,
          lines: [
            { key: 'az', label: 'α z' },
            { key: 'av', label: 'α v' },
            { key: 'ax', label: 'α x' },
            { key: 'dz', label: '‖Δz‖/step' },
            { key: 'dv', label: '‖Δv‖/step' },
            { key: 'dx', label: '‖Δx‖/step' },
          ],
        },
        { id: 'calls', title: 'Oracle calls per stream', series: 'live', log: false, lines: [{ key: 'ci', label: 'inner' }, { key: 'cl', label: 'linear system' }, { key: 'co', label: 'outer' }] },
      ];
      if (metricKeys.length) specs.splice(1, 0, { id: 'metrics', title: 'Problem metrics', series: 'eval', log: false, lines: metricKeys.map((k) => ({ key: k, label: k.slice(2) })) });
      // a replay has the trace's evaluated rows only: no live samples of the streams to wait for
      const replay = !meta.controls.stop && !(series.live && series.live.length);
      return replay ? specs.filter((s) => s.series !== 'live') : specs;
    }
    if (meta.kind === 'train') {
      return [
        { id: 'cstar', title: 'c*(θ): the certificate LP\'s optimal slack (≤ −margin: certified)', series: 'train', log: false, lines: [{ key: 'cStar', label: 'c*' }] },
        { id: 'value', title: 'V_θ and ‖θ_k − θ_{k−1}‖', series: 'train', log: 'auto', lines: [{ key: 'value', label: 'V_θ' }, { key: 'stepNorm', label: '‖Δθ‖' }] },
        { id: 'lambda', title: 'λ (penalty weight)', series: 'train', log: 'auto', lines: [{ key: 'lambda', label: 'λ' }] },
      ];
    }
    if (meta.kind === 'sweep' && selectedCurve) {
      return [{ id: 'curve', title: `Run ${selectedCurve.label}: its metric`, points: selectedCurve.points, log: 'auto', lines: [{ key: 'metric', label: selectedCurve.metric || 'metric' }] }];
    }
    return [];
  }

  function pointsOf(spec) {
    return spec.points || series[spec.series] || [];
  }

  /** uPlot's columns for a chart: x, then one column per line (null where not measured or not drawable). */
  function columns(spec, log) {
    const pts = pointsOf(spec).filter((p) => typeof p[xKey] === 'number');
    const xs = pts.map((p) => p[xKey]);
    const ys = spec.lines.map((l) => pts.map((p) => {
      const v = p[l.key];
      return typeof v === 'number' && Number.isFinite(v) && (!log || v > 0) ? v : null;
    }));
    return [xs, ...ys];
  }

  function wantsLog(spec) {
    if (spec.log !== 'auto') return spec.log;
    const pts = pointsOf(spec);
    return pts.length > 0 && pts.every((p) => spec.lines.every((l) => p[l.key] === null || p[l.key] === undefined || p[l.key] > 0));
  }

  /** A uPlot plugin drawing the marked iteration and the findings' iterations as vertical lines. */
  function markers() {
    return {
      hooks: {
        draw: [
          (u) => {
            const ctx = u.ctx;
            const line = (iter, colour, width) => {
              const x = xOfIteration(iter, u.__spec);
              if (x === null) return;
              const px = Math.round(u.valToPos(x, 'x', true));
              if (px < u.bbox.left || px > u.bbox.left + u.bbox.width) return;
              ctx.save();
              ctx.strokeStyle = colour;
              ctx.lineWidth = width;
              ctx.setLineDash(width > 1.5 ? [] : [3, 3]);
              ctx.beginPath();
              ctx.moveTo(px, u.bbox.top);
              ctx.lineTo(px, u.bbox.top + u.bbox.height);
              ctx.stroke();
              ctx.restore();
            };
            for (const f of (lists.findings && lists.findings.items) || []) if (f.level !== 'info') line(f.iteration, LEVEL_COLOUR[f.level] || '#667085', 1);
            if (marked !== null) line(marked, '#f79009', 2.5);
          },
        ],
      },
    };
  }

  /** Where an iteration falls on the x axis (solver seconds: read from the chart's own points). */
  function xOfIteration(iter, spec) {
    if (typeof iter !== 'number') return null;
    if (xKey === 'iter') return iter;
    const pts = spec ? pointsOf(spec) : [];
    let best = null;
    for (const p of pts) if (typeof p.t === 'number' && p.iter <= iter) best = p.t;
    return best;
  }

  function buildChart(spec, host) {
    const log = wantsLog(spec);
    const data = columns(spec, log);
    const hasValue = data.slice(1).some((col) => col.some((v) => v !== null));
    const box = host.querySelector('.chart');
    box.dataset.points = String(data[0].length);
    if (!hasValue) {
      box.textContent = spec.series && meta && meta.controls.stop ? 'waiting for the first points…' : 'no points';
      return null;
    }
    box.textContent = '';
    const width = Math.max(300, box.clientWidth || host.clientWidth - 24);
    const opts = {
      width,
      height: 220,
      scales: { x: { time: false }, y: log ? { distr: 3, log: 10 } : { auto: true } },
      axes: [{ label: xKey === 'iter' ? 'iteration' : 'solver seconds', size: 40 }, { size: 64, ...(log ? { values: (_u, splits) => logTicks(splits) } : {}) }],
      series: [{ label: xKey === 'iter' ? 'iteration' : 'seconds' }, ...spec.lines.map((l, i) => ({ label: l.label, stroke: COLOURS[i % COLOURS.length], width: 1.5, spanGaps: true, points: { show: data[0].length < 60 } }))],
      legend: { show: true },
      cursor: { drag: { x: true, y: false } },
      plugins: [markers()],
    };
    const u = new uPlot(opts, data, box);
    u.__spec = spec;
    u.__log = log;
    return u;
  }

  function panelFor(spec) {
    let panel = $(`panel-${spec.id}`);
    if (!panel) {
      panel = el('section', { cls: 'panel', id: `panel-${spec.id}` }, [el('h2', { text: spec.title }), el('div', { cls: 'chart', id: `chart-${spec.id}` })]);
      const anchor = $('panel-after-charts');
      $('panels').insertBefore(panel, anchor);
    } else panel.querySelector('h2').textContent = spec.title;
    return panel;
  }

  function renderCharts(all) {
    const specs = chartSpecs();
    for (const spec of specs) {
      const c = charts.get(spec.id);
      const sameShape = c && c.__spec.series === spec.series && c.__spec.lines.map((l) => l.key).join() === spec.lines.map((l) => l.key).join() && c.__spec.points === spec.points;
      if (!all && !dirty.has(spec.series || spec.id) && sameShape) continue;
      const panel = panelFor(spec);
      if (c && sameShape && c.__log === wantsLog(spec)) {
        const data = columns(spec, c.__log);
        c.__spec = spec;
        c.setData(data);
        panel.querySelector('.chart').dataset.points = String(data[0].length);
      } else {
        if (c) c.destroy();
        charts.delete(spec.id);
        const u = buildChart(spec, panel);
        if (u) charts.set(spec.id, u);
      }
    }
    dirty.clear();
  }

  function scheduleRender() {
    if (rendering) return;
    rendering = true;
    requestAnimationFrame(() => {
      rendering = false;
      renderAll(false);
    });
  }

  // ---- the other panels -----------------------------------------------------------------------------------------
  function renderHeader() {
    if (!meta) return;
    setText($('title'), meta.title);
    if (document.title !== `${meta.title} · dashboard`) document.title = `${meta.title} · dashboard`;
    reconcile($('fields'), nodes.fields, Object.entries(meta.fields), (_v, k) => el('div', null, [el('dt', { text: k }), el('dd')]), (div, v) => setText(div.lastChild, String(v)));
    const status = state.status || 'running';
    const badge = $('status');
    setText(badge, status === 'ended' && state.outcome ? `ended: ${state.outcome}` : status);
    const badgeClass = `badge ${status === 'ended' && state.failed ? 'failed' : status}`;
    if (badge.className !== badgeClass) badge.className = badgeClass;
    const parts = [];
    if (typeof state.iteration === 'number') parts.push(`iteration ${state.iteration}${typeof state.maxIter === 'number' ? ` / ${state.maxIter}` : ''}`);
    if (typeof state.solverSeconds === 'number') parts.push(`${state.solverSeconds.toFixed(2)} s`);
    if (typeof state.exitCode === 'number') parts.push(`exit ${state.exitCode}`);
    setText($('progress'), parts.join(' · '));
    const live = status === 'running' || status === 'paused';
    $('pause').hidden = !(meta.controls.pause && status === 'running');
    $('resume').hidden = !(meta.controls.pause && status === 'paused');
    $('stop').hidden = !(meta.controls.stop && live);
    $('close').hidden = !(meta.controls.stop && status === 'ended');
    const notice = $('notice');
    notice.hidden = !state.notice;
    setText(notice, state.notice || '');
  }

  /** A finding's item: its iteration's link (a click marks it on the charts), then what was found. */
  function findingItem(f) {
    const a = el('a', { text: `iteration ${f.iteration}`, 'data-iter': String(f.iteration) });
    a.addEventListener('click', () => {
      marked = f.iteration;
      renderAll(true);
    });
    const measured = typeof f.value === 'number' ? ` (${fmt(f.value)}${typeof f.bound === 'number' ? ` vs bound ${fmt(f.bound)}` : ''})` : '';
    return el('li', { cls: f.level, 'data-iter': String(f.iteration) }, [a, ` ${f.level} · ${f.monitor}${f.stream ? ` [${f.stream}]` : ''}: ${f.message}${measured}`]);
  }

  /** The findings, oldest first: a new one is appended, the others stay as they are (only their mark changes). */
  function renderFindings() {
    const l = lists.findings || { items: [], total: 0 };
    setText($('findings-count'), String(l.total));
    const ol = $('findings');
    const earlier = l.total - l.items.length;
    let note = $('findings-earlier');
    if (earlier > 0 && !note) ol.append((note = el('li', { cls: 'info', id: 'findings-earlier' })));
    if (earlier <= 0 && note) note.remove();
    if (earlier > 0) setText(note, `… and ${earlier} earlier (all in the trace)`);
    reconcile(ol, nodes.findings, l.items.map((f) => [seqOf.get(f), f]), findingItem, (li, f) => li.classList.toggle('marked', marked === f.iteration));
  }

  function renderSchedule() {
    let panel = $('panel-schedule');
    if (!panel) {
      const table = el('table', { id: 'schedule-table', hidden: 'hidden' }, [el('thead', null, [el('tr', null, ['stream', 'steps', 'z read', 'v read', 'x read', 'its variable now'].map((h) => el('th', { text: h })))]), el('tbody')]);
      panel = el('section', { cls: 'panel', id: 'panel-schedule' }, [el('h2', { text: 'Schedule: the versions each stream read' }), el('div', { id: 'schedule' }, [el('p', { cls: 'hint', id: 'schedule-hint' }), table])]);
      $('panels').insertBefore(panel, $('panel-after-charts'));
      nodes.reads.clear();
    }
    const reads = state.reads;
    setText($('schedule-hint'), `${state.schedule || ''}: at tick ${state.tick ?? '—'}, the latest step of each stream read these versions of z, v, x`);
    const table = $('schedule-table');
    table.hidden = !reads;
    if (!reads) return;
    const own = { inner: 'z', linsys: 'v', outer: 'x' };
    const entries = ['inner', 'linsys', 'outer'].filter((s) => reads[s]).map((s) => [s, reads[s]]);
    reconcile(table.querySelector('tbody'), nodes.reads, entries, () => el('tr', null, [0, 1, 2, 3, 4, 5].map(() => el('td'))), (tr, r, s) =>
      [s, r.steps, r.z, r.v, r.x, `${own[s]}_${r.own}`].forEach((v, i) => setText(tr.children[i], String(v ?? '—'))),
    );
  }

  function renderVerdicts() {
    let panel = $('panel-verdicts');
    if (!panel) {
      const table = el('table', null, [el('thead', null, [el('tr', null, ['iteration', 'method', 'verdict', 'violated', 'boxes (verified / falsified / unknown)', 'samples'].map((h) => el('th', { text: h })))]), el('tbody', { id: 'verdicts-rows' })]);
      panel = el('section', { cls: 'panel', id: 'panel-verdicts' }, [el('h2', null, ['Verifier verdicts ', el('span', { cls: 'count', id: 'verdicts-count' })]), el('div', { cls: 'scroll', id: 'verdicts' }, [table])]);
      $('panels').insertBefore(panel, $('panel-after-charts'));
      nodes.verdicts.clear();
    }
    const l = lists.verdicts || { items: [], total: 0 };
    setText($('verdicts-count'), String(l.total));
    // the latest first: a new verdict goes on top, the others stay
    const verdict = (v) => {
      const boxes = v.boxes ? `${v.boxes.verified} / ${v.boxes.falsified} / ${v.boxes.unknown}` : '—';
      return el('tr', null, [v.iteration, v.method, v.status, v.violated || '—', boxes, v.samples ?? '—'].map((x, i) => el('td', { text: String(x), cls: i === 2 ? (v.status === 'falsified' ? 'failed' : v.status === 'verified' || v.status === 'passed' ? 'done' : 'queued') : '' })));
    };
    reconcile($('verdicts-rows'), nodes.verdicts, l.items.map((v) => [seqOf.get(v), v]).reverse(), verdict, () => {});
  }

  function renderPhase() {
    let panel = $('panel-phase');
    if (!panel) {
      panel = el('section', { cls: 'panel', id: 'panel-phase' }, [el('h2', { text: 'Phase picture of the current θ' }), el('canvas', { cls: 'phase', id: 'phase', width: '560', height: '560' }), el('p', { cls: 'legend-note', id: 'phase-note' })]);
      $('panels').insertBefore(panel, $('panel-after-charts'));
      drawnPhase = NOT_DRAWN;
    }
    const ph = state.phase;
    if (ph === drawnPhase) return;
    drawnPhase = ph;
    const canvas = $('phase');
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    if (!ph) {
      $('phase-note').textContent = 'waiting for the first policy…';
      return;
    }
    const pad = 36;
    const W = canvas.width - 2 * pad;
    const H = canvas.height - 2 * pad;
    const [x0, y0] = ph.box.lo;
    const [x1, y1] = ph.box.hi;
    const X = (x) => pad + ((x - x0) / (x1 - x0)) * W;
    const Y = (y) => pad + H - ((y - y0) / (y1 - y0)) * H;
    const R = (r) => (r / (x1 - x0)) * W;
    if (ph.grid) {
      const n = ph.grid.n;
      const cw = W / (n - 1);
      const ch = H / (n - 1);
      for (let j = 0; j < n; j++) {
        for (let i = 0; i < n; i++) {
          const v = ph.grid.values[j * n + i];
          if (v === null) continue;
          if (v <= ph.grid.level) {
            ctx.fillStyle = 'rgba(47, 111, 214, 0.16)';
            ctx.fillRect(pad + (i - 0.5) * cw, pad + H - (j + 0.5) * ch, cw + 0.5, ch + 0.5);
          }
          const right = i + 1 < n ? ph.grid.values[j * n + i + 1] : null;
          const up = j + 1 < n ? ph.grid.values[(j + 1) * n + i] : null;
          if ((right !== null && (v <= ph.grid.level) !== (right <= ph.grid.level)) || (up !== null && (v <= ph.grid.level) !== (up <= ph.grid.level))) {
            ctx.fillStyle = '#2f6fd6';
            ctx.fillRect(pad + i * cw - 1, pad + H - j * ch - 1, 2.5, 2.5);
          }
        }
      }
    }
    ctx.strokeStyle = '#98a2b3';
    ctx.lineWidth = 1;
    ctx.strokeRect(pad, pad, W, H);
    const circle = (c, r, stroke, fill, dash) => {
      ctx.save();
      ctx.beginPath();
      ctx.arc(X(c[0]), Y(c[1]), R(r), 0, 2 * Math.PI);
      if (fill) {
        ctx.fillStyle = fill;
        ctx.fill();
      }
      ctx.setLineDash(dash ? [5, 4] : []);
      ctx.strokeStyle = stroke;
      ctx.lineWidth = 1.5;
      ctx.stroke();
      ctx.restore();
    };
    if (ph.domain) circle(ph.domain.c, ph.domain.r, '#667085', null, true);
    circle(ph.initial.c, ph.initial.r, '#12b76a', 'rgba(18, 183, 106, 0.18)');
    if (ph.unsafe) circle(ph.unsafe.c, ph.unsafe.r, '#d92d20', 'rgba(217, 45, 32, 0.18)');
    for (const t of ph.trajectories || []) {
      ctx.beginPath();
      for (let k = 0; k + 1 < t.pts.length; k += 2) (k === 0 ? ctx.moveTo : ctx.lineTo).call(ctx, X(t.pts[k]), Y(t.pts[k + 1]));
      ctx.strokeStyle = t.unsafe ? '#d92d20' : '#344054';
      ctx.lineWidth = 1;
      ctx.stroke();
    }
    if (ph.counterexample) {
      const cx = X(ph.counterexample[0]);
      const cy = Y(ph.counterexample[1]);
      ctx.strokeStyle = '#000';
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.moveTo(cx - 6, cy - 6);
      ctx.lineTo(cx + 6, cy + 6);
      ctx.moveTo(cx + 6, cy - 6);
      ctx.lineTo(cx - 6, cy + 6);
      ctx.stroke();
    }
    ctx.fillStyle = '#344054';
    ctx.font = '12px system-ui, sans-serif';
    ctx.fillText(ph.names[0], pad + W / 2, canvas.height - 10);
    ctx.save();
    ctx.translate(12, pad + H / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText(ph.names[1], 0, 0);
    ctx.restore();
    ctx.fillText(`${fmt(x0, 3)}`, pad, canvas.height - 22);
    ctx.fillText(`${fmt(x1, 3)}`, pad + W - 20, canvas.height - 22);
    canvas.dataset.iteration = String(ph.iteration);
    $('phase-note').textContent =
      `θ of iteration ${ph.iteration}: green the initial set, red the unsafe set, lines the closed-loop trajectories (red: entering the unsafe set), ` +
      (ph.grid ? `blue the certificate's ${ph.grid.label}` : 'no certificate yet') +
      (ph.counterexample ? ', × the last counterexample' : '') +
      (ph.projection ? `; ${ph.projection}` : '');
  }

  function renderSweep() {
    let panel = $('panel-sweep');
    if (!panel) {
      const table = el('table', null, [el('thead', null, [el('tr', null, ['run', 'problem', 'solver', 'seed', 'status', 'iterations', 'metric', 'solver s', 'worker'].map((h) => el('th', { text: h })))]), el('tbody', { id: 'sweep-rows' })]);
      panel = el('section', { cls: 'panel wide', id: 'panel-sweep' }, [
        el('h2', { text: 'Runs of the grid' }),
        el('div', { cls: 'counts', id: 'sweep-counts' }),
        el('p', { cls: 'hint', text: 'Click a run that ended to draw its curve.' }),
        el('div', { cls: 'scroll', id: 'sweep-table' }, [table, el('p', { cls: 'hint', id: 'sweep-more', hidden: 'hidden' })]),
      ]);
      $('panels').insertBefore(panel, $('panel-after-charts'));
      nodes.rows.clear();
      nodes.counts.clear();
    }
    const counts = { queued: 0, running: 0, done: 0, failed: 0 };
    for (const r of rows.values()) counts[r.status] = (counts[r.status] || 0) + 1;
    reconcile($('sweep-counts'), nodes.counts, Object.entries(counts), (_v, k) => el('span', { id: `count-${k}` }), (span, v, k) => setText(span, `${k}: ${v}`));
    // the rows changed in place: the row under the pointer stays, a click on it lands
    const row = (_r, key) => {
      const tr = el('tr', { 'data-key': key }, [0, 1, 2, 3, 4, 5, 6, 7, 8].map(() => el('td')));
      tr.addEventListener('click', () => showCurve(key));
      return tr;
    };
    const update = (tr, r, key) => {
      const clickable = curveKeys.has(key);
      const cls = `${clickable ? 'clickable' : ''}${key === selectedRun ? ' selected' : ''}`;
      if (tr.className !== cls) tr.className = cls;
      if (tr.dataset.status !== r.status) tr.dataset.status = r.status;
      const first = tr.children[0];
      const link = first.firstChild && first.firstChild.nodeName === 'A' ? first.firstChild : null;
      if (clickable && !link) first.replaceChildren(el('a', { text: String(r.id) }));
      else if (!clickable && link) first.replaceChildren(String(r.id));
      else setText(first, String(r.id));
      [r.problem, r.solver, r.seed].forEach((v, i) => setText(tr.children[1 + i], String(v ?? '')));
      const status = tr.children[4];
      if (status.className !== r.status) status.className = r.status;
      setText(status, r.status + (r.error ? `: ${r.error}` : ''));
      [r.iterations, r.metric, r.solverSeconds, r.worker].forEach((v, i) => setText(tr.children[5 + i], fmt(v)));
    };
    reconcile($('sweep-rows'), nodes.rows, [...rows].slice(0, 1000), row, update);
    const more = $('sweep-more');
    more.hidden = rows.size <= 1000;
    if (rows.size > 1000) setText(more, `the first 1000 of ${rows.size} runs are listed`);
  }

  async function showCurve(key) {
    if (!curveKeys.has(key)) return;
    const res = await fetch(`/curve?key=${encodeURIComponent(key)}&token=${encodeURIComponent(token)}`);
    if (!res.ok) return;
    const points = await res.json();
    const r = rows.get(key) || {};
    selectedRun = key;
    selectedCurve = { label: r.id || key.slice(0, 8), metric: r.metricName, points };
    const old = charts.get('curve');
    if (old) old.destroy();
    charts.delete('curve');
    renderAll(true);
  }

  function renderAll(all) {
    renderHeader();
    if (!meta) return;
    if (meta.kind === 'run' && (state.schedule || state.reads)) renderSchedule();
    if (meta.kind === 'train') {
      renderVerdicts();
      renderPhase();
    }
    if (meta.kind === 'sweep') renderSweep();
    renderFindings();
    renderCharts(all);
  }

  // ---- the event stream ----------------------------------------------------------------------------------------
  function addPoints(name, pts) {
    const s = (series[name] = series[name] || []);
    s.push(...pts);
    if (s.length > MAX_POINTS) series[name] = s.filter((_, i) => i % 2 === 0 || i === s.length - 1);
    dirty.add(name);
  }

  function onInit(init) {
    for (const u of charts.values()) u.destroy();
    charts.clear();
    $('panels').textContent = '';
    $('panels').append(el('div', { id: 'panel-after-charts', hidden: 'hidden' }));
    meta = init.meta;
    state = init.state || {};
    for (const k of Object.keys(series)) delete series[k];
    for (const [k, pts] of Object.entries(init.series || {})) series[k] = pts.slice();
    for (const k of Object.keys(lists)) delete lists[k];
    for (const [k, l] of Object.entries(init.lists || {})) {
      lists[k] = { items: l.items.slice(), total: l.total };
      // the items are the latest of the run's `total`: the same finding gets the same key after a reconnection
      l.items.forEach((item, i) => seqOf.set(item, l.total - l.items.length + i));
    }
    rows.clear();
    for (const [k, r] of Object.entries(init.rows || {})) rows.set(k, r);
    curveKeys = new Set(init.curves || []);
    renderAll(true);
  }

  function onUpdate(u) {
    if (u.meta) meta = u.meta;
    Object.assign(state, u.state || {});
    for (const [k, pts] of Object.entries(u.points || {})) addPoints(k, pts);
    for (const [k, items] of Object.entries(u.items || {})) {
      const l = (lists[k] = lists[k] || { items: [], total: 0 });
      l.items.push(...items);
      if (l.items.length > 2000) l.items.splice(0, l.items.length - 2000);
      l.total = (u.totals && u.totals[k]) || l.total + items.length;
      items.forEach((item, i) => seqOf.set(item, l.total - items.length + i));
      if (k === 'findings') dirty.add('*findings');
    }
    for (const [k, r] of Object.entries(u.rows || {})) rows.set(k, r);
    for (const k of u.curves || []) curveKeys.add(k);
    if (state.closing && source) {
      source.close();
      source = null;
      $('status').textContent = 'ended; the dashboard has closed';
    }
    if (dirty.has('*findings')) {
      dirty.delete('*findings');
      for (const c of charts.values()) c.redraw(false, false);
    }
    scheduleRender();
  }

  let source = new EventSource(`/events?token=${encodeURIComponent(token)}`);
  source.addEventListener('init', (e) => onInit(JSON.parse(e.data)));
  source.addEventListener('update', (e) => onUpdate(JSON.parse(e.data)));
  source.addEventListener('error', () => {
    if (source && source.readyState === EventSource.CLOSED) {
      $('status').textContent = 'disconnected';
      $('status').className = 'badge disconnected';
    }
  });

  const act = (action) =>
    fetch(`/action/${action}`, { method: 'POST', headers: { 'x-dashboard-token': token } }).then((res) => {
      if (!res.ok) return res.text().then((t) => ((state.notice = t.trim()), renderHeader()));
      if (action === 'close' && source) {
        source.close();
        source = null;
        $('status').textContent = 'closed';
      }
    });
  for (const a of ['pause', 'resume', 'stop', 'close']) $(a).addEventListener('click', () => act(a));
  $('xaxis').addEventListener('change', (e) => {
    xKey = e.target.value;
    for (const u of charts.values()) u.destroy();
    charts.clear();
    renderAll(true);
  });
  let width = window.innerWidth;
  new ResizeObserver(() => {
    if (Math.abs(window.innerWidth - width) < 40) return;
    width = window.innerWidth;
    for (const u of charts.values()) u.destroy();
    charts.clear();
    renderAll(true);
  }).observe(document.body);
})();
