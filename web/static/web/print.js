// The print page's "Print" button: shown only where this runs (the browser's own Print works without it).
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
});
