// Voisins charts: draws the curves embedded in the page with uPlot, switches day/week/month/year
// by asking the JSON API, and keeps the live power fresh.
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

  function draw(el, curve) {
    var labels = JSON.parse(el.dataset.labels);
    var tz = el.dataset.tz;
    var n = fmt(el.dataset.lang, 0);
    var lang = el.dataset.lang;
    var span = curve.ts.length ? curve.ts[curve.ts.length - 1] - curve.ts[0] : 0;
    var hourFmt = new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit", timeZone: tz });
    var dayFmt = new Intl.DateTimeFormat(lang, { day: "numeric", month: "short", timeZone: tz });
    var monthFmt = new Intl.DateTimeFormat(lang, { month: "short", year: "numeric", timeZone: tz });
    var hourOf = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: tz });
    // Ticks: hours within a day (the day itself at midnight), days, then months.
    var tick = function (ts, incr) {
      var d = new Date(ts * 1e3);
      if (incr >= 28 * 86400) { return monthFmt.format(d); }
      if (incr >= 86400) { return dayFmt.format(d); }
      return hourOf.format(d) === "00:00" && span > 86400 + 7200 ? dayFmt.format(d) : hourFmt.format(d);
    };
    var full = new Intl.DateTimeFormat(lang, curve.resolution_s >= 86400
      ? { weekday: "short", day: "numeric", month: "long", year: "numeric", timeZone: tz }
      : { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", timeZone: tz });
    var series = [{ label: labels.time, value: function (u, ts) { return ts == null ? "—" : full.format(new Date(ts * 1e3)); } }];
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
        { stroke: "#5f6d68", grid: { stroke: "#eceee8" }, space: 60,
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
    card.querySelectorAll("button[data-range]").forEach(function (btn) {
      btn.addEventListener("click", function () {
        card.querySelectorAll("button[data-range]").forEach(function (b) { b.setAttribute("aria-pressed", b === btn ? "true" : "false"); });
        el.style.opacity = "0.5";
        fetch(el.dataset.url + "?range=" + btn.dataset.range, { credentials: "same-origin" })
          .then(function (r) { return r.json(); })
          .then(function (curve) { plot.destroy(); plot = draw(el, curve); el.style.opacity = "1"; })
          .catch(function () { el.style.opacity = "1"; });
        var csv = card.querySelector("a[data-csv]");
        if (csv) { csv.href = el.dataset.url + "?range=" + btn.dataset.range + "&format=csv"; }
      });
    });
    var timer;
    window.addEventListener("resize", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var w = Math.max(280, el.clientWidth);
        plot.setSize({ width: w, height: w < 600 ? 260 : 320 });
      }, 150);
    });
  });

  var live = document.querySelector("[data-live-url]");
  if (live) {
    var lang = live.dataset.lang;
    var n = fmt(lang, 0);
    var timeFmt = new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
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
