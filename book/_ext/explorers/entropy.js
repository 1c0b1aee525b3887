/* Entropy explorer (book/entropy.md, after the uniform-maximum section; issue #13).

What it shows
  A die with n outcomes, n = 4, 5 or 6, and its probabilities p(1), ..., p(n) as a bar chart.
  Above each bar: the outcome's surprise -log2 p(x) in bits ("∞" when p(x) = 0). Below the
  bars: the entropy H(p) as a horizontal bar on a scale in bits, with the uniform maximum
  log2 n as a dashed line (only the uniform distribution reaches it); a dashed line at p = 1/n
  among the probability bars.

Formulas (x = 1..n, p normalized)
  surprise  s(x) = -log2 p(x)                    (+∞ for p(x) = 0)
  entropy   H(p) = sum_x p(x) s(x) = -sum_x p(x) log2 p(x),  with 0 log 0 = 0
  maximum   H(p) <= log2 n, with equality exactly for the uniform p(x) = 1/n

Exact semantics of the controls
  The state is the probabilities p(1), ..., p(n) themselves, kept as floating-point numbers that
  sum to 1; the sliders and the p(x) values beside them show them rounded to the sliders' step,
  0.001 (the explorer says so below the sliders). H, the surprises and the chart are computed
  from the unrounded probabilities.
  When slider i changes to v (the value after the browser clamps it to [0, 1] and its step),
  p(i) = v and the others j != i are rescaled in proportion, p(j) <- p(j) (1 - v) / S with
  S = sum_{l != i} p(l), so that they still sum to 1 and a zero stays zero; if S = 0 they share
  1 - v equally. Nothing is rounded, so a distribution that is uniform on the other outcomes
  stays exactly uniform there.
  Changing n (or pressing "uniform") sets p(x) = 1/n exactly, so H(p) = log2 n: the default
  (n = 6) shows H = 2.584963 bits, equal to the maximum (the sliders show 1/6 as 0.167).
  Dragging a bar (pointer events: mouse, pen or touch) sets that outcome's slider to the
  probability at the pointer's height, rounded to the step, and fires the slider's input event,
  so a drag is exactly a slider input.

Contract (book/_ext/explorers.py; tests/browser/test_explorer_entropy.py)
  Fills every <div class="kl-explorer" data-explorer="entropy">, does nothing without one.
  Inputs (type range, visible label, update on "input"):
    n        "number of outcomes", 4..6, step 1, default 6
    p1..pn   "p(1)".."p(n)", 0..1, step 0.001 (only n of them exist); value: p(i) rounded to the step
  Outputs (<output>, text = the number alone, 7 significant digits):
    entropy_bits   H(p) in bits ("0" for a certain outcome)
    max_bits       log2 n in bits
    surprise1..n   -log2 p(i) in bits, "∞" for p(i) = 0
  The SVG (role="img", aria-label) also shows each surprise with 3 decimals above its bar.
  No library, no network.
*/
(function () {
  'use strict';
  var STEPS = 1000;                 // slider step 0.001: slider values are k / 1000
  var NS = 'http://www.w3.org/2000/svg';
  var MINUS = '\u2212', SUB2 = '\u2082', INF = '\u221e';
  // Chart geometry in viewBox units.
  var VW = 360, VH = 352, X0 = 56, X1 = 328, YT = 44, Y0 = 210, PH = Y0 - YT;
  var EY = 278, BITS_TOP = 3;
  var BAR = '#3d85c6', HBAR = '#e07b24', MAXC = '#e3463c';
  var count = 0;

  function make(tag, attrs, parent, text) {
    var e = document.createElement(tag);
    for (var a in attrs) e.setAttribute(a, attrs[a]);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }

  function fmt(x) {
    if (x === Infinity) return INF;
    return x === 0 ? '0' : x.toPrecision(7);
  }

  function build(root) {
    if (root.dataset.klReady) return;
    root.dataset.klReady = '1';
    var id = 'kl-entropy-' + (count++);
    root.textContent = '';

    var top = make('div', {style: 'display: flex; flex-wrap: wrap; align-items: flex-end; gap: 0.5rem 1rem'}, root);
    var nBox = make('div', {style: 'flex: 1 1 12rem'}, top);
    var nLabel = make('label', {'for': id + '-n'}, nBox);
    var nSpan = make('span', {}, nLabel, 'number of outcomes n = ');
    var nShow = make('b', {}, nSpan, '6');
    var nInput = make('input', {type: 'range', name: 'n', id: id + '-n', min: '4', max: '6',
      step: '1', value: '6'}, nBox);
    var uBox = make('div', {}, top);
    var uniform = make('button', {type: 'button', 'class': 'btn btn-sm btn-outline-secondary'}, uBox,
      'uniform');

    var svg = document.createElementNS(NS, 'svg');
    svg.setAttribute('viewBox', '0 0 ' + VW + ' ' + VH);
    svg.setAttribute('role', 'img');
    svg.setAttribute('style', 'max-width: 27rem; margin: 0.75rem auto 0; user-select: none; -webkit-user-select: none');
    root.appendChild(svg);
    var chartG = document.createElementNS(NS, 'g'), hitG = document.createElementNS(NS, 'g');
    svg.appendChild(chartG);
    svg.appendChild(hitG);

    var readout = make('div', {'class': 'kl-readout', 'aria-live': 'polite'}, root);
    var r1 = make('span', {}, readout, 'entropy H(p) = ');
    var hOut = make('output', {name: 'entropy_bits'}, r1);
    r1.appendChild(document.createTextNode(' bits'));
    var r2 = make('span', {}, readout, 'maximum log' + SUB2 + ' n = ');
    var maxOut = make('output', {name: 'max_bits'}, r2);
    r2.appendChild(document.createTextNode(' bits (uniform p)'));

    var grid = make('div', {'class': 'kl-controls', style:
      'grid-template-columns: repeat(auto-fill, minmax(9.5rem, 1fr)); margin-top: 0.75rem'}, root);
    make('p', {style: 'font-size: 0.85rem; margin: 0.5rem 0 0; opacity: 0.85'}, root,
      'Drag a bar or move a slider: the other probabilities are rescaled in proportion so ' +
      'that they still sum to 1. The sliders and the values of p(x) beside them are rounded ' +
      'to 0.001 (1/6 shows as 0.167); the entropy, the surprises and the bars use the ' +
      'unrounded probabilities.');

    // The state: the unrounded probabilities. The sliders only show them (rounded to their step).
    var probs = [], sliders = [], shows = [], surprises = [], drag = -1;

    function setUniform(n) {
      grid.textContent = '';
      sliders = []; shows = []; surprises = [];
      probs = new Array(n).fill(1 / n);
      for (var i = 0; i < n; i++) {
        var box = make('div', {}, grid);
        var label = make('label', {'for': id + '-p' + (i + 1)}, box);
        var span = make('span', {}, label, 'p(' + (i + 1) + ') = ');
        shows.push(make('b', {}, span));
        var input = make('input', {type: 'range', name: 'p' + (i + 1), id: id + '-p' + (i + 1),
          min: '0', max: '1', step: '0.001'}, box);
        input.value = probs[i].toFixed(3);
        input.addEventListener('input', onSlider.bind(null, i));
        sliders.push(input);
        var line = make('span', {style: 'font-size: 0.8rem'}, box, 'surprise ');
        surprises.push(make('output', {name: 'surprise' + (i + 1)}, line));
        line.appendChild(document.createTextNode(' bits'));
      }
      nShow.textContent = String(n);
      hitG.innerHTML = targets(n);
      render();
    }

    function onSlider(i) {
      var v = Number(sliders[i].value), others = 0, j;
      for (j = 0; j < probs.length; j++) if (j !== i) others += probs[j];
      var scale = (1 - v) / others;
      for (j = 0; j < probs.length; j++) {
        if (j === i) continue;
        probs[j] = others > 0 ? probs[j] * scale : (1 - v) / (probs.length - 1);
        sliders[j].value = probs[j].toFixed(3);
      }
      probs[i] = v;
      render();
    }

    function render() {
      var n = probs.length;
      var total = probs.reduce(function (a, b) { return a + b; }, 0);
      var p = probs.map(function (x) { return x / total; });
      var H = 0, s = [];
      p.forEach(function (x) {
        if (x > 0) H -= x * Math.log2(x);
        s.push(x > 0 ? Math.max(0, -Math.log2(x)) : Infinity);
      });
      var hmax = Math.log2(n);
      H = Math.min(hmax, Math.max(0, H));  // true bounds; rounding could step past them by an ulp
      hOut.textContent = fmt(H);
      maxOut.textContent = fmt(hmax);
      for (var i = 0; i < n; i++) {
        shows[i].textContent = p[i].toFixed(3);
        surprises[i].textContent = fmt(s[i]);
      }
      svg.setAttribute('aria-label', 'Bar chart of the probabilities p(x) of ' + n +
        ' outcomes with each outcome\'s surprise ' + MINUS + 'log' + SUB2 + ' p(x) in bits above ' +
        'its bar, and the entropy H(p) = ' + H.toFixed(3) + ' bits as a bar against its maximum log' +
        SUB2 + ' n = ' + hmax.toFixed(3) + ' bits, a dashed line.');
      chartG.innerHTML = chart(n, p, s, H, hmax);
    }

    function chart(n, v, s, H, hmax) {
      var o = [], i;
      function y(q) { return (Y0 - q * PH).toFixed(2); }
      function xb(b) { return (X0 + b / BITS_TOP * (X1 - X0)).toFixed(2); }
      function line(x1, x2, y1, y2, extra) {
        o.push('<line x1="' + x1 + '" x2="' + x2 + '" y1="' + y1 + '" y2="' + y2 + '" ' +
          (extra || 'stroke="currentColor" stroke-opacity="0.8"') + '/>');
      }
      function text(x, yy, str, extra) {
        o.push('<text x="' + x + '" y="' + yy + '" ' + (extra || '') + '>' + str + '</text>');
      }
      o.push('<g fill="currentColor" font-size="14" font-family="inherit">');
      text(X0, 16, 'above each bar: surprise ' + MINUS + 'log' + SUB2 + ' p(x) in bits');
      // Probability panel: axis, grid, bars with their surprise, the uniform level 1/n.
      [0, 0.25, 0.5, 0.75, 1].forEach(function (t) {
        line(X0, X1, y(t), y(t), 'stroke="currentColor" stroke-opacity="' + (t ? 0.15 : 0.8) + '"');
        text(X0 - 5, +y(t) + 5, String(t), 'text-anchor="end" class="kl-axis"');
      });
      line(X0, X0, YT, Y0);
      text(0, 0, 'probability p(x)', 'text-anchor="middle" transform="translate(14 ' +
        (YT + PH / 2) + ') rotate(-90)"');
      text((X0 + X1) / 2, Y0 + 36, 'outcome x', 'text-anchor="middle"');
      var slot = (X1 - X0) / n, bw = slot * 0.62;
      for (i = 0; i < n; i++) {
        var cx = (X0 + slot * (i + 0.5)).toFixed(2);
        o.push('<rect x="' + (cx - bw / 2).toFixed(2) + '" y="' + y(v[i]) + '" width="' +
          bw.toFixed(2) + '" height="' + (v[i] * PH).toFixed(2) + '" fill="' + BAR + '"/>');
        text(cx, (+y(v[i]) - 5).toFixed(2), s[i] === Infinity ? INF : s[i].toFixed(3),
          'text-anchor="middle" font-size="' + (s[i] === Infinity ? 18 : 13) +
          '" class="kl-surprise" data-outcome="' + (i + 1) + '"');
        text(cx, Y0 + 17, String(i + 1), 'text-anchor="middle" class="kl-axis"');
      }
      line(X0, X1 + 2, y(1 / n), y(1 / n), 'stroke="currentColor" stroke-opacity="0.6" stroke-dasharray="3 3"');
      text(X1 + 4, +y(1 / n) + 4, '1/n', 'font-size="12"');
      // Entropy panel: H(p) as a horizontal bar on a bits axis, the maximum log2 n dashed.
      var top = EY, h = 22, end = +xb(H);
      text(X0 - 5, top + 16, 'H(p)', 'text-anchor="end"');
      o.push('<rect x="' + X0 + '" y="' + top + '" width="' + (end - X0).toFixed(2) + '" height="' +
        h + '" fill="' + HBAR + '"/>');
      if (H > 0.9) text((end - 4).toFixed(2), top + 16, H.toFixed(3), 'text-anchor="end" fill="#1b1b1b"');
      else text((end + 4).toFixed(2), top + 16, H.toFixed(3));
      line(X0, X1, top + h + 6, top + h + 6);
      for (var b = 0; b <= BITS_TOP; b++) {
        line(xb(b), xb(b), top + h + 6, top + h + 10);
        text(xb(b), top + h + 24, String(b), 'text-anchor="middle" class="kl-axis"');
      }
      text((X0 + X1) / 2, top + h + 42, 'entropy (bits)', 'text-anchor="middle"');
      line(xb(hmax), xb(hmax), top - 8, top + h + 6,
        'stroke="' + MAXC + '" stroke-width="2.5" stroke-dasharray="5 3"');
      text(xb(hmax), top - 12, 'max log' + SUB2 + ' n', 'text-anchor="middle" font-size="13" fill="' +
        MAXC + '"');
      o.push('</g>');
      return o.join('');
    }

    // Invisible drag targets, one per outcome column, on top of the chart. Drawn only when n
    // changes: a touch whose target left the document would lose its events mid-drag.
    function targets(n) {
      var o = [], slot = (X1 - X0) / n;
      for (var i = 0; i < n; i++) {
        o.push('<rect data-bar="' + i + '" x="' + (X0 + slot * i).toFixed(2) + '" y="' + (YT - 22) +
          '" width="' + slot.toFixed(2) + '" height="' + (PH + 22) + '" fill="none" ' +
          'pointer-events="all" style="cursor: ns-resize; touch-action: none"/>');
      }
      return o.join('');
    }

    function dragTo(e) {
      var pt = svg.createSVGPoint();
      pt.x = e.clientX; pt.y = e.clientY;
      var m = svg.getScreenCTM();
      if (!m || !sliders[drag]) return;
      var yy = pt.matrixTransform(m.inverse()).y;
      var q = Math.min(1, Math.max(0, (Y0 - yy) / PH));
      var val = (Math.round(q * STEPS) / STEPS).toFixed(3);
      if (sliders[drag].value === val) return;
      sliders[drag].value = val;
      sliders[drag].dispatchEvent(new Event('input', {bubbles: true}));
    }

    svg.addEventListener('pointerdown', function (e) {
      var t = e.target.closest && e.target.closest('[data-bar]');
      if (!t || (e.pointerType === 'mouse' && e.button !== 0)) return;
      drag = Number(t.getAttribute('data-bar'));
      try { svg.setPointerCapture(e.pointerId); } catch (err) { /* pointer already gone */ }
      e.preventDefault();
      dragTo(e);
    });
    // A touch that starts on a bar drags it instead of scrolling the page (Chromium ignores
    // touch-action on SVG shapes, so the touch event's default is cancelled instead).
    svg.addEventListener('touchstart', function (e) {
      if (e.target.closest && e.target.closest('[data-bar]')) e.preventDefault();
    }, {passive: false});
    svg.addEventListener('pointermove', function (e) { if (drag >= 0) dragTo(e); });
    function stop(e) {
      if (drag < 0) return;
      drag = -1;
      if (svg.hasPointerCapture(e.pointerId)) svg.releasePointerCapture(e.pointerId);
    }
    svg.addEventListener('pointerup', stop);
    svg.addEventListener('pointercancel', stop);

    nInput.addEventListener('input', function () { setUniform(Number(nInput.value)); });
    uniform.addEventListener('click', function () { setUniform(sliders.length); });
    setUniform(Number(nInput.value));
  }

  function init() {
    var roots = document.querySelectorAll('.kl-explorer[data-explorer="entropy"]');
    for (var i = 0; i < roots.length; i++) build(roots[i]);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
