/* Explorer "fits": forward and reverse KL between a two-bump mixture and one normal
 * (page book/kl-fits.md, forward and reverse fits of a Gaussian to two bumps).
 *
 * What it shows. p = 0.5 N(-s/2, 0.6^2) + 0.5 N(s/2, 0.6^2) (the chapter's s = 4) and
 * q = N(mu, sigma^2). The densities plot draws p and q; two heat maps over the box
 * mu in [-4, 4], sigma in [0.3, 4] show D(p || q) and D(q || p) on a logarithmic colour scale,
 * with the reader's q as a ring and the fits as crosses: forward by moment matching, mu = 0,
 * sigma = sqrt(0.36 + s^2/4) (2.088 for s = 4); reverse at the local minima of D(q || p), found
 * as the strict local minima of the map's 41 x 31 grid, each refined by Nelder-Mead in
 * (mu, log sigma) (for s = 4: (+-1.9971, 0.6049) with 0.6918 nats and (0, 1.7903) with
 * 1.1384 nats).
 *
 * Formulas. log p(x) = log 0.5 + logsumexp of the two component log-densities (stable for any x).
 * Readouts, in nats, by composite 8-point Gauss-Legendre quadrature (400 panels on [-12, 12]):
 *   D(p || q) = sum_k 0.5 int phi(z) [log p(x) - log q(x)] dz,  x = m_k + 0.6 z  (m_k = -+s/2),
 *   D(q || p) = int phi(z) [log phi(z) - log sigma - log p(x)] dz,  x = mu + sigma z,
 * phi the standard normal density. Maps: the forward one from the identity
 *   D(p || q) = -h(p) + log(2 pi)/2 + log sigma + (Var_p + mu^2) / (2 sigma^2),  Var_p = 0.36 + s^2/4,
 * with h(p) by the same quadrature; the reverse one by a cheaper quadrature (80 panels x 6 points).
 * Maps are recomputed on load and when s changes; mu and sigma only move the ring.
 *
 * Colour. A cell's colour is ramp(sqrt(u)), u = (log D - lo) / (hi - lo), lo and hi the smallest
 * and largest log D on that map's grid (the square root gives more colours to the basins). Each
 * map's colour bar is a logarithmic axis of D (position proportional to u, the colour at u as in
 * the cells), titled with the quantity and its direction ("D(p ‖ q), nats, log scale") and ticked
 * in nats, not in log units: the values 1, 5, 2 x 10^k inside [e^lo, e^hi], in that order of
 * preference, each kept when 13 units from the ticks already kept; if fewer than 3 fit, finer
 * steps (1.5, 2.5, 3, 4, 6, 7, 8, 9 x 10^k) and then the two ends.
 *
 * Clicking or tapping a point of a map puts q there: mu and sigma are set to the point's values,
 * rounded to the sliders' steps and clamped to their ranges, and each slider fires its "input"
 * event, so a click is exactly a slider input (a mouse can also drag the ring). The keyboard
 * reaches the same settings through the sliders.
 *
 * Contract. Fills <div class="kl-explorer" data-explorer="fits">. Inputs: range inputs named
 * "mu" [-4, 4] step 0.05, "sigma" [0.3, 4] step 0.05, "separation" [1, 6] step 0.1.
 * Outputs: <output name="forward"> = D(p || q), <output name="reverse"> = D(q || p) (number only).
 * Exposed for tests, as JSON on the container, updated with the maps:
 *   data-forward-grid-minima, data-reverse-grid-minima: [[mu, sigma], ...], strict local minima
 *     of each map's grid (interior points below all 8 neighbours);
 *   data-forward-fits, data-reverse-fits: [[mu, sigma, D], ...], the fits marked on the maps.
 * No library, no network.
 */
