// The centre's week on a phone shows one day at a time; the day switcher's links (?date=) load that day. With this
// script a tap shows the chosen day at once, without a new page, marks its link and moves the focus to its heading.
// On a wide screen every day is in sight and the switcher is hidden, so there is nothing to do.
(function () {
  var switcher = document.querySelector("[data-day-switcher]");
  if (!switcher) { return; }
  var links = switcher.querySelectorAll("a[data-day]");
  links.forEach(function (link) {
    link.addEventListener("click", function (event) {
      var section = document.getElementById(link.dataset.day);
      if (!section || event.ctrlKey || event.metaKey || event.shiftKey) { return; }
      event.preventDefault();
      links.forEach(function (other) {
        other.removeAttribute("aria-current");
        var day = document.getElementById(other.dataset.day);
        if (day) { day.classList.remove("chosen"); }
      });
      link.setAttribute("aria-current", "true");
      section.classList.add("chosen");
      if (window.history && history.replaceState) { history.replaceState(null, "", link.href); }
      var heading = section.querySelector("h2");
      if (heading) { heading.focus(); }
    });
  });
})();
