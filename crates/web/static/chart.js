// Voisins charts: draws the curves embedded in the page with uPlot, switches day/week/month/year
// by asking the JSON API, says so when a period is empty or a fetch fails, and keeps the live
// power fresh. Times are shown in the community's time zone; on the day clocks go back, the
// repeated hour is told apart by its offset.
(function () {
  "use strict";
  var COLORS = { consumption: "#d9622b", production: "#e0a100", self_consumed: "#2a9d8f" };

  function fmt(lang, digits) {
    var nf = new Intl.NumberFormat(lang, { maximumFractionDigits: digits });
    return function (v) { return v == null ? "—" : nf.format(v); };
  }

  function toColumns(curve) {
    var cols = [curve.ts];
    curve.series.forEach(function (s) { cols.push(s.values); });
    return cols;
  }

  function hasData(curve) {
    return curve.series.some(function (s) { return s.values.some(function (v) { return v != null; }); });
  }

  function message(el, text) {
    el.innerHTML = "";
    var p = document.createElement("p");
    p.className = "chart-message";
    p.textContent = text;
    el.appendChild(p);
    el.dataset.drawn = "0";
  }

  // "GMT+2" for an instant in a time zone.
  function offsetFormatter(tz) {
    var f;
    try { f = new Intl.DateTimeFormat("en-GB", { timeZone: tz, timeZoneName: "shortOffset" }); } catch (e) { return function () { return ""; }; }
    return function (ts) {
      var part = f.formatToParts(new Date(ts * 1e3)).filter(function (p) { return p.type === "timeZoneName"; })[0];
      return part ? part.value.replace("GMT", "UTC") : "";
    };
  }

  function draw(el, curve) {
    var labels = JSON.parse(el.dataset.labels);
    if (!hasData(curve)) { message(el, labels.empty); return null; }
    var tz = el.dataset.tz;
    var n = fmt(el.dataset.lang, 0);
    var lang = el.dataset.lang;
    var span = curve.ts.length ? curve.ts[curve.ts.length - 1] - curve.ts[0] : 0;
    var offsetOf = offsetFormatter(tz);
    // A period crossing a change of offset labels hours with their offset.
    var mixed = curve.ts.length > 1 && offsetOf(curve.ts[0]) !== offsetOf(curve.ts[curve.ts.length - 1]) && curve.resolution_s < 86400;
    var hourFmt = new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit", timeZone: tz });
    var dayFmt = new Intl.DateTimeFormat(lang, { day: "numeric", month: "short", timeZone: tz });
    var monthFmt = new Intl.DateTimeFormat(lang, { month: "short", year: "numeric", timeZone: tz });
    var hourOf = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: tz });
    var tick = function (ts, incr) {
      var d = new Date(ts * 1e3);
      if (incr >= 28 * 86400) { return monthFmt.format(d); }
      if (incr >= 86400) { return dayFmt.format(d); }
      if (hourOf.format(d) === "00:00" && span > 86400 + 7200) { return dayFmt.format(d); }
      return hourFmt.format(d) + (mixed ? " " + offsetOf(ts) : "");
    };
    var full = new Intl.DateTimeFormat(lang, curve.resolution_s >= 86400
      ? { weekday: "short", day: "numeric", month: "long", year: "numeric", timeZone: tz }
      : { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", timeZone: tz });
    var series = [{ label: labels.time, value: function (u, ts) {
      if (ts == null) { return "—"; }
      return full.format(new Date(ts * 1e3)) + (mixed ? " (" + offsetOf(ts) + ")" : "");
    } }];
    curve.series.forEach(function (s) {
      var c = COLORS[s.key] || "#555";
      series.push({
        label: labels[s.key] || s.key,
        stroke: c,
        width: s.key === "self_consumed" ? 0 : 1.6,
        fill: c + (s.key === "self_consumed" ? "55" : "22"),
        points: { show: false },
        spanGaps: false,
        value: function (u, v) { return v == null ? "—" : n(v) + " W"; }
      });
    });
    var width = Math.max(280, el.clientWidth);
    var opts = {
      width: width,
      height: width < 600 ? 260 : 320,
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1e3), tz); },
      series: series,
      scales: { x: { time: true }, y: { range: function (u, min, max) { return [0, Math.max(100, max * 1.08)]; } } },
      axes: [
        { stroke: "#5f6d68", grid: { stroke: "#eceee8" }, space: mixed ? 90 : 60,
          values: function (u, splits, axis, space, incr) { return splits.map(function (ts) { return tick(ts, incr); }); } },
        { stroke: "#5f6d68", grid: { stroke: "#eceee8" }, size: 64, label: labels.power,
          values: function (u, vals) { return vals.map(n); } }
      ],
      cursor: { drag: { x: true, y: false } },
      legend: { live: true }
    };
    el.innerHTML = "";
    var plot = new uPlot(opts, toColumns(curve), el);
    el.dataset.drawn = String(curve.ts.length);
    return plot;
  }

  document.querySelectorAll(".chart[data-url]").forEach(function (el) {
    var dataEl = document.getElementById(el.id + "-data");
    var plot = draw(el, JSON.parse(dataEl.textContent));
    var card = el.closest(".chart-card");
    var labels = JSON.parse(el.dataset.labels);
    card.querySelectorAll("button[data-range]").forEach(function (btn) {
      btn.addEventListener("click", function () {
        card.querySelectorAll("button[data-range]").forEach(function (b) { b.setAttribute("aria-pressed", b === btn ? "true" : "false"); });
        el.classList.add("loading");
        fetch(el.dataset.url + "?range=" + btn.dataset.range, { credentials: "same-origin" })
          .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
          .then(function (curve) { if (plot) { plot.destroy(); } plot = draw(el, curve); el.classList.remove("loading"); })
          .catch(function () { if (plot) { plot.destroy(); plot = null; } message(el, labels.failed); el.classList.remove("loading"); });
        var csv = card.querySelector("a[data-csv]");
        if (csv) { csv.href = el.dataset.url + "?range=" + btn.dataset.range + "&format=csv"; }
      });
    });
    var timer;
    window.addEventListener("resize", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        if (!plot) { return; }
        var w = Math.max(280, el.clientWidth);
        plot.setSize({ width: w, height: w < 600 ? 260 : 320 });
      }, 150);
    });
  });

  var live = document.querySelector("[data-live-url]");
  if (live) {
    var lang = live.dataset.lang;
    var n = fmt(lang, 0);
    var timeFmt = new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit", timeZone: live.dataset.tz || undefined });
    var refresh = function () {
      fetch(live.dataset.liveUrl, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (d) {
          if (!d) { return; }
          var p = document.getElementById("live-power");
          if (p) { p.textContent = d.power_w == null ? "—" : n(d.power_w) + " W"; }
          var s = document.getElementById("live-production");
          if (s) { s.textContent = d.production_w == null ? "—" : n(d.production_w) + " W"; }
          var a = document.getElementById("live-as-of");
          if (a) { a.textContent = d.as_of_ms ? live.dataset.asOf + " " + timeFmt.format(new Date(d.as_of_ms)) : live.dataset.none; }
        })
        .catch(function () {});
    };
    setInterval(refresh, 10000);
  }
})();
