// Voisins charts. A page's period (day, week, month, year) is drawn from the data embedded in
// it: the power curve (day and week) and the energy bars, consumption stacked by where it came
// from (own sun, the neighbours, the grid) above the axis and production sent away below it.
// Browsing (ranges, previous/next, a date) fetches the JSON API and the page's panel fragment
// and keeps the address in the history; a comparison period can be overlaid; the curve zooms
// by dragging or pinching, fetches finer data for the zoomed span and resets with a button;
// any chart can be saved as a PNG. The live card is re-rendered by the server every 10 s, so
// its times stay in the community's zone; the figures follow when a quarter-hour completes.
// Every failure or empty period is said in words.
(function () {
  "use strict";
  var card = document.getElementById("chart-card");
  if (!card || typeof uPlot === "undefined") { return; }

  // The theme's colours, read again when the system switches between light and dark.
  var C = {};
  function readColours() {
    var css = getComputedStyle(document.documentElement);
    function color(name, fallback) { return (css.getPropertyValue(name) || "").trim() || fallback; }
    C.consumption = color("--consumption", "#d9622b");
    C.production = color("--production", "#e0a100");
    C.self = color("--self", "#2a9d8f");
    C.neighbours = color("--neighbours", "#2a9d8f");
    C.toNeighbours = color("--to-neighbours", "#8fd1c6");
    C.grid = color("--grid", "#d9622b");
    C.toGrid = color("--to-grid", "#8c7fb3");
    C.axis = color("--muted", "#5f6d68");
    C.gridLine = color("--line", "#e3e6de");
    C.bg = color("--card", "#ffffff");
    C.ink = color("--ink", "#1d2a26");
  }
  readColours();

  var ds = card.dataset;
  var labels = JSON.parse(ds.labels);
  var lang = ds.lang, tz = ds.tz, api = ds.api;
  // Numbers and times as the page writes them (en-GB: 24 h, day before month; ar-MA: Western digits).
  var locale = ds.locale || lang;
  var powerEl = document.getElementById("power-plot");
  var barsEl = document.getElementById("bars-plot");
  var resetBtn = document.getElementById("reset-zoom");
  var compareSel = document.getElementById("compare");
  var dateInput = document.getElementById("period-date");
  var panelBox = document.getElementById("panel");
  var liveBox = document.getElementById("live");

  var state = {
    range: ds.range,
    date: ds.date,
    curve: JSON.parse(document.getElementById("curve-data").textContent),
    energy: JSON.parse(document.getElementById("energy-data").textContent),
    compare: "",
    cmpCurve: null,
    cmpEnergy: null,
    zoom: null,
    seq: 0
  };
  var power = null, bars = null;

  // Formatting.
  var nf0 = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  var nf1 = new Intl.NumberFormat(locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  var nf2 = new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  var NBSP = "\u00a0";
  function watts(v) { return v == null ? "—" : Math.abs(v) >= 10000 ? nf1.format(v / 1000) + NBSP + "kW" : nf0.format(v) + NBSP + "W"; }
  function kwh(wh) { if (wh == null) { return "—"; } var k = wh / 1000; return (Math.abs(k) >= 100 ? nf0.format(k) : Math.abs(k) >= 10 ? nf1.format(k) : nf2.format(k)) + NBSP + "kWh"; }
  function axisWatts(v) { return Math.abs(v) >= 10000 ? nf0.format(v / 1000) + "k" : nf0.format(v); }
  function axisKwh(v) { var k = v / 1000; return Math.abs(k) >= 10 ? nf0.format(k) : nf1.format(k); }

  function offsetFormatter() {
    var f;
    try { f = new Intl.DateTimeFormat("en-GB", { timeZone: tz, timeZoneName: "shortOffset" }); } catch (e) { return function () { return ""; }; }
    return function (ts) {
      var part = f.formatToParts(new Date(ts * 1e3)).filter(function (p) { return p.type === "timeZoneName"; })[0];
      return part ? part.value.replace("GMT", "UTC") : "";
    };
  }
  var offsetOf = offsetFormatter();
  var hourFmt = new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: tz });
  var secFmt = new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23", timeZone: tz });
  var dayFmt = new Intl.DateTimeFormat(locale, { day: "numeric", month: "short", timeZone: tz });
  var monthFmt = new Intl.DateTimeFormat(locale, { month: "short", year: "numeric", timeZone: tz });
  var fullDay = new Intl.DateTimeFormat(locale, { weekday: "short", day: "numeric", month: "long", year: "numeric", timeZone: tz });
  var fullTime = new Intl.DateTimeFormat(locale, { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: tz });
  var fullSec = new Intl.DateTimeFormat(locale, { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23", timeZone: tz });
  var monthLong = new Intl.DateTimeFormat(locale, { month: "long", year: "numeric", timeZone: tz });
  var midnight = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: tz });

  function mixedOffsets(ts) { return ts.length > 1 && offsetOf(ts[0]) !== offsetOf(ts[ts.length - 1]); }

  function timeAxis(span, mixed) {
    return function (u, splits, axis, space, incr) {
      return splits.map(function (ts) {
        var d = new Date(ts * 1e3);
        if (incr >= 28 * 86400) { return monthFmt.format(d); }
        if (incr >= 86400) { return dayFmt.format(d); }
        if (midnight.format(d) === "00:00" && span > 86400 + 7200) { return dayFmt.format(d); }
        return (incr < 60 ? secFmt : hourFmt).format(d) + (mixed ? " " + offsetOf(ts) : "");
      });
    };
  }

  // Plot heights, desktop and phone.
  var HEIGHTS = { power: [300, 230], bars: [240, 200] };

  function sizeFor(el, kind) {
    var w = Math.max(260, el.clientWidth);
    var phone = w < 560;
    return { width: w, height: HEIGHTS[kind][phone ? 1 : 0], phone: phone };
  }

  // What both plots share: their size, the community's zone, the series and scales given.
  function baseOpts(size, series, scales, axes) {
    return {
      width: size.width,
      height: size.height,
      padding: [8, 6, 0, 0],
      tzDate: function (t) { return uPlot.tzDate(new Date(t * 1e3), tz); },
      series: series,
      scales: scales,
      axes: axes
    };
  }

  // A comparison period's values, bucket for bucket from its start, on `n` buckets.
  function aligned(n, values) {
    var out = [];
    for (var i = 0; i < n; i++) { out.push(i < values.length ? values[i] : null); }
    return out;
  }

  function yAxisSize(u, values) {
    if (!values) { return 40; }
    var longest = values.reduce(function (m, v) { return Math.max(m, String(v).length); }, 1);
    return 14 + longest * 7;
  }

  function message(el, text) {
    el.innerHTML = "";
    el.dataset.drawn = "0";
    var p = document.createElement("p");
    p.className = "chart-message";
    p.setAttribute("role", "status");
    p.textContent = text;
    el.appendChild(p);
  }

  function hasValues(arrs) {
    return arrs.some(function (a) { return a && a.some(function (v) { return v != null && v !== 0; }); });
  }

  // The power curve ------------------------------------------------------------------------

  var COLORS = { consumption: C.consumption, production: C.production, self_consumed: C.self };

  function drawPower(curve, cmp) {
    if (power) { power.destroy(); power = null; }
    var actions = resetBtn.parentNode;
    if (!curve) { powerEl.hidden = true; actions.hidden = true; return; }
    powerEl.hidden = false;
    actions.hidden = false;
    if (!hasValues(curve.series.map(function (s) { return s.values; }))) {
      message(powerEl, labels.empty);
      return;
    }
    var size = sizeFor(powerEl, "power");
    var ts = curve.ts;
    var span = ts.length ? ts[ts.length - 1] - ts[0] : 0;
    var mixed = mixedOffsets(ts) && curve.resolution_s < 86400;
    var full = curve.resolution_s < 60 ? fullSec : fullTime;
    var series = [{ label: labels.time, value: function (u, t) { return t == null ? "—" : full.format(new Date(t * 1e3)) + (mixed ? " (" + offsetOf(t) + ")" : ""); } }];
    var data = [ts];
    curve.series.forEach(function (s) {
      var c = COLORS[s.key] || C.axis;
      series.push({
        label: labels[s.key] || s.key,
        stroke: c,
        width: s.key === "self_consumed" ? 0 : 1.6,
        fill: c + (s.key === "self_consumed" ? "55" : "22"),
        points: { show: false },
        spanGaps: false,
        value: function (u, v) { return watts(v); }
      });
      data.push(s.values);
    });
    if (cmp && !state.zoom) {
      // The comparison period, bucket for bucket from its start.
      cmp.series.filter(function (s) { return s.key !== "self_consumed"; }).forEach(function (s) {
        series.push({
          label: labels.compare + " · " + (labels[s.key] || s.key),
          stroke: COLORS[s.key] || C.axis,
          width: 1.2,
          dash: [5, 4],
          points: { show: false },
          spanGaps: false,
          value: function (u, v) { return watts(v); }
        });
        data.push(aligned(ts.length, s.values));
      });
    }
    var xScale = { time: true };
    if (state.zoom) { xScale.min = state.zoom[0]; xScale.max = state.zoom[1]; xScale.auto = false; }
    var opts = baseOpts(size, series,
      { x: xScale, y: { range: function (u, min, max) { return [0, Math.max(100, max * 1.08)]; } } },
      [
        { stroke: C.axis, grid: { stroke: C.gridLine }, ticks: { stroke: C.gridLine }, space: mixed ? 90 : 64, values: timeAxis(span, mixed) },
        { stroke: C.axis, grid: { stroke: C.gridLine }, ticks: { show: false }, size: yAxisSize, label: size.phone ? null : labels.power, values: function (u, vals) { return vals.map(axisWatts); } }
      ]);
    Object.assign(opts, {
      cursor: { drag: { x: true, y: false, setScale: false }, points: { size: 6 } },
      legend: { live: true },
      hooks: { setSelect: [onSelect] }
    });
    powerEl.innerHTML = "";
    power = new uPlot(opts, data, powerEl);
    powerEl.dataset.drawn = String(ts.length);
    power.over.addEventListener("dblclick", resetZoom);
    addTouch(power);
    if (size.phone) { power.root.classList.add("phone"); }
  }

  function onSelect(u) {
    if (u.select.width < 8) { return; }
    var min = u.posToVal(u.select.left, "x");
    var max = u.posToVal(u.select.left + u.select.width, "x");
    u.setSelect({ left: 0, width: 0, top: 0, height: 0 }, false);
    zoomTo(min, max);
  }

  // Two fingers zoom, one finger pans a zoomed curve; vertical scrolling stays the page's.
  function addTouch(u) {
    var over = u.over, start = null;
    function xs(e) { var r = over.getBoundingClientRect(); return Array.prototype.map.call(e.touches, function (t) { return t.clientX - r.left; }); }
    over.addEventListener("touchstart", function (e) {
      var p = xs(e);
      if (p.length === 2 || (p.length === 1 && state.zoom)) {
        start = { p: p, min: u.scales.x.min, max: u.scales.x.max, v: p.map(function (x) { return u.posToVal(x, "x"); }) };
      }
    }, { passive: true });
    over.addEventListener("touchmove", function (e) {
      if (!start) { return; }
      var p = xs(e);
      var w = over.clientWidth, min, max;
      if (p.length === 2 && start.p.length === 2 && Math.abs(p[1] - p[0]) > 10) {
        var per = (start.v[1] - start.v[0]) / (p[1] - p[0]);
        min = start.v[0] - p[0] * per;
        max = min + w * per;
      } else if (p.length === 1 && start.p.length === 1) {
        var shift = (p[0] - start.p[0]) * (start.max - start.min) / w;
        min = start.min - shift;
        max = start.max - shift;
      } else { return; }
      e.preventDefault();
      u.setScale("x", { min: min, max: max });
    }, { passive: false });
    over.addEventListener("touchend", function (e) {
      if (!start || e.touches.length) { return; }
      start = null;
      zoomTo(u.scales.x.min, u.scales.x.max);
    });
  }

  function iso(t) { return new Date(Math.round(t) * 1e3).toISOString().replace(/\.\d{3}Z$/, "Z"); }

  var zoomTimer = null;
  function zoomTo(min, max) {
    var ts = state.curve && state.curve.ts;
    if (!ts || !ts.length) { return; }
    var lo = ts[0], hi = state.curve.ends ? state.curve.ends[state.curve.ends.length - 1] : ts[ts.length - 1] + state.curve.resolution_s;
    min = Math.max(lo, min); max = Math.min(hi, max);
    if (max - min < 900) { var mid = (min + max) / 2; min = Math.max(lo, mid - 450); max = Math.min(hi, min + 900); }
    state.zoom = [min, max];
    if (power) { power.setScale("x", { min: min, max: max }); }
    resetBtn.hidden = false;
    clearTimeout(zoomTimer);
    var seq = ++state.seq;
    zoomTimer = setTimeout(function () {
      // Finer data for the span: raw minutes or seconds where the store has raw points.
      getJSON(api + "/curve?from=" + encodeURIComponent(iso(Math.floor(min / 900) * 900)) + "&to=" + encodeURIComponent(iso(Math.ceil(max / 900) * 900)))
        .then(function (fine) {
          if (seq !== state.seq || !state.zoom) { return; }
          drawPower(fine, null);
        })
        .catch(function () { if (seq === state.seq) { message(powerEl, labels.failed); } });
    }, 250);
  }

  function resetZoom() {
    if (!state.zoom) { return; }
    state.zoom = null;
    state.seq++;
    resetBtn.hidden = true;
    drawPower(state.curve, state.cmpCurve);
  }
  resetBtn.addEventListener("click", resetZoom);

  // The energy bars ------------------------------------------------------------------------

  function zeros(n) { var a = []; for (var i = 0; i < n; i++) { a.push(0); } return a; }

  function drawBars(e, cmp) {
    if (bars) { bars.destroy(); bars = null; }
    var n = e.ts.length;
    var community = ds.community === "true";
    var own = e.used_at_home_wh;
    var neigh = e.from_neighbours_wh || zeros(n);
    var grid = e.from_grid_wh;
    var toN = community ? zeros(n) : (e.to_neighbours_wh || zeros(n));
    var toG = e.to_grid_wh;
    if (!n || !hasValues([e.consumption_wh, e.production_wh])) { message(barsEl, labels.empty); return; }
    var x = e.ts.map(function (t, i) { return (t + e.ends[i]) / 2; });
    var parts = [null, grid, neigh, own, toG, toN];
    var stack = [
      x,
      x.map(function (_, i) { return own[i] + neigh[i] + grid[i]; }),
      x.map(function (_, i) { return own[i] + neigh[i]; }),
      own.slice(),
      x.map(function (_, i) { return -(toN[i] + toG[i]); }),
      toN.map(function (v) { return -v; })
    ];
    var hasProd = hasValues([e.production_wh]);
    var unit = e.unit;
    var fmtX = unit === "month" ? monthLong : unit === "day" ? fullDay : fullTime;
    var size = sizeFor(barsEl, "bars");
    var bar = uPlot.paths.bars({ size: [0.72, 64], gap: 1 });
    function part(label, c, k, show) {
      return {
        label: label, stroke: c, fill: c, width: 0, paths: bar, points: { show: false }, show: show,
        value: function (u, v, si, i) { return i == null ? "—" : kwh(parts[k][i]); }
      };
    }
    var series = [
      { label: labels.time, value: function (u, t, si, i) {
        if (i == null) { return "—"; }
        var s = fmtX.format(new Date(e.ts[i] * 1e3));
        if (unit === "hour") { s += "–" + hourFmt.format(new Date(e.ends[i] * 1e3)); }
        return e.partial[i] ? s + " (" + labels.partial + ")" : s;
      } },
      part(labels.from_grid, C.grid, 1, true),
      part(community ? labels.shared : labels.from_neighbours, C.neighbours, 2, !!e.from_neighbours_wh),
      part(labels.used_at_home, C.production, 3, hasProd),
      part(labels.to_grid, C.toGrid, 4, hasProd),
      part(labels.to_neighbours, C.toNeighbours, 5, hasProd && !community && !!e.to_neighbours_wh)
    ];
    var data = stack;
    if (cmp && cmp.consumption_wh) {
      series.push({
        label: labels.compare + " · " + labels.consumption,
        stroke: C.ink, width: 1.5, dash: [4, 3], points: { show: true, size: 5, fill: C.bg },
        value: function (u, v) { return kwh(v); }
      });
      data = stack.concat([aligned(n, cmp.consumption_wh)]);
    }
    var lo = e.period ? Date.parse(e.period.from) / 1e3 : x[0];
    var hi = e.period ? Date.parse(e.period.to) / 1e3 : x[n - 1];
    var span = hi - lo;
    var opts = baseOpts(size, series,
      { x: { time: true, range: function () { return [lo, hi]; } } },
      [
        { stroke: C.axis, grid: { show: false }, ticks: { stroke: C.gridLine }, space: 56, values: timeAxis(span, false) },
        { stroke: C.axis, grid: { stroke: C.gridLine }, ticks: { show: false }, size: yAxisSize, label: size.phone ? null : labels.energy, values: function (u, vals) { return vals.map(axisKwh); } }
      ]);
    Object.assign(opts, {
      cursor: { drag: { x: false, y: false }, points: { show: false } },
      legend: { live: true },
      hooks: { draw: [function (u) { markPartial(u, e); }] }
    });
    barsEl.innerHTML = "";
    bars = new uPlot(opts, data, barsEl);
    barsEl.dataset.drawn = String(n);
  }

  // A bar still in progress is hatched, so today's short bar does not read as a dip.
  function markPartial(u, e) {
    var ctx = u.ctx, dpr = uPlot.pxRatio || 1;
    e.partial.forEach(function (p, i) {
      if (!p) { return; }
      var l = u.valToPos(e.ts[i], "x", true), r = u.valToPos(e.ends[i], "x", true);
      var top = u.bbox.top, h = u.bbox.height;
      ctx.save();
      ctx.beginPath();
      ctx.rect(l, top, r - l, h);
      ctx.clip();
      ctx.strokeStyle = C.bg;
      ctx.globalAlpha = 0.55;
      ctx.lineWidth = 2 * dpr;
      for (var k = -h; k < r - l + h; k += 6 * dpr) { ctx.beginPath(); ctx.moveTo(l + k, top + h); ctx.lineTo(l + k + h, top); ctx.stroke(); }
      ctx.restore();
    });
  }

  // Browsing -------------------------------------------------------------------------------

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); });
  }
  function getText(url) {
    return fetch(url, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.text(); });
  }

  function wantsCurve(range) { return range === "day" || range === "week"; }

  function addDays(date, n) {
    var p = date.split("-").map(Number);
    var d = new Date(Date.UTC(p[0], p[1] - 1, p[2] + n));
    return d.toISOString().slice(0, 10);
  }

  function q(range, date) { return "range=" + range + "&date=" + date; }

  function comparisonDate() {
    var panel = panelBox && panelBox.querySelector(".panel");
    if (state.compare === "previous") { return panel ? panel.dataset.prev : null; }
    if (state.compare === "last_week") { return addDays(state.date, -7); }
    return null;
  }

  function loadComparison() {
    var date = comparisonDate();
    if (!date) { state.cmpCurve = null; state.cmpEnergy = null; return Promise.resolve(); }
    var s = q(state.range, date);
    return Promise.all([
      getJSON(api + "/energy?" + s),
      wantsCurve(state.range) ? getJSON(api + "/curve?" + s) : Promise.resolve(null)
    ]).then(function (r) { state.cmpEnergy = r[0]; state.cmpCurve = r[1]; });
  }

  function redraw() {
    card.dataset.ink = C.ink;
    drawPower(wantsCurve(state.range) ? state.curve : null, state.cmpCurve);
    drawBars(state.energy, state.cmpEnergy);
  }

  function load(quiet) {
    var seq = ++state.seq;
    var s = q(state.range, state.date);
    if (!quiet) { card.classList.add("loading"); }
    var panelUrl = panelBox ? panelBox.dataset.panelUrl + "?" + s : null;
    return Promise.all([
      getJSON(api + "/energy?" + s),
      wantsCurve(state.range) ? getJSON(api + "/curve?" + s) : Promise.resolve(null),
      panelUrl ? getText(panelUrl) : Promise.resolve(null)
    ]).then(function (r) {
      if (seq !== state.seq) { return; }
      state.energy = r[0];
      state.curve = r[1];
      if (r[2] !== null) { panelBox.innerHTML = r[2]; }
      syncNav();
      return loadComparison().catch(function () { state.cmpCurve = null; state.cmpEnergy = null; });
    }).then(function () {
      if (seq !== state.seq) { return; }
      state.zoom = null;
      resetBtn.hidden = true;
      redraw();
      card.classList.remove("loading");
    }).catch(function () {
      if (seq !== state.seq) { return; }
      card.classList.remove("loading");
      if (power) { power.destroy(); power = null; }
      if (bars) { bars.destroy(); bars = null; }
      if (wantsCurve(state.range)) { powerEl.hidden = false; message(powerEl, labels.failed); }
      message(barsEl, labels.failed);
    });
  }

  // Links, the date field and the label follow the period the server describes in the panel.
  function syncNav() {
    var panel = panelBox && panelBox.querySelector(".panel");
    var p = panel ? panel.dataset : {};
    if (p.date) { state.date = p.date; }
    var page = ds.page;
    card.querySelectorAll(".ranges a[data-range]").forEach(function (a) {
      a.href = page + "?" + q(a.dataset.range, state.date);
      if (a.dataset.range === state.range) { a.setAttribute("aria-current", "true"); } else { a.removeAttribute("aria-current"); }
    });
    var prev = card.querySelector('a.step[data-step="-1"]');
    var next = card.querySelector('a.step[data-step="1"]');
    if (p.prev) { prev.href = page + "?" + q(state.range, p.prev); }
    if (p.next) { next.href = page + "?" + q(state.range, p.next); }
    var last = p.current === "true" || p.future === "true";
    next.classList.toggle("disabled", last);
    if (last) { next.setAttribute("aria-disabled", "true"); next.setAttribute("tabindex", "-1"); } else { next.removeAttribute("aria-disabled"); next.removeAttribute("tabindex"); }
    var today = card.querySelector(".today-link");
    if (today) { today.hidden = p.current === "true"; today.href = page + "?range=" + state.range; }
    if (dateInput) { dateInput.value = state.date; }
    var label = document.getElementById("period-label");
    if (label && p.label) { label.textContent = ds.title + " · " + p.label; }
    var title = document.getElementById("bars-title");
    if (title && state.energy) { title.textContent = labels["bars_" + state.energy.unit] || labels.energy; }
    var csvCurve = document.getElementById("csv-curve");
    if (csvCurve) { csvCurve.hidden = !wantsCurve(state.range); csvCurve.href = api + "/curve?" + q(state.range, state.date) + "&format=csv&lang=" + lang; }
    var csvEnergy = document.getElementById("csv-energy");
    if (csvEnergy) { csvEnergy.href = api + "/energy?" + q(state.range, state.date) + "&format=csv&lang=" + lang; }
    if (compareSel) {
      var lw = compareSel.querySelector('option[value="last_week"]');
      if (lw) { lw.hidden = state.range !== "day"; lw.disabled = state.range !== "day"; }
      if (state.compare === "last_week" && state.range !== "day") { state.compare = ""; compareSel.value = ""; }
    }
    ds.range = state.range;
    ds.date = state.date;
  }

  function go(range, date, push) {
    state.range = range;
    state.date = date;
    if (push) { history.pushState({ range: range, date: date }, "", ds.page + "?" + q(range, date)); }
    load(false);
  }

  card.addEventListener("click", function (ev) {
    var a = ev.target.closest("a");
    if (!a || !card.contains(a) || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.button) { return; }
    if (a.classList.contains("csv")) { return; }
    if (a.dataset.range) { ev.preventDefault(); go(a.dataset.range, state.date, true); return; }
    if (a.classList.contains("step")) {
      ev.preventDefault();
      if (a.getAttribute("aria-disabled") === "true") { return; }
      var u = new URL(a.href, location.href);
      go(state.range, u.searchParams.get("date"), true);
      return;
    }
    if (a.classList.contains("today-link")) { ev.preventDefault(); go(state.range, ds.today, true); }
  });
  if (dateInput) {
    dateInput.addEventListener("change", function () {
      if (/^\d{4}-\d{2}-\d{2}$/.test(dateInput.value)) { go(state.range, dateInput.value, true); }
    });
  }
  if (compareSel) {
    compareSel.addEventListener("change", function () {
      state.compare = compareSel.value;
      card.classList.add("loading");
      loadComparison().then(function () { card.classList.remove("loading"); redraw(); })
        .catch(function () { card.classList.remove("loading"); state.cmpCurve = null; state.cmpEnergy = null; redraw(); message(barsEl, labels.failed); });
    });
  }
  window.addEventListener("popstate", function (ev) {
    var s = ev.state || {};
    var u = new URL(location.href);
    go(s.range || u.searchParams.get("range") || "day", s.date || u.searchParams.get("date") || ds.today, false);
  });
  history.replaceState({ range: state.range, date: state.date }, "", location.href);

  // PNG ------------------------------------------------------------------------------------

  var pngBtn = document.getElementById("png");
  if (pngBtn) {
    pngBtn.addEventListener("click", function () {
      var plots = [power, bars].filter(function (p) { return p && !p.root.closest("[hidden]"); });
      if (!plots.length) { return; }
      var dpr = uPlot.pxRatio || 1, pad = 16 * dpr, titleH = 30 * dpr, legendH = 22 * dpr;
      var w = Math.max.apply(null, plots.map(function (p) { return p.ctx.canvas.width; })) + 2 * pad;
      var h = titleH + pad;
      plots.forEach(function (p) { h += p.ctx.canvas.height + legendH * Math.ceil(p.series.length / 3) + pad; });
      var out = document.createElement("canvas");
      out.width = w; out.height = h;
      var c = out.getContext("2d");
      c.fillStyle = C.bg; c.fillRect(0, 0, w, h);
      c.fillStyle = C.ink; c.font = "600 " + 15 * dpr + "px system-ui, sans-serif"; c.textBaseline = "middle";
      var label = document.getElementById("period-label");
      c.fillText((label ? label.textContent : "") + " — " + (document.querySelector(".brand .tagline") || { textContent: "" }).textContent, pad, pad + titleH / 2 - 4 * dpr);
      var y = titleH + pad;
      plots.forEach(function (p) {
        c.drawImage(p.ctx.canvas, pad, y);
        y += p.ctx.canvas.height + 6 * dpr;
        c.font = 12 * dpr + "px system-ui, sans-serif";
        var x = pad, col = 0;
        p.series.forEach(function (s, i) {
          if (i === 0 || s.show === false) { return; }
          c.fillStyle = typeof s._stroke === "string" ? s._stroke : (typeof s.stroke === "function" ? s.stroke(p, i) : s.stroke) || C.ink;
          c.fillRect(x, y + 4 * dpr, 12 * dpr, 12 * dpr);
          c.fillStyle = C.ink;
          c.fillText(s.label, x + 18 * dpr, y + 10 * dpr);
          x += (w - 2 * pad) / 3; col++;
          if (col === 3) { col = 0; x = pad; y += legendH; }
        });
        y += legendH + pad;
      });
      out.toBlob(function (blob) {
        if (!blob) { return; }
        var a = document.createElement("a");
        a.href = URL.createObjectURL(blob);
        a.download = "voisins-" + ds.who + "-" + state.date + "-" + state.range + ".png";
        document.body.appendChild(a);
        a.click();
        setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
      }, "image/png");
    });
  }

  // Live -----------------------------------------------------------------------------------

  var ticks = 0;
  function current() {
    var panel = panelBox && panelBox.querySelector(".panel");
    return panel ? panel.dataset.current === "true" : false;
  }
  if (liveBox && liveBox.dataset.liveUrl) {
    setInterval(function () {
      if (document.hidden) { return; }
      ticks++;
      getText(liveBox.dataset.liveUrl).then(function (html) {
        var before = liveBox.querySelector("[data-summed-to]");
        var was = before ? before.dataset.summedTo : "";
        liveBox.innerHTML = html;
        var after = liveBox.querySelector("[data-summed-to]");
        var now = after ? after.dataset.summedTo : "";
        // A completed quarter-hour changes the figures and bars; the curve follows each minute.
        if (current() && !state.zoom && (now !== was || (ticks % 6 === 0 && wantsCurve(state.range)))) { load(true); }
      }).catch(function () {
        var p = liveBox.querySelector(".as-of");
        if (p) { p.textContent = labels.failed; }
      });
    }, 10000);
  }

  // The community page has no live card: its figures follow the quarter-hours every minute.
  if (!liveBox) {
    setInterval(function () { if (!document.hidden && current() && !state.zoom) { load(true); } }, 60000);
  }

  var resizeTimer;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () {
      [[power, powerEl, "power"], [bars, barsEl, "bars"]].forEach(function (p) {
        if (!p[0]) { return; }
        var s = sizeFor(p[1], p[2]);
        p[0].setSize({ width: s.width, height: s.height });
      });
    }, 150);
  });

  if (window.matchMedia) {
    var scheme = window.matchMedia("(prefers-color-scheme: dark)");
    var onScheme = function () { readColours(); redraw(); };
    if (scheme.addEventListener) { scheme.addEventListener("change", onScheme); } else if (scheme.addListener) { scheme.addListener(onScheme); }
  }

  syncNav();
  redraw();
})();
