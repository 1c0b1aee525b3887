/* Below 992 px (the chapter list) and 1200 px (the page's contents) pydata-sphinx-theme 0.17
   opens the sidebars as dialogs over the page. A tap on a section of the page being read
   scrolled to it but left the dialog open on top of it, so the reader saw no change and had
   to find the backdrop to close it. A tap on a link in such a dialog closes the dialog; the
   browser then follows the link as usual. */
document.addEventListener('click', function (event) {
  var link = event.target instanceof Element && event.target.closest('dialog[open] a[href]');
  if (link) {
    link.closest('dialog').close();
  }
});