(function () {
  'use strict';
  const hosts = document.querySelectorAll('.kl-explorer[data-explorer="fits"]');
  if (!hosts.length) return;
  const SVGNS = 'http://www.w3.org/2000/svg';
  const SD = 0.6, LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
  const MU = [-4, 4], SIG = [0.3, 4], NMU = 41, NSIG = 31;

  // Gauss-Legendre nodes and weights on [-1, 1] (Newton on P_n).
  function gaussLegendre(n) {
    const x = [], w = [];
    for (let i = 0; i < n; i++) {
      let t = Math.cos(Math.PI * (i + 0.75) / (n + 0.5)), dp = 0;
      for (let it = 0; it < 100; it++) {
        let p0 = 1, p1 = t;
        for (let k = 2; k <= n; k++) { const p2 = ((2 * k - 1) * t * p1 - (k - 1) * p0) / k; p0 = p1; p1 = p2; }
        dp = n * (t * p1 - p0) / (t * t - 1);
        const dt = p1 / dp; t -= dt;
        if (Math.abs(dt) < 1e-16) break;
      }
      x.push(t); w.push(2 / ((1 - t * t) * dp * dp));
    }
    return [x, w];
  }
  // Composite rule on [-L, L] for int phi(z) f(z) dz: returns nodes z and weights phi(z) dz, log phi(z).
  function rule(panels, order, L) {
    const [gx, gw] = gaussLegendre(order), z = [], w = [], lphi = [], h = 2 * L / panels;
    for (let i = 0; i < panels; i++) {
      for (let j = 0; j < order; j++) {
        const t = -L + h * (i + 0.5 + 0.5 * gx[j]);
        const lp = -0.5 * t * t - LOG_SQRT_2PI;
        z.push(t); lphi.push(lp); w.push(0.5 * h * gw[j] * Math.exp(lp));
      }
    }
    return { z, w, lphi };
  }
  const FINE = rule(400, 8, 12), CHEAP = rule(80, 6, 10);

  function logP(x, a) {  // log density of 0.5 N(-a, SD^2) + 0.5 N(a, SD^2)
    const u = -(x + a) * (x + a) / (2 * SD * SD), v = -(x - a) * (x - a) / (2 * SD * SD);
    const m = Math.max(u, v);
    return Math.log(0.5) + m + Math.log1p(Math.exp(Math.min(u, v) - m)) - Math.log(SD) - LOG_SQRT_2PI;
  }
  const logQ = (x, mu, s) => -0.5 * ((x - mu) / s) ** 2 - Math.log(s) - LOG_SQRT_2PI;

  function forwardKL(mu, sigma, sep, R = FINE) {
    let total = 0;
    for (const m of [-sep / 2, sep / 2]) {
      for (let i = 0; i < R.z.length; i++) {
        const x = m + SD * R.z[i];
        total += 0.5 * R.w[i] * (logP(x, sep / 2) - logQ(x, mu, sigma));
      }
    }
    return total;
  }
  function reverseKL(mu, sigma, sep, R = FINE) {
    let total = 0;
    const ls = Math.log(sigma);
    for (let i = 0; i < R.z.length; i++) total += R.w[i] * (R.lphi[i] - ls - logP(mu + sigma * R.z[i], sep / 2));
    return total;
  }
  function entropyP(sep) {  // h(p) = -sum_k 0.5 int phi(z) log p(m_k + 0.6 z) dz
    let h = 0;
    for (const m of [-sep / 2, sep / 2]) for (let i = 0; i < FINE.z.length; i++) h -= 0.5 * FINE.w[i] * logP(m + SD * FINE.z[i], sep / 2);
    return h;
  }

  // Nelder-Mead on f(mu, log sigma), from a start point; stays a small local search.
  function nelderMead(f, start, step) {
    let pts = [start, [start[0] + step[0], start[1]], [start[0], start[1] + step[1]]].map(p => [p, f(p)]);
    for (let it = 0; it < 300; it++) {
      pts.sort((a, b) => a[1] - b[1]);
      if (Math.abs(pts[2][1] - pts[0][1]) < 1e-13 && Math.hypot(pts[2][0][0] - pts[0][0][0], pts[2][0][1] - pts[0][0][1]) < 1e-7) break;
      const c = [(pts[0][0][0] + pts[1][0][0]) / 2, (pts[0][0][1] + pts[1][0][1]) / 2];
      const along = t => { const p = [c[0] + t * (pts[2][0][0] - c[0]), c[1] + t * (pts[2][0][1] - c[1])]; return [p, f(p)]; };
      const r = along(-1);
      if (r[1] < pts[0][1]) { const e = along(-2); pts[2] = e[1] < r[1] ? e : r; }
      else if (r[1] < pts[1][1]) pts[2] = r;
      else {
        const k = along(r[1] < pts[2][1] ? -0.5 : 0.5);
        if (k[1] < Math.min(r[1], pts[2][1])) pts[2] = k;
        else pts = pts.map((p, i) => i === 0 ? p : (q => [q, f(q)])([(p[0][0] + pts[0][0][0]) / 2, (p[0][1] + pts[0][0][1]) / 2]));
      }
    }
    pts.sort((a, b) => a[1] - b[1]);
    return pts[0];
  }

  const gridMu = Array.from({ length: NMU }, (_, i) => MU[0] + (MU[1] - MU[0]) * i / (NMU - 1));
  const gridSig = Array.from({ length: NSIG }, (_, j) => SIG[0] + (SIG[1] - SIG[0]) * j / (NSIG - 1));
  function gridMinima(V) {
    const out = [];
    for (let j = 1; j < NSIG - 1; j++) for (let i = 1; i < NMU - 1; i++) {
      let low = true;
      for (let dj = -1; dj <= 1 && low; dj++) for (let di = -1; di <= 1; di++) {
        if ((di || dj) && !(V[j][i] < V[j + dj][i + di])) { low = false; break; }
      }
      if (low) out.push([gridMu[i], gridSig[j]]);
    }
    return out;
  }
  function computeMaps(sep) {
    const varP = SD * SD + sep * sep / 4, hP = entropyP(sep);
    const F = gridSig.map(s => gridMu.map(m => Math.log(-hP + LOG_SQRT_2PI + Math.log(s) + (varP + m * m) / (2 * s * s))));
    const Rv = gridSig.map(s => gridMu.map(m => Math.log(Math.max(reverseKL(m, s, sep, CHEAP), 1e-12))));
    const fMin = gridMinima(F), rMin = gridMinima(Rv);
    const fFits = [[0, Math.sqrt(varP), forwardKL(0, Math.sqrt(varP), sep)]];
    const rFits = [];
    for (const [m, s] of rMin) {
      const [p, val] = nelderMead(t => reverseKL(t[0], Math.exp(t[1]), sep, FINE), [m, Math.log(s)], [0.05, 0.05]);
      const fit = [p[0], Math.exp(p[1]), val];
      if (fit[0] < MU[0] || fit[0] > MU[1] || fit[1] < SIG[0] || fit[1] > SIG[1]) continue;
      if (!rFits.some(o => Math.abs(o[0] - fit[0]) < 0.02 && Math.abs(o[1] - fit[1]) < 0.02)) rFits.push(fit);
    }
    return { F, Rv, fMin, rMin, fFits, rFits };
  }

  // Colours: a viridis-like ramp (legible on light and dark pages); lines in two strong hues.
  const RAMP = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
  function colour(t) {
    t = Math.min(1, Math.max(0, t)) * (RAMP.length - 1);
    const i = Math.min(RAMP.length - 2, Math.floor(t)), f = t - i;
    return 'rgb(' + RAMP[i].map((c, k) => Math.round(c + f * (RAMP[i + 1][k] - c))).join(',') + ')';
  }
  const P_COLOUR = '#d9480f', Q_COLOUR = '#1c7ed6';
  // Map geometry in viewBox units: the frame, then the colour bar, its ticks and its title.
  const MAP_W = 352, M = { x0: 46, x1: 278, y0: 26, y1: 250 }, BAR_X = 286, BAR_W = 9;

  // Colour-bar ticks in the quantity's own units: values v in [e^lo, e^hi] at the fraction
  // u = (log v - lo) / (hi - lo) of the bar, kept when at least `gap` bar units from every kept
  // tick, the rounder values considered first.
  function barTicks(lo, hi, length, gap) {
    const vMin = Math.exp(lo), vMax = Math.exp(hi), at = v => (Math.log(v) - lo) / (hi - lo) * length;
    const k0 = Math.floor(Math.log10(vMin)), k1 = Math.ceil(Math.log10(vMax));
    const candidates = mantissas => {
      const out = [];
      for (const m of mantissas) for (let k = k0; k <= k1; k++) {
        const v = m * 10 ** k;
        if (v >= vMin && v <= vMax) out.push(v);
      }
      return out;
    };
    const kept = [];
    const offer = vs => { for (const v of vs) if (kept.every(u => Math.abs(at(u) - at(v)) >= gap)) kept.push(v); };
    offer(candidates([1])); offer(candidates([5])); offer(candidates([2]));
    if (kept.length < 3) offer(candidates([1.5, 3, 4, 6, 7, 8, 9, 2.5]));
    if (kept.length < 3) offer([vMin, vMax]);
    return kept.sort((a, b) => a - b).map(v => ({ v, u: at(v) / length }));
  }
  // A tick value as a plain decimal (0.002, 1.5, 20): no exponent, no trailing zeros.
  function tickText(v) {
    if (v >= 1) return String(+v.toPrecision(3));
    const decimals = Math.min(12, 1 - Math.floor(Math.log10(v)) + 1);
    return String(+v.toFixed(decimals));
  }
  const fmt = v => (Math.abs(v) < 1e-3 ? v.toExponential(6) : v.toPrecision(8));

  function el(tag, attrs, parent) {
    const e = document.createElementNS(SVGNS, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function text(parent, x, y, s, extra) {
    const t = el('text', Object.assign({ x, y, fill: 'currentColor', 'font-size': 13 }, extra || {}), parent);
    t.textContent = s;
    return t;
  }
  function marker(parent, x, y, kind) {  // dark halo under a light shape: visible on any colour
    const g = el('g', {}, parent);
    if (kind === 'ring') {
      el('circle', { cx: x, cy: y, r: 6, fill: 'none', stroke: '#000', 'stroke-width': 4.5 }, g);
      el('circle', { cx: x, cy: y, r: 6, fill: 'none', stroke: '#fff', 'stroke-width': 2 }, g);
    } else {
      const d = `M${x - 5},${y - 5}L${x + 5},${y + 5}M${x - 5},${y + 5}L${x + 5},${y - 5}`;
      el('path', { d, stroke: '#000', 'stroke-width': 5, 'stroke-linecap': 'round' }, g);
      el('path', { d, stroke: '#fff', 'stroke-width': 2.2, 'stroke-linecap': 'round' }, g);
    }
    return g;
  }

  function build(host) {
    host.innerHTML = '';
    const controls = document.createElement('div');
    controls.className = 'kl-controls';
    host.appendChild(controls);
    const inputs = {};
    const specs = [['mu', 'q’s mean μ', -4, 4, 0.05, 1], ['sigma', 'q’s std. deviation σ', 0.3, 4, 0.05, 1],
      ['separation', 'distance between p’s bumps', 1, 6, 0.1, 4]];
    for (const [name, label, min, max, step, value] of specs) {
      const lab = document.createElement('label');
      const span = document.createElement('span');
      const inp = document.createElement('input');
      Object.assign(inp, { type: 'range', name, min, max, step, value });
      lab.append(span, inp);
      controls.appendChild(lab);
      inputs[name] = { inp, span, label };
    }
    const readout = document.createElement('div');
    readout.className = 'kl-readout';
    readout.setAttribute('aria-live', 'polite');
    readout.innerHTML = '<span>forward D(p ‖ q) = <output name="forward"></output> nats</span>' +
      '<span>reverse D(q ‖ p) = <output name="reverse"></output> nats</span>';
    host.appendChild(readout);
    const outF = readout.querySelector('output[name="forward"]'), outR = readout.querySelector('output[name="reverse"]');

    const figs = document.createElement('div');
    figs.style.cssText = 'display:flex;flex-wrap:wrap;gap:0.5rem;margin-top:0.5rem';
    host.appendChild(figs);
    const mkSvg = (w, h, basis, label) => {
      const s = el('svg', { viewBox: `0 0 ${w} ${h}`, role: 'img', 'aria-label': label });
      s.style.flex = `1 1 ${basis}`;
      s.style.minWidth = '0';
      figs.appendChild(s);
      return s;
    };
    const dens = mkSvg(640, 265, '100%', 'Densities of the two-bump mixture p and the normal q against x');
    const maps = [
      mkSvg(MAP_W, 300, '260px', 'Heat map of D(p ‖ q) in nats, on a logarithmic colour scale, over q’s mean μ and standard deviation σ, with q and the forward fit marked; click or tap the map to move q there'),
      mkSvg(MAP_W, 300, '260px', 'Heat map of D(q ‖ p) in nats, on a logarithmic colour scale, over q’s mean μ and standard deviation σ, with q and the reverse local minima marked; click or tap the map to move q there'),
    ];
    const note = document.createElement('p');
    note.style.cssText = 'font-size:0.85rem;margin:0.25rem 0 0';
    note.textContent = 'Maps: colour is the divergence in nats on a logarithmic scale (dark = small; ' +
      'values on each colour bar); ring = your q, click or tap a map to move q there; crosses = fits ' +
      '(forward: moment matching; reverse: local minima of D(q ‖ p)).';
    host.appendChild(note);

    // Densities plot frame: a narrower viewBox on narrow screens keeps its text readable.
    const D = { x0: 52, x1: 628, y0: 34, y1: 218, lo: -7, hi: 7, W: 0 };
    const dX = x => D.x0 + (x - D.lo) / (D.hi - D.lo) * (D.x1 - D.x0);
    const axes = el('g', {}, dens), dyn = el('g', {}, dens);
    function layoutDensity() {
      const W = host.clientWidth < 520 ? 380 : 640;
      if (W === D.W) return false;
      D.W = W; D.x1 = W - 12;
      dens.setAttribute('viewBox', `0 0 ${W} 265`);
      axes.textContent = '';
      el('path', { d: `M${D.x0},${D.y0}V${D.y1}H${D.x1}`, fill: 'none', stroke: 'currentColor' }, axes);
      for (let v = -6; v <= 6; v += 2) {
        el('path', { d: `M${dX(v)},${D.y1}v5`, stroke: 'currentColor' }, axes);
        text(axes, dX(v), D.y1 + 19, String(v), { 'text-anchor': 'middle' });
      }
      text(axes, (D.x0 + D.x1) / 2, 259, 'x (no unit)', { 'text-anchor': 'middle' });
      text(axes, 14, (D.y0 + D.y1) / 2, 'density (1/x)', { 'text-anchor': 'middle', transform: `rotate(-90 14 ${(D.y0 + D.y1) / 2})` });
      return true;
    }
    layoutDensity();

    // Map frames.
    const mX = m => M.x0 + (m - MU[0]) / (MU[1] - MU[0]) * (M.x1 - M.x0);
    const mY = s => M.y1 - (s - SIG[0]) / (SIG[1] - SIG[0]) * (M.y1 - M.y0);
    const mapParts = maps.map((svg, k) => {
      text(svg, (M.x0 + M.x1) / 2, 16, k ? 'reverse D(q ‖ p)' : 'forward D(p ‖ q)', { 'text-anchor': 'middle', 'font-weight': 600 });
      const cells = el('g', { 'shape-rendering': 'crispEdges', style: 'cursor: crosshair' }, svg), bar = el('g', { 'class': 'kl-colour-bar' }, svg), frame = el('g', {}, svg), marks = el('g', {}, svg), ring = el('g', {}, svg);
      const barTitle = (k ? 'D(q ‖ p)' : 'D(p ‖ q)') + ', nats, log scale';
      text(svg, MAP_W - 6, (M.y0 + M.y1) / 2, barTitle, { 'text-anchor': 'middle', 'font-size': 11, 'class': 'kl-colour-bar-title',
        transform: `rotate(-90 ${MAP_W - 6} ${(M.y0 + M.y1) / 2})` });
      el('rect', { x: M.x0, y: M.y0, width: M.x1 - M.x0, height: M.y1 - M.y0, fill: 'none', stroke: 'currentColor' }, frame);
      for (const v of [-4, -2, 0, 2, 4]) {
        el('path', { d: `M${mX(v)},${M.y1}v4`, stroke: 'currentColor' }, frame);
        text(frame, mX(v), M.y1 + 17, String(v), { 'text-anchor': 'middle' });
      }
      for (const v of [0.5, 1, 2, 3, 4]) {
        el('path', { d: `M${M.x0},${mY(v)}h-4`, stroke: 'currentColor' }, frame);
        text(frame, M.x0 - 6, mY(v) + 4, String(v), { 'text-anchor': 'end' });
      }
      text(frame, (M.x0 + M.x1) / 2, 292, 'μ (q’s mean)', { 'text-anchor': 'middle' });
      text(frame, 12, (M.y0 + M.y1) / 2, 'σ (q’s std. dev.)', { 'text-anchor': 'middle', transform: `rotate(-90 12 ${(M.y0 + M.y1) / 2})` });
      return { cells, bar, marks, ring };
    });

    let current = null;
    function drawMaps(sep) {
      const res = computeMaps(sep);
      current = res;
      const cw = (M.x1 - M.x0) / (NMU - 1), ch = (M.y1 - M.y0) / (NSIG - 1);
      [res.F, res.Rv].forEach((V, k) => {
        const part = mapParts[k];
        let lo = Infinity, hi = -Infinity;
        for (const row of V) for (const v of row) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
        part.cells.textContent = ''; part.bar.textContent = ''; part.marks.textContent = '';
        V.forEach((row, j) => row.forEach((v, i) => {
          const x = Math.max(M.x0, mX(gridMu[i]) - cw / 2), y = Math.max(M.y0, mY(gridSig[j]) - ch / 2);
          const x2 = Math.min(M.x1, mX(gridMu[i]) + cw / 2), y2 = Math.min(M.y1, mY(gridSig[j]) + ch / 2);
          // Square-root stretch puts more colours near the minima, where the basins are.
          el('rect', { x: x.toFixed(2), y: y.toFixed(2), width: (x2 - x + 0.4).toFixed(2), height: (y2 - y + 0.4).toFixed(2),
            fill: colour(Math.sqrt((v - lo) / (hi - lo))) }, part.cells);
        }));
        // The bar is an axis of u from 0 (bottom) to 1: 40 bands, each its midpoint's colour.
        for (let b = 0; b < 40; b++) {
          el('rect', { x: BAR_X, y: (M.y1 - (b + 1) * (M.y1 - M.y0) / 40).toFixed(2), width: BAR_W, height: ((M.y1 - M.y0) / 40 + 0.4).toFixed(2),
            fill: colour(Math.sqrt((b + 0.5) / 40)) }, part.bar);
        }
        for (const { v, u } of barTicks(lo, hi, M.y1 - M.y0, 13)) {
          const y = M.y1 - u * (M.y1 - M.y0);
          el('path', { d: `M${BAR_X + BAR_W},${y.toFixed(2)}h3`, stroke: 'currentColor' }, part.bar);
          text(part.bar, BAR_X + BAR_W + 5, (y + 4).toFixed(2), tickText(v), { 'font-size': 11, 'class': 'kl-colour-tick', 'data-value': String(v) });
        }
        for (const [m, s] of (k ? res.rFits : res.fFits)) marker(part.marks, mX(m), mY(s), 'cross');
      });
      host.dataset.forwardGridMinima = JSON.stringify(res.fMin);
      host.dataset.reverseGridMinima = JSON.stringify(res.rMin);
      host.dataset.forwardFits = JSON.stringify(res.fFits);
      host.dataset.reverseFits = JSON.stringify(res.rFits);
    }

    let lastSep = null;
    function update() {
      const mu = +inputs.mu.inp.value, sigma = +inputs.sigma.inp.value, sep = +inputs.separation.inp.value;
      inputs.mu.span.textContent = `${inputs.mu.label} = ${mu.toFixed(2)}`;
      inputs.sigma.span.textContent = `${inputs.sigma.label} = ${sigma.toFixed(2)}`;
      inputs.separation.span.textContent = `${inputs.separation.label} = ${sep.toFixed(1)} (bumps at ±${(sep / 2).toFixed(2)})`;
      if (sep !== lastSep) { drawMaps(sep); lastSep = sep; }
      outF.textContent = fmt(forwardKL(mu, sigma, sep));
      outR.textContent = fmt(reverseKL(mu, sigma, sep));

      // Densities.
      dyn.textContent = '';
      const n = 281, xs = Array.from({ length: n }, (_, i) => D.lo + (D.hi - D.lo) * i / (n - 1));
      const pv = xs.map(x => Math.exp(logP(x, sep / 2))), qv = xs.map(x => Math.exp(logQ(x, mu, sigma)));
      const top = Math.max(0.5, ...pv, ...qv) * 1.08;
      const dY = y => D.y1 - y / top * (D.y1 - D.y0);
      const tickStep = top > 1 ? 0.5 : 0.1 * Math.ceil(top / 0.5);
      for (let v = 0; v <= top + 1e-9; v += tickStep) {
        el('path', { d: `M${D.x0},${dY(v)}h-5`, stroke: 'currentColor' }, dyn);
        text(dyn, D.x0 - 8, dY(v) + 4, v.toFixed(1), { 'text-anchor': 'end' });
      }
      const line = (vals, colour, dash) => el('path', { d: 'M' + xs.map((x, i) => `${dX(x).toFixed(1)},${dY(vals[i]).toFixed(1)}`).join('L'),
        fill: 'none', stroke: colour, 'stroke-width': 2.5, 'stroke-dasharray': dash || 'none' }, dyn);
      line(pv, P_COLOUR); line(qv, Q_COLOUR, '7 4');
      el('path', { d: `M${D.x0},14h26`, stroke: P_COLOUR, 'stroke-width': 2.5 }, dyn);
      text(dyn, D.x0 + 31, 18, 'p (two bumps)');
      el('path', { d: `M${D.x0 + 135},14h26`, stroke: Q_COLOUR, 'stroke-width': 2.5, 'stroke-dasharray': '7 4' }, dyn);
      text(dyn, D.x0 + 166, 18, `q = N(${mu.toFixed(2)}, ${sigma.toFixed(2)}²)`);

      for (const part of mapParts) {
        part.ring.textContent = '';
        marker(part.ring, mX(mu), mY(sigma), 'ring');
      }
    }
    for (const k in inputs) inputs[k].inp.addEventListener('input', update);

    // A click or tap on a map puts q at that point, through the sliders (a mouse may also drag).
    const snap = (value, inp) => {
      const min = +inp.min, max = +inp.max, step = +inp.step;
      return String(+Math.min(max, Math.max(min, min + Math.round((value - min) / step) * step)).toFixed(2));
    };
    function placeAt(svg, event, dragged) {
      const m = svg.getScreenCTM();
      if (!m) return false;
      const pt = svg.createSVGPoint();
      pt.x = event.clientX; pt.y = event.clientY;
      const { x, y } = pt.matrixTransform(m.inverse());
      if (!dragged && (x < M.x0 - 3 || x > M.x1 + 3 || y < M.y0 - 3 || y > M.y1 + 3)) return false;
      const mu = MU[0] + (x - M.x0) / (M.x1 - M.x0) * (MU[1] - MU[0]);
      const sigma = SIG[0] + (M.y1 - y) / (M.y1 - M.y0) * (SIG[1] - SIG[0]);
      for (const [name, value] of [['mu', mu], ['sigma', sigma]]) {
        const inp = inputs[name].inp, v = snap(value, inp);
        if (+inp.value === +v) continue;
        inp.value = v;
        inp.dispatchEvent(new Event('input', { bubbles: true }));
      }
      return true;
    }
    for (const svg of maps) {
      let dragging = null;
      svg.addEventListener('click', e => placeAt(svg, e));
      // Touch keeps scrolling the page; a tap still arrives as a click.
      svg.addEventListener('pointerdown', e => {
        if (e.pointerType === 'touch' || e.button !== 0 || !placeAt(svg, e)) return;
        dragging = e.pointerId;
        try { svg.setPointerCapture(e.pointerId); } catch (err) { /* pointer already gone */ }
        e.preventDefault();
      });
      svg.addEventListener('pointermove', e => { if (e.pointerId === dragging) placeAt(svg, e, true); });
      const stop = e => { if (e.pointerId === dragging) dragging = null; };
      svg.addEventListener('pointerup', stop);
      svg.addEventListener('pointercancel', stop);
    }
    window.addEventListener('resize', () => { if (layoutDensity()) update(); });
    update();
  }
  hosts.forEach(build);
})();
