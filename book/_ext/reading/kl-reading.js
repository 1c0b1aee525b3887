/* The scroll cue of kl-reading.css hides its shadows under "covers" that must have the colour
   behind the formula. That colour is not always a theme variable: sphinx-proof tints its boxes
   (theorems, lemmas, definitions, ...) with translucent colours over the page, so a fixed cover
   colour drew a white band (dark mode: grey) across every equation in a theorem. Each display
   formula gets, as --kl-math-cover, the colour its box really shows: the backgrounds of its
   ancestors composited over each other, recomputed when the colour mode changes. */
(function () {
  'use strict';

  // [red, green, blue] in 0-255 and alpha in 0-1, from a computed colour (rgb(), rgba() or the
  // color(srgb ...) that color-mix() computes to); null for anything else.
  function parseColour(text) {
    var match = /^rgba?\(([^)]*)\)$/.exec(text);
    var scale = 1;
    if (!match) {
      match = /^color\(srgb ([^)]*)\)$/.exec(text);
      scale = 255;
    }
    if (!match) {
      return null;
    }
    var parts = match[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
    return {
      rgb: [parts[0] * scale, parts[1] * scale, parts[2] * scale],
      alpha: parts.length > 3 ? parts[3] : 1,
    };
  }

  function colourBehind(element) {
    var layers = [];
    for (var node = element; node && node.nodeType === 1; node = node.parentElement) {
      var colour = parseColour(getComputedStyle(node).backgroundColor);
      if (colour && colour.alpha > 0) {
        layers.push(colour);
        if (colour.alpha >= 1) {
          break;
        }
      }
    }
    var rgb = [255, 255, 255];  // the browser's canvas, under a page with no background
    layers.reverse().forEach(function (layer) {
      rgb = rgb.map(function (under, i) {
        return layer.alpha * layer.rgb[i] + (1 - layer.alpha) * under;
      });
    });
    return 'rgb(' + rgb.map(Math.round).join(', ') + ')';
  }

  function matchCoversToBoxes() {
    document.querySelectorAll('div.math').forEach(function (formula) {
      formula.style.setProperty('--kl-math-cover', colourBehind(formula));
    });
  }

  matchCoversToBoxes();
  new MutationObserver(matchCoversToBoxes).observe(
    document.documentElement, {attributes: true, attributeFilter: ['data-theme']});
})();
