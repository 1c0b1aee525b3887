/* Search results quote the page around the word found. Sphinx's searchtools.js takes that text
   from the page's HTML before MathJax has run, so every snippet showed formulas as raw TeX
   ("... of \(p\) and \(q\) is \(\sum_x p(x) \log \frac{p(x)}{q(x)}\) ..."). Before Sphinx cuts
   its snippet, each formula of the fetched page is replaced by a plain-text reading of it
   ("... of p and q is Σ_x p(x) log p(x)/q(x) ..."). On pages without Sphinx's search this does
   nothing. */
(function () {
  'use strict';

  var SYMBOLS = {
    alpha: 'α', beta: 'β', gamma: 'γ', delta: 'δ', epsilon: 'ε', varepsilon: 'ε', zeta: 'ζ',
    eta: 'η', theta: 'θ', vartheta: 'ϑ', iota: 'ι', kappa: 'κ', lambda: 'λ', mu: 'μ', nu: 'ν',
    xi: 'ξ', pi: 'π', rho: 'ρ', sigma: 'σ', tau: 'τ', upsilon: 'υ', phi: 'φ', varphi: 'φ',
    chi: 'χ', psi: 'ψ', omega: 'ω', Gamma: 'Γ', Delta: 'Δ', Theta: 'Θ', Lambda: 'Λ', Xi: 'Ξ',
    Pi: 'Π', Sigma: 'Σ', Phi: 'Φ', Psi: 'Ψ', Omega: 'Ω',
    sum: 'Σ', prod: 'Π', int: '∫', infty: '∞', partial: '∂', nabla: '∇', sqrt: '√',
    le: '≤', leq: '≤', ge: '≥', geq: '≥', neq: '≠', ne: '≠', approx: '≈', sim: '~',
    equiv: '≡', propto: '∝', ll: '≪', gg: '≫', to: '→', rightarrow: '→', mapsto: '↦',
    Rightarrow: '⇒', implies: '⇒', iff: '⇔', leftarrow: '←', in: '∈', notin: '∉',
    subset: '⊂', subseteq: '⊆', cup: '∪', cap: '∩', times: '×', cdot: '·', pm: '±',
    mid: '|', vert: '|', Vert: '‖', lVert: '‖', rVert: '‖', lvert: '|', rvert: '|',
    langle: '⟨', rangle: '⟩', ldots: '…', cdots: '…', dots: '…', forall: '∀', exists: '∃',
    emptyset: '∅', top: '⊤', star: '*', ast: '*', circ: '∘', prime: '′',
  };
  // Commands that only style or size what follows; their argument (if any) is kept.
  var DROPPED = /^(left|right|[bB]igg?[lr]?|middle|mathrm|mathit|mathbf|mathbb|mathcal|mathsf|mathtt|operatorname|text|textrm|textit|textbf|boldsymbol|bm|displaystyle|textstyle|scriptstyle|limits|nolimits|mathop|mathbin|mathrel|overline|underline|hat|bar|tilde|widehat|widetilde|vec|dot|ddot|mathbbm|begin|end|label|tag|nonumber|notag)$/;

  // The argument in braces at text[start] (or the single character there) and where it ends.
  function argument(text, start) {
    while (text[start] === ' ') start++;
    if (text[start] !== '{') return [text.charAt(start), start + 1];
    var depth = 0;
    for (var i = start; i < text.length; i++) {
      if (text[i] === '{') depth++;
      else if (text[i] === '}' && --depth === 0) return [text.slice(start + 1, i), i + 1];
    }
    return [text.slice(start + 1), text.length];
  }

  function readTex(tex) {
    var out = '';
    for (var i = 0; i < tex.length;) {
      var ch = tex[i];
      if (ch === '\\') {
        var name = /^[A-Za-z]+/.exec(tex.slice(i + 1));
        if (!name) {  // \, \; \! \| \\ \{ \} and friends
          var next = tex.charAt(i + 1);
          out += {'|': '‖', '\\': '; ', '{': '{', '}': '}', '%': '%', '&': '&', '_': '_'}[next] ||
            (next === '!' ? '' : ' ');
          i += 2;
          continue;
        }
        var command = name[0];
        i += 1 + command.length;
        if (command === 'frac' || command === 'dfrac' || command === 'tfrac') {
          var numerator = argument(tex, i);
          var denominator = argument(tex, numerator[1]);
          out += '(' + readTex(numerator[0]) + ')/(' + readTex(denominator[0]) + ')';
          i = denominator[1];
        } else if (command === 'begin' || command === 'end') {
          i = argument(tex, i)[1];  // the environment's name
        } else if (command === 'quad' || command === 'qquad') {
          out += ' ';
        } else if (SYMBOLS.hasOwnProperty(command)) {
          out += SYMBOLS[command];
        } else if (!DROPPED.test(command)) {
          out += command;  // log, exp, max, KL, ...
        }
      } else if (ch === '{' || ch === '}') {
        i++;
      } else if (ch === '&') {
        out += ' ';
        i++;
      } else {
        out += ch;
        i++;
      }
    }
    // "(p)/(q)" reads better as "p/q" when each side is a single token.
    return out.replace(/\(([^()\s]+)\)\/\(([^()\s]+)\)/g, '$1/$2').replace(/\s+/g, ' ');
  }

  var DELIMITERS = /^\s*(\\\(|\\\[|\$\$?)|(\\\)|\\\]|\$\$?)\s*$/g;

  function install() {
    // searchtools.js declares Search with const: a global binding, but not a property of window.
    if (typeof Search === 'undefined' || typeof Search.htmlToText !== 'function' ||
        Search.klReadsMath) {
      return;
    }
    var htmlToText = Search.htmlToText;
    Search.htmlToText = function (htmlString, anchor) {
      var page = new DOMParser().parseFromString(htmlString, 'text/html');
      page.querySelectorAll('.math').forEach(function (formula) {
        var text = readTex(formula.textContent.replace(DELIMITERS, '')).trim();
        // A display formula is a block of its own: keep it apart from the text around it.
        formula.textContent = formula.tagName === 'DIV' ? ' ' + text + ' ' : text;
      });
      return htmlToText(page.documentElement.outerHTML, anchor);
    };
    Search.klReadsMath = true;
  }

  window.klReadTex = readTex;  // for the browser tests
  install();
  document.addEventListener('DOMContentLoaded', install);
})();
