// The site's menu on a phone: a "Menu" button (aria-expanded) shows and hides it, so that the header does not take a
// third of the screen. Without this script the button stays hidden and the menu is always in sight; on a wide screen
// the CSS hides the button and shows the menu.
(function () {
  var button = document.querySelector("[data-menu-toggle]");
  var header = document.querySelector(".site-header");
  if (!button || !header) { return; }
  function show(open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    header.classList.toggle("menu-open", open);
  }
  button.hidden = false;
  header.classList.add("has-menu-toggle");
  show(false);
  button.addEventListener("click", function () { show(button.getAttribute("aria-expanded") !== "true"); });
})();
