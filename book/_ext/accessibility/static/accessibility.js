/* Keyboard and screen-reader fixes to the theme's pages (book/_ext/accessibility.py says why). */
(function () {
  'use strict';

  // The colour mode button says which mode is on: its icons are decorative.
  var MODE_NAMES = {light: 'Light', dark: 'Dark', auto: 'System Settings'};

  function nameColourModeButtons() {
    var mode = document.documentElement.dataset.mode;
    var name = 'Color mode: ' + (MODE_NAMES[mode] || mode);
    document.querySelectorAll('.theme-switch-button').forEach(function (button) {
      button.setAttribute('aria-label', name);
    });
  }

  // A display formula wider than its column scrolls sideways; the keyboard can only scroll what
  // it can focus. Formulas that fit stay out of the tab order (MathJax's inTabOrder is off), and
  // a tab index MathJax set itself (its explorer, when the reader turns it on) is left alone.
  var MARK = 'data-scroll-stop';

  function letKeyboardScrollWideFormulas(formulas) {
    (formulas || document.querySelectorAll('mjx-container')).forEach(function (formula) {
      var scrolls = /auto|scroll/.test(getComputedStyle(formula).overflowX) &&
        formula.scrollWidth > formula.clientWidth + 1;
      if (scrolls && !formula.hasAttribute('tabindex')) {
        formula.setAttribute('tabindex', '0');
        formula.setAttribute(MARK, '');
      } else if (!scrolls && formula.hasAttribute(MARK)) {
        formula.removeAttribute('tabindex');
        formula.removeAttribute(MARK);
      }
    });
  }

  var pending = null;
  function afterResize() {
    clearTimeout(pending);
    pending = setTimeout(function () { letKeyboardScrollWideFormulas(); }, 200);
  }

  function start() {
    nameColourModeButtons();
    new MutationObserver(nameColourModeButtons).observe(
      document.documentElement, {attributes: true, attributeFilter: ['data-mode']});
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
      MathJax.startup.promise.then(function () { letKeyboardScrollWideFormulas(); });
      window.addEventListener('resize', afterResize);
      // Opening a solution or a folded cell shows formulas that had no width while hidden.
      document.addEventListener('toggle', afterResize, true);
      document.addEventListener('click', afterResize, true);
      // Formulas are typeset lazily, as they come into view (_config.yml): each batch is
      // checked as soon as it is in the page (only the new formulas, so scrolling stays cheap).
      new MutationObserver(function (changes) {
        var typeset = [];
        changes.forEach(function (change) {
          Array.prototype.forEach.call(change.addedNodes, function (node) {
            if (node.nodeType !== 1) return;
            var formula = node.closest('mjx-container');
            if (formula) typeset.push(formula);
            Array.prototype.push.apply(typeset, node.querySelectorAll('mjx-container'));
          });
        });
        if (typeset.length) {
          letKeyboardScrollWideFormulas(typeset);
        }
      }).observe(document.body, {childList: true, subtree: true});
    }
  }

  // After 'load' MathJax (loaded async) has defined its start-up promise.
  if (document.readyState === 'complete') {
    start();
  } else {
    window.addEventListener('load', start);
  }
})();
