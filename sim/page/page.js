"use strict";
// Draws the timeline of one run from RUN (see data in page.go): one row per
// node (and one for world-wide faults), spans, marks and message arrows in a
// window of virtual time the reader zooms and pans.
(function () {
  const D = RUN;
  const NS = "http://www.w3.org/2000/svg";
  const GUTTER = 140, AXIS_H = 24, PAD_R = 16, OV_H = 36;
  const MAX_ARROWS = 1500; // arrows drawn in one window; more are thinned
  const MIN_SPAN = 1000; // ns: the deepest zoom

  const hasWorld = D.points.some((p) => p.lane < 0) || D.spans.some((s) => s.lane < 0);
  const rows = (hasWorld ? [{ name: "network & faults", lane: -1 }] : []).concat(
    D.lanes.map((n, i) => ({ name: n, lane: i })));
  const rowOf = new Map(rows.map((r, i) => [r.lane, i]));
  // Client histories: a lane per client, under the nodes.
  const histRow = []; // per history, the row of its first client
  D.clients.forEach((h) => {
    histRow.push(rows.length);
    h.lanes.forEach((c, i) => rows.push({ name: "client " + c, client: true, first: i === 0, hist: h.name }));
  });
  // Lanes are shorter when there are many (a kv run has a node per clerk).
  const LANE_H = rows.length <= 16 ? 34 : rows.length <= 40 ? 24 : 18;
  const laneName = (l) => (l < 0 ? "the network" : D.lanes[l]);
  const end = Math.max(D.end, MIN_SPAN);
  let t0 = 0, t1 = end;

  const tl = document.getElementById("timeline");
  const ov = document.getElementById("overview");
  const statusEl = document.getElementById("status");
  const fromIn = document.getElementById("win-from");
  const toIn = document.getElementById("win-to");

  // fmt prints nanoseconds as Go prints a time.Duration, roughly: 1.5s, 20ms.
  function fmt(ns) {
    const a = Math.abs(ns);
    const trim = (v) => String(Number(v.toFixed(3)));
    if (a === 0) return "0s";
    if (a >= 1e9) return trim(ns / 1e9) + "s";
    if (a >= 1e6) return trim(ns / 1e6) + "ms";
    if (a >= 1e3) return trim(ns / 1e3) + "µs";
    return Math.round(ns) + "ns";
  }

  // parseDur reads "1.5s", "200ms", "30µs" or "30us", "100ns"; a bare number is milliseconds.
  function parseDur(s) {
    const m = /^\s*(-?[0-9]*\.?[0-9]+)\s*(ns|us|µs|ms|s|m)?\s*$/.exec(s);
    if (!m) return NaN;
    const unit = { ns: 1, us: 1e3, "µs": 1e3, ms: 1e6, s: 1e9, m: 60e9 }[m[2] || "ms"];
    return parseFloat(m[1]) * unit;
  }

  function el(tag, attrs, text) {
    const e = document.createElementNS(NS, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function titled(e, text) {
    e.appendChild(el("title", {}, text));
    return e;
  }

  function niceStep(raw) {
    const p = Math.pow(10, Math.floor(Math.log10(raw)));
    for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
    return 10 * p;
  }

  function setWindow(a, b) {
    let span = Math.max(b - a, MIN_SPAN);
    if (span >= end) { a = 0; span = end; }
    a = Math.min(Math.max(a, 0), end - span);
    t0 = a; t1 = a + span;
    draw();
    // The window is in the address, so that a reload or a shared link shows it.
    const h = t0 === 0 && t1 === end ? "" : `#from=${fmt(t0)}&to=${fmt(t1)}`;
    if (location.hash !== h) history.replaceState(null, "", h || location.pathname + location.search);
  }

  // fromHash reads a window from the address (#from=1.5s&to=2s), if it has one.
  function fromHash() {
    const q = new URLSearchParams(location.hash.slice(1));
    const a = parseDur(q.get("from") || ""), b = parseDur(q.get("to") || "");
    if (!isNaN(a) && !isNaN(b) && b > a) {
      t0 = Math.max(0, a); t1 = Math.min(end, b);
      if (t1 <= t0) { t0 = 0; t1 = end; }
    }
  }

  function plotWidth() { return Math.max(tl.clientWidth, 480) - GUTTER - PAD_R; }

  function draw() {
    const W = Math.max(tl.clientWidth, 480);
    const plotW = W - GUTTER - PAD_R;
    const H = AXIS_H + rows.length * LANE_H + 6;
    const span = t1 - t0;
    const x = (t) => GUTTER + ((t - t0) / span) * plotW;
    const cx = (t) => Math.min(Math.max(x(t), GUTTER), GUTTER + plotW);
    const yTop = (r) => AXIS_H + r * LANE_H;
    const yMid = (r) => yTop(r) + LANE_H / 2;
    const visible = (a, b) => b >= t0 && a <= t1;

    const svg = el("svg", { id: "timeline-svg", width: W, height: H, viewBox: `0 0 ${W} ${H}` });
    const defs = el("defs", {});
    defs.appendChild(el("clipPath", { id: "plot" })).appendChild(
      el("rect", { x: GUTTER, y: 0, width: plotW, height: H }));
    for (const [id, cls] of [["arrow", "head"], ["arrow-inflight", "head-inflight"]]) {
      const mk = el("marker", { id, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 6, markerHeight: 6, orient: "auto-start-reverse" });
      mk.appendChild(el("path", { d: "M0,0 L10,5 L0,10 z", class: cls }));
      defs.appendChild(mk);
    }
    svg.appendChild(defs);

    rows.forEach((r, i) => {
      svg.appendChild(el("rect", { class: "lane" + (i % 2 ? " lane-odd" : "") + (r.client ? " lane-client" : ""), "data-lane": r.name, x: 0, y: yTop(i), width: W, height: LANE_H }));
      const label = el("g", {});
      label.appendChild(el("text", { class: "lane-label" + (r.client ? " client-label" : ""), "data-lane": r.name, x: 8, y: yMid(i) + 4 }, r.name));
      svg.appendChild(titled(label, r.client ? `a client of ${r.hist}` : r.name));
      if (r.first) svg.appendChild(el("line", { class: "hist-sep", x1: 0, x2: W, y1: yTop(i), y2: yTop(i) }));
    });

    const axis = el("g", { class: "axis" });
    const step = niceStep(span / Math.max(2, plotW / 110));
    for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) {
      axis.appendChild(el("line", { x1: x(t), x2: x(t), y1: AXIS_H - 4, y2: H, class: "grid" }));
      axis.appendChild(el("text", { x: x(t), y: AXIS_H - 8, class: "tick" }, fmt(t)));
    }
    svg.appendChild(axis);

    const plot = el("g", { "clip-path": "url(#plot)" });
    svg.appendChild(plot);

    for (const s of D.spans) {
      const r = rowOf.get(s.lane);
      if (r === undefined || !visible(s.from, s.to)) continue;
      const a = cx(s.from), b = cx(s.to);
      plot.appendChild(titled(el("rect", {
        class: "span span-" + s.kind, "data-node": laneName(s.lane), "data-from": s.from, "data-to": s.to,
        x: a, y: yTop(r) + 4, width: Math.max(b - a, 2), height: LANE_H - 8,
      }), `${s.text} on ${laneName(s.lane)}, ${fmt(s.from)} to ${fmt(s.to)}`));
    }

    // Messages in the window, thinned to MAX_ARROWS (every k-th, in send order).
    const inWin = D.msgs.filter((m) => visible(m[0], m[1]) && rowOf.has(m[2]) && rowOf.has(m[3]));
    const stride = Math.max(1, Math.ceil(inWin.length / MAX_ARROWS));
    let drawn = 0;
    const arrows = el("g", { class: "msgs" });
    for (let i = 0; i < inWin.length; i += stride) {
      const [send, at, from, to, st, ti] = inWin[i];
      const kind = ["deliver", "drop", "inflight"][st];
      const line = el("line", {
        class: "msg msg-" + kind, x1: x(send), y1: yMid(rowOf.get(from)), x2: x(at), y2: yMid(rowOf.get(to)),
        "marker-end": kind === "drop" ? "" : kind === "inflight" ? "url(#arrow-inflight)" : "url(#arrow)",
      });
      const what = kind === "deliver" ? `delivered at ${fmt(at)}` : kind === "drop" ? `dropped at ${fmt(at)}` : "never delivered";
      arrows.appendChild(titled(line, `${D.texts[ti]}\n${laneName(from)} → ${laneName(to)}: sent at ${fmt(send)}, ${what}`));
      drawn++;
    }
    // Many arrows at once are a wall: the more there are, the fainter each.
    arrows.setAttribute("opacity", Math.min(1, Math.max(0.4, 400 / Math.max(drawn, 1))).toFixed(2));
    plot.appendChild(arrows);

    // Client operations: a bar from call to return; red on a key found wrong.
    let opsIn = 0, opsDrawn = 0;
    D.clients.forEach((h, hi) => {
      const inW = h.ops.filter((o) => visible(o[0], o[1]));
      opsIn += inW.length;
      // Thinned like the arrows, except that an operation on a key found
      // wrong is always drawn.
      const k = Math.max(1, Math.ceil(inW.length / MAX_ARROWS));
      const g = el("g", { class: "ops" });
      for (let i = 0; i < inW.length; i++) {
        const [call, ret, li, ti, bad] = inW[i];
        if (i % k !== 0 && !bad) continue;
        const r = histRow[hi] + li;
        const a = cx(call), b = cx(ret);
        g.appendChild(titled(el("rect", {
          class: "op" + (bad ? " op-bad" : ""), "data-at": call, x: a, y: yTop(r) + LANE_H * 0.2, width: Math.max(b - a, 1.5), height: LANE_H * 0.6,
        }), `${h.texts[ti]}\nclient ${h.lanes[li]}: called at ${fmt(call)}, returned at ${fmt(ret)}` + (bad ? "\non a key whose history is not linearizable" : "")));
        opsDrawn++;
      }
      plot.appendChild(g);
    });

    for (const p of D.points) {
      const r = rowOf.get(p.lane);
      if (r === undefined || !visible(p.at, p.at)) continue;
      const px = x(p.at), py = yMid(r);
      const g = el("g", { class: "mark mark-" + p.kind, "data-node": laneName(p.lane), "data-at": p.at, "data-x": px.toFixed(1) });
      switch (p.kind) {
        case "crash":
          g.appendChild(el("path", { d: `M${px - 6},${py - 6} L${px + 6},${py + 6} M${px + 6},${py - 6} L${px - 6},${py + 6}` }));
          break;
        case "start":
          g.appendChild(el("path", { d: `M${px},${py - 7} L${px + 6},${py + 5} L${px - 6},${py + 5} z` }));
          break;
        case "clock":
          g.appendChild(el("path", { d: `M${px},${py - 7} L${px + 6},${py} L${px},${py + 7} L${px - 6},${py} z` }));
          break;
        case "fail":
          g.appendChild(el("circle", { cx: px, cy: py, r: 7 }));
          break;
        case "fault": case "pause": case "resume":
          g.appendChild(el("line", { x1: px, x2: px, y1: yTop(r) + 3, y2: yTop(r) + LANE_H - 3 }));
          break;
        case "partition": case "heal": case "link":
          // Their spans say the most; a short tick at the lane's top marks the change.
          g.appendChild(el("line", { x1: px, x2: px, y1: yTop(r) + 1, y2: yTop(r) + 7 }));
          break;
        default:
          g.appendChild(el("circle", { cx: px, cy: py, r: 3 }));
      }
      // A wide, invisible target so that a one-pixel mark is easy to hover.
      g.appendChild(el("rect", { class: "hit", x: px - 5, y: yTop(r) + 2, width: 10, height: LANE_H - 4 }));
      plot.appendChild(titled(g, `${p.kind} at ${fmt(p.at)} on ${laneName(p.lane)}: ${p.text}`));
    }

    if (D.fail && visible(D.fail.at, D.fail.at)) {
      const fx = x(D.fail.at);
      const g = el("g", { id: "fail-marker", class: "fail", "data-at": D.fail.at, "data-x": fx.toFixed(1) });
      g.appendChild(el("line", { x1: fx, x2: fx, y1: AXIS_H - 2, y2: H }));
      const label = el("text", { x: fx - 4, y: AXIS_H + 12, "text-anchor": "end" }, "✗ " + D.fail.check);
      g.appendChild(label);
      g.appendChild(el("rect", { class: "hit", x: fx - 5, y: AXIS_H - 2, width: 10, height: H - AXIS_H }));
      svg.appendChild(titled(g, `${D.fail.text}`));
    }

    tl.replaceChildren(svg);
    fromIn.value = fmt(t0);
    toIn.value = fmt(t1);
    const total = D.msgTotal;
    let msgs = `${inWin.length} of the ${D.msgs.length} messages kept are in this window`;
    if (drawn < inWin.length) msgs += `, every ${stride}th drawn (${drawn})`;
    if (D.msgs.length < total) msgs += `; the page keeps ${D.msgs.length} of the run's ${total} messages (an even sample and the last ones)`;
    if (D.clients.length) msgs += `; ${opsIn} client operations in this window` + (opsDrawn < opsIn ? ` (${opsDrawn} drawn)` : "");
    statusEl.textContent = `${fmt(t0)} to ${fmt(t1)}: ${msgs}.`;
    drawOverview();
  }

  // The overview: messages sent per bucket over the whole run, the window shaded.
  function drawOverview() {
    const W = Math.max(tl.clientWidth, 480);
    const plotW = W - GUTTER - PAD_R;
    const svg = el("svg", { id: "overview-svg", width: W, height: OV_H });
    const dx = (t) => GUTTER + (t / end) * plotW;
    const d = D.density;
    let max = 1;
    const n = Math.min(d.sent.length, Math.ceil(end / d.width) || 0);
    for (let i = 0; i < n; i++) max = Math.max(max, d.sent[i]);
    svg.appendChild(el("text", { x: 8, y: OV_H / 2 + 4, class: "lane-label" }, "messages"));
    for (let i = 0; i < n; i++) {
      if (!d.sent[i]) continue;
      const a = dx(i * d.width), b = dx(Math.min((i + 1) * d.width, end));
      const h = (d.sent[i] / max) * (OV_H - 4);
      svg.appendChild(titled(el("rect", { class: "bar", x: a, y: OV_H - h, width: Math.max(b - a - 0.5, 1), height: h }),
        `${d.sent[i]} sent, ${d.dropped[i]} dropped, ${fmt(i * d.width)} to ${fmt((i + 1) * d.width)}`));
      if (d.dropped[i]) {
        const hd = (d.dropped[i] / max) * (OV_H - 4);
        svg.appendChild(el("rect", { class: "bar-drop", x: a, y: OV_H - hd, width: Math.max(b - a - 0.5, 1), height: hd }));
      }
    }
    if (D.fail) {
      const fx = dx(D.fail.at);
      svg.appendChild(el("line", { class: "ov-fail", x1: fx, x2: fx, y1: 0, y2: OV_H }));
    }
    svg.appendChild(el("rect", { id: "ov-window", x: dx(t0), y: 0, width: Math.max(dx(t1) - dx(t0), 2), height: OV_H }));
    ov.replaceChildren(svg);
  }

  function timeAt(clientX, rect, a, b) {
    const plotW = plotWidth();
    return a + ((clientX - rect.left - GUTTER) / plotW) * (b - a);
  }

  tl.addEventListener("wheel", (e) => {
    e.preventDefault();
    const c = timeAt(e.clientX, tl.getBoundingClientRect(), t0, t1);
    const f = e.deltaY > 0 ? 1.25 : 0.8;
    setWindow(c - (c - t0) * f, c + (t1 - c) * f);
  }, { passive: false });

  let drag = null;
  tl.addEventListener("mousedown", (e) => { drag = { x: e.clientX, t0, t1 }; e.preventDefault(); });
  window.addEventListener("mousemove", (e) => {
    if (!drag) return;
    const dt = ((drag.x - e.clientX) / plotWidth()) * (drag.t1 - drag.t0);
    setWindow(drag.t0 + dt, drag.t1 + dt);
  });
  window.addEventListener("mouseup", () => { drag = null; ovDrag = null; });

  let ovDrag = null;
  ov.addEventListener("mousedown", (e) => {
    ovDrag = timeAt(e.clientX, ov.getBoundingClientRect(), 0, end);
    e.preventDefault();
  });
  ov.addEventListener("mousemove", (e) => {
    if (ovDrag === null) return;
    const t = timeAt(e.clientX, ov.getBoundingClientRect(), 0, end);
    if (Math.abs(t - ovDrag) > end / 500) setWindow(Math.min(t, ovDrag), Math.max(t, ovDrag));
  });
  ov.addEventListener("click", (e) => {
    const t = timeAt(e.clientX, ov.getBoundingClientRect(), 0, end);
    if (t1 - t0 < end) setWindow(t - (t1 - t0) / 2, t + (t1 - t0) / 2);
  });

  function zoomBy(f) {
    const c = (t0 + t1) / 2;
    setWindow(c - ((t1 - t0) / 2) * f, c + ((t1 - t0) / 2) * f);
  }
  function aroundFailure() {
    if (!D.fail) return;
    const w = Math.min(end, Math.max(end / 20, 10e6));
    setWindow(D.fail.at - 0.85 * w, D.fail.at + 0.15 * w);
  }
  document.getElementById("zoom-all").addEventListener("click", () => setWindow(0, end));
  document.getElementById("zoom-in").addEventListener("click", () => zoomBy(0.5));
  document.getElementById("zoom-out").addEventListener("click", () => zoomBy(2));
  document.getElementById("zoom-fail").addEventListener("click", aroundFailure);
  document.getElementById("win-go").addEventListener("click", () => {
    const a = parseDur(fromIn.value), b = parseDur(toIn.value);
    if (isNaN(a) || isNaN(b) || b <= a) {
      statusEl.textContent = "Write the window as two times, the first before the second: 1.5s, 200ms, 30µs (a bare number is milliseconds).";
      return;
    }
    setWindow(a, b);
  });
  for (const input of [fromIn, toIn]) {
    input.addEventListener("keydown", (e) => { if (e.key === "Enter") document.getElementById("win-go").click(); });
  }
  // A row of the marks table shows its time in the timeline.
  document.querySelectorAll("#marks tbody tr").forEach((tr) => {
    tr.addEventListener("click", () => {
      const at = Number(tr.dataset.at);
      const w = Math.min(t1 - t0, Math.max(end / 20, 10e6));
      setWindow(at - w / 2, at + w / 2);
      document.getElementById("timeline-section").scrollIntoView();
    });
  });
  window.addEventListener("resize", draw);
  fromHash();
  draw();
})();
