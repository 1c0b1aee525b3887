/*
 * Explorer "gaussians": the KL divergence between two normal distributions, both directions.
 *
 * What it shows
 *   Four sliders set p = N(mu_p, sigma_p^2) and q = N(mu_q, sigma_q^2) (means in [-5, 5],
 *   step 0.1; standard deviations in [0.2, 5], step 0.05; start at the chapter's example
 *   p = N(0, 1), q = N(1, 2^2)). An SVG draws both densities (p solid, q dashed, distinct
 *   colours, legend; x axis "x", y axis "density"), and the readout gives D(p || q), D(q || p)
 *   in nats and their ratio D(p || q)/D(q || p), so that a reader can look for a pair whose two
 *   directions differ tenfold.
 *
 * Axes that stay put
 *   No slider moves the axes, so a curve moves on screen only when its own sliders change. The
 *   view starts as the full range, fixed from the sliders' extreme values: x in [-15, 15]
 *   (the extreme means -+5 widened by 2 of the largest standard deviation, 5, beyond which no
 *   density exceeds 0.011, a pixel or two) and density in [0, 2.1] (the tallest peak is
 *   1/(0.2 sqrt(2 pi)) = 1.995), so both curves are whole inside the plot at every setting.
 *   The button "fit to p and q now" fits the view to the present curves once (x over both
 *   mu -+ 4 sigma, density up to the higher peak), a discrete action; from then on the sliders
 *   again leave the axes alone, the curves are clipped to the plot area, and a note says when
 *   a curve reaches outside the view. "full range" goes back to the fixed full view. The button
 *   of the view in use is aria-pressed="true".
 *
 * Formula (closed form, in nats)
 *   D(N(m1, s1^2) || N(m2, s2^2)) = log(s2/s1) + (s1^2 + (m1 - m2)^2)/(2 s2^2) - 1/2.
 *   Written without cancellation: with r = s1/s2 and u = r^2 - 1 (formed as
 *   (s1 - s2)(s1 + s2)/s2^2, where s1 - s2 is exact for nearby values), log(s2/s1) =
 *   -log1p(u)/2, so
 *       D = (u - log1p(u))/2 + ((m1 - m2)/s2)^2/2,
 *   with u - log1p(u) = u^2/2 - u^3/3 + u^4/4 - ... summed as a series for |u| < 0.1 and
 *   directly otherwise. Both terms are >= 0; equal settings give exactly 0. The ratio is shown
 *   as "—" when both directions are 0 (p = q).
 *
 * Contract (book/_ext/explorers.py; tests/browser/test_explorer_gaussians.py)
 *   Fills every <div class="kl-explorer" data-explorer="gaussians"> on the page, does nothing
 *   without one. Inputs: <input type="range"> named mu_p, sigma_p, mu_q, sigma_q, each inside a
 *   visible <label>. Outputs: <output> named kl_pq, kl_qp, ratio whose text is the number alone
 *   (toPrecision(7)); all update on the "input" event. Buttons "full range" and "fit to p and q
 *   now" choose the view (above); the note beside them is aria-live. The readout is
 *   aria-live="polite"; the SVG has role="img" and an aria-label naming both distributions, its
 *   curves carry the classes kl-curve-p / kl-curve-q. Colours come from
 *   currentColor (the theme's text colour, light and dark) and two line colours readable on
 *   both backgrounds. No library, no network.
 */
(function () {
  "use strict";

  var SVGNS = "http://www.w3.org/2000/svg";
  var COLOR_P = "#3b8be2";
  var COLOR_Q = "#e0620d";
  var SLIDERS = [
    { name: "mu_p", sym: "μ", sub: "p", what: "mean of p", min: -5, max: 5, step: 0.1, value: 0, digits: 1 },
    { name: "sigma_p", sym: "σ", sub: "p", what: "std. deviation of p", min: 0.2, max: 5, step: 0.05, value: 1, digits: 2 },
    { name: "mu_q", sym: "μ", sub: "q", what: "mean of q", min: -5, max: 5, step: 0.1, value: 1, digits: 1 },
    { name: "sigma_q", sym: "σ", sub: "q", what: "std. deviation of q", min: 0.2, max: 5, step: 0.05, value: 2, digits: 2 }
  ];
  var FULL_VIEW = { lo: -15, hi: 15, ymax: 2.1, full: true };
  var counter = 0;

  /* u - log1p(u) >= 0 for u > -1, with relative accuracy near u = 0. */
  function xMinusLog1p(u) {
    if (Math.abs(u) >= 0.1) return u - Math.log1p(u);
    var sum = 0, power = u, k;
    for (k = 2; k < 60; k++) {
      power *= u;                         // u^k
      var term = (k % 2 === 0 ? power : -power) / k;
      sum += term;
      if (Math.abs(term) <= 1e-17 * Math.abs(sum)) break;
    }
    return sum;
  }

  /* D(N(m1, s1^2) || N(m2, s2^2)) in nats. */
  function klNormal(m1, s1, m2, s2) {
    var u = ((s1 - s2) * (s1 + s2)) / (s2 * s2);
    var d = (m1 - m2) / s2;
    return 0.5 * xMinusLog1p(u) + 0.5 * d * d;
  }

  function density(x, m, s) {
    var z = (x - m) / s;
    return Math.exp(-0.5 * z * z) / (s * Math.sqrt(2 * Math.PI));
  }

  function format(v) {
    return v === 0 ? "0" : v.toPrecision(7);
  }

  function niceStep(span, target) {
    var raw = span / target;
    var mag = Math.pow(10, Math.floor(Math.log10(raw)));
    var f = raw / mag;
    return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
  }

  function tickLabel(v, step) {
    var dec = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
    var s = v.toFixed(dec);
    return s === "-0" || /^-0\.0*$/.test(s) ? s.slice(1) : s.replace("-", "−");
  }

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVGNS, name);
    for (var key in attrs) node.setAttribute(key, attrs[key]);
    if (parent) parent.appendChild(node);
    return node;
  }

  function html(tag, props, parent) {
    var node = document.createElement(tag);
    for (var key in props) {
      if (key === "text") node.textContent = props[key];
      else if (key === "html") node.innerHTML = props[key];
      else node.setAttribute(key, props[key]);
    }
    if (parent) parent.appendChild(node);
    return node;
  }

  function build(root) {
    var id = "kl-gauss-" + (++counter);
    root.textContent = "";
    var controls = html("div", {
      "class": "kl-controls", style: "grid-template-columns: repeat(auto-fit, minmax(14rem, 1fr))"
    }, root);
    var inputs = {}, shown = {};
    SLIDERS.forEach(function (s) {
      var label = html("label", {}, controls);
      var caption = html("span", {}, label);
      caption.innerHTML = s.what + ", " + s.sym + "<sub>" + s.sub + "</sub> = ";
      var swatch = html("span", { "aria-hidden": "true", style: "display: inline-block; width: 0.8em; height: 0.8em; " +
        "margin-right: 0.35em; border-radius: 50%; background: " + (s.sub === "p" ? COLOR_P : COLOR_Q) }, null);
      caption.insertBefore(swatch, caption.firstChild);
      shown[s.name] = html("span", { style: "font-variant-numeric: tabular-nums" }, caption);
      inputs[s.name] = html("input", {
        type: "range", name: s.name, min: s.min, max: s.max, step: s.step, value: s.value,
        style: "accent-color: " + (s.sub === "p" ? COLOR_P : COLOR_Q)
      }, label);
    });

    var viewBar = html("div", { "class": "kl-view", style: "display: flex; flex-wrap: wrap; align-items: center; " +
      "gap: 0.25rem 0.5rem; margin-top: 0.5rem; font-size: 0.9rem" }, root);
    html("span", { text: "axes:" }, viewBar);
    var fullButton = html("button", { type: "button", "class": "btn btn-sm btn-outline-secondary", name: "full_view",
      text: "full range" }, viewBar);
    var fitButton = html("button", { type: "button", "class": "btn btn-sm btn-outline-secondary", name: "fit_view",
      text: "fit to p and q now" }, viewBar);
    var viewNote = html("span", { "class": "kl-view-note", "aria-live": "polite" }, viewBar);
    var view = FULL_VIEW;

    var svg = el("svg", { role: "img", "aria-labelledby": id + "-title", style: "margin-top: 0.5rem" }, root);
    var title = el("title", { id: id + "-title" }, svg);
    var plot = el("g", {}, svg);

    var readout = html("div", { "class": "kl-readout", "aria-live": "polite" }, root);
    function item(labelHtml, name, unit) {
      var span = html("span", {}, readout);
      span.innerHTML = labelHtml + " = ";
      var out = html("output", { name: name }, span);
      if (unit) span.appendChild(document.createTextNode(" " + unit));
      return out;
    }
    var outPQ = item("D(p ‖ q)", "kl_pq", "nats");
    var outQP = item("D(q ‖ p)", "kl_qp", "nats");
    var outRatio = item("ratio D(p ‖ q) / D(q ‖ p)", "ratio", "");
    var note = html("span", { style: "font-style: italic" }, readout);

    function values() {
      var v = {};
      SLIDERS.forEach(function (s) { v[s.name] = parseFloat(inputs[s.name].value); });
      return v;
    }

    function draw(v) {
      var W = Math.max(280, Math.round(root.clientWidth - 24) || 640);
      var H = Math.round(Math.min(340, Math.max(230, W * 0.48)));
      var small = W < 480;
      var font = small ? 12 : 13;
      var m = { left: small ? 44 : 54, right: 12, top: 30, bottom: 42 };
      var pw = W - m.left - m.right, ph = H - m.top - m.bottom;
      svg.setAttribute("viewBox", "0 0 " + W + " " + H);
      svg.setAttribute("font-size", font);
      while (plot.firstChild) plot.removeChild(plot.firstChild);

      var lo = view.lo, hi = view.hi, ymax = view.ymax;
      var xs = niceStep(hi - lo, small ? 5 : 8);
      var ys = niceStep(ymax, small ? 4 : 5);
      function X(x) { return m.left + (x - lo) / (hi - lo) * pw; }
      function Y(y) { return m.top + ph - y / ymax * ph; }

      // Grid and ticks
      var axis = el("g", { fill: "currentColor", stroke: "none", "class": "kl-axis" }, plot);
      var grid = el("g", { stroke: "currentColor", "stroke-opacity": 0.15, "stroke-width": 1 }, plot);
      var t;
      for (t = Math.ceil(lo / xs) * xs; t <= hi + 1e-9 * xs; t += xs) {
        var px = X(t);
        el("line", { x1: px, x2: px, y1: m.top + ph, y2: m.top + ph + 5, stroke: "currentColor" }, grid).setAttribute("stroke-opacity", 1);
        el("text", { x: px, y: m.top + ph + 7 + font, "text-anchor": "middle" }, axis).textContent = tickLabel(t, xs);
      }
      for (t = 0; t <= ymax + 1e-9 * ys; t += ys) {
        var py = Y(t);
        el("line", { x1: m.left, x2: m.left + pw, y1: py, y2: py }, grid);
        el("text", { x: m.left - 6, y: py + font * 0.35, "text-anchor": "end" }, axis).textContent = tickLabel(t, ys);
      }
      el("line", { x1: m.left, x2: m.left + pw, y1: m.top + ph, y2: m.top + ph, stroke: "currentColor" }, plot);
      el("line", { x1: m.left, x2: m.left, y1: m.top, y2: m.top + ph, stroke: "currentColor" }, plot);
      el("text", { x: m.left + pw / 2, y: H - 6, "text-anchor": "middle" }, axis).textContent = "x";
      el("text", {
        x: 0, y: 0, "text-anchor": "middle",
        transform: "translate(" + (font + 1) + "," + (m.top + ph / 2) + ") rotate(-90)"
      }, axis).textContent = "density";

      // The plot area; a fitted view clips the curves to it (the full view never needs to).
      var clipId = id + "-clip";
      var defs = el("defs", {}, plot);
      el("rect", { x: m.left, y: m.top, width: pw, height: ph }, el("clipPath", { id: clipId }, defs));
      el("rect", { "class": "kl-plot-area", x: m.left, y: m.top, width: pw, height: ph, fill: "none", stroke: "none" }, plot);
      var curves = el("g", { "clip-path": "url(#" + clipId + ")" }, plot);

      // Curves: each on a uniform grid plus its own mean (so its peak is drawn at its height);
      // a curve's points depend only on its own parameters and the view.
      var n = Math.max(300, Math.round(pw * 1.5));
      function curve(mu, sd, color, dash, letter) {
        var pts = [], i;
        for (i = 0; i <= n; i++) pts.push(lo + (hi - lo) * i / n);
        if (mu > lo && mu < hi) pts.push(mu);
        pts.sort(function (a, b) { return a - b; });
        var d = "M" + X(pts[0]).toFixed(2) + "," + Y(0).toFixed(2);
        for (var j = 0; j < pts.length; j++) {
          d += "L" + X(pts[j]).toFixed(2) + "," + Y(density(pts[j], mu, sd)).toFixed(2);
        }
        var line = d;
        d += "L" + X(pts[pts.length - 1]).toFixed(2) + "," + Y(0).toFixed(2) + "Z";
        el("path", { d: d, fill: color, "fill-opacity": 0.12, stroke: "none", "class": "kl-area-" + letter }, curves);
        var attrs = { d: line.replace(/^M[^L]*L/, "M"), fill: "none", stroke: color, "stroke-width": 2.5,
          "stroke-linejoin": "round", "class": "kl-curve-" + letter };
        if (dash) attrs["stroke-dasharray"] = "7 4";
        el("path", attrs, curves);
      }
      curve(v.mu_p, v.sigma_p, COLOR_P, false, "p");
      curve(v.mu_q, v.sigma_q, COLOR_Q, true, "q");

      // Legend, above the plot area, right-aligned
      var legend = el("g", { fill: "currentColor" }, plot);
      function name(letter, mu, sd) {
        return small ? letter : letter + " = N(" + tickLabel(mu, 0.1) + ", " + tickLabel(sd, 0.01) + "²)";
      }
      var entries = [[name("p", v.mu_p, v.sigma_p), COLOR_P, false], [name("q", v.mu_q, v.sigma_q), COLOR_Q, true]];
      var xLeg = m.left + 4, yLeg = 16;
      entries.forEach(function (e) {
        var ln = el("line", { x1: xLeg, x2: xLeg + 24, y1: yLeg - font * 0.35, y2: yLeg - font * 0.35, stroke: e[1], "stroke-width": 2.5 }, legend);
        if (e[2]) ln.setAttribute("stroke-dasharray", "7 4");
        var text = el("text", { x: xLeg + 30, y: yLeg }, legend);
        text.textContent = e[0];
        xLeg += 30 + e[0].length * font * 0.56 + 18;
      });

      title.textContent = "Densities of p = N(" + v.mu_p + ", " + v.sigma_p + "²), solid, and q = N(" +
        v.mu_q + ", " + v.sigma_q + "²), dashed, for x from " + tickLabel(lo, xs / 10) + " to " +
        tickLabel(hi, xs / 10) + (view.full ? " (full range)." : " (fitted view).");

      var outside = [];
      if (!view.full) {
        [["p", v.mu_p, v.sigma_p], ["q", v.mu_q, v.sigma_q]].forEach(function (c) {
          if (c[1] - 4 * c[2] < lo || c[1] + 4 * c[2] > hi || density(0, 0, c[2]) > ymax) outside.push(c[0]);
        });
      }
      viewNote.textContent = outside.length ? outside.join(" and ") + " reach" + (outside.length > 1 ? "" : "es") +
        " outside this view: fit it again or show the full range" : "";
      fullButton.setAttribute("aria-pressed", String(view.full));
      fitButton.setAttribute("aria-pressed", String(!view.full));
    }

    /* The view around the present curves: x over both mu -+ 4 sigma, density up to the higher peak. */
    function fittedView(v) {
      return {
        lo: Math.min(v.mu_p - 4 * v.sigma_p, v.mu_q - 4 * v.sigma_q),
        hi: Math.max(v.mu_p + 4 * v.sigma_p, v.mu_q + 4 * v.sigma_q),
        ymax: Math.max(density(0, 0, v.sigma_p), density(0, 0, v.sigma_q)) * 1.06,
        full: false
      };
    }
    fitButton.addEventListener("click", function () { view = fittedView(values()); draw(values()); });
    fullButton.addEventListener("click", function () { view = FULL_VIEW; draw(values()); });

    function update() {
      var v = values();
      SLIDERS.forEach(function (s) { shown[s.name].textContent = tickLabel(v[s.name], Math.pow(10, -s.digits)); });
      var pq = klNormal(v.mu_p, v.sigma_p, v.mu_q, v.sigma_q);
      var qp = klNormal(v.mu_q, v.sigma_q, v.mu_p, v.sigma_p);
      outPQ.textContent = format(pq);
      outQP.textContent = format(qp);
      outRatio.textContent = qp === 0 ? "—" : format(pq / qp);
      var far = pq > 0 && qp > 0 && (pq >= 10 * qp || qp >= 10 * pq);
      note.textContent = far ? "the two directions differ tenfold or more" : "";
      draw(v);
    }

    root.addEventListener("input", function (event) {
      if (event.target && event.target.tagName === "INPUT") update();
    });
    update();
    if (window.ResizeObserver) {
      var lastWidth = root.clientWidth;
      new ResizeObserver(function () {
        if (root.clientWidth !== lastWidth) { lastWidth = root.clientWidth; draw(values()); }
      }).observe(root);
    }
  }

  function init() {
    var roots = document.querySelectorAll('.kl-explorer[data-explorer="gaussians"]');
    for (var i = 0; i < roots.length; i++) build(roots[i]);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
