// The booking form: the details of a series show only once "Repeat" is chosen. The form works without this.
document.querySelectorAll("[data-repeat]").forEach(function (fieldset) {
  var form = fieldset.form || fieldset.closest("form");
  function update() {
    var chosen = fieldset.querySelector("input[name=repeat]:checked");
    var repeats = Boolean(chosen && chosen.value);
    form.querySelectorAll("[data-repeat-details]").forEach(function (element) {
      element.hidden = !repeats;
    });
  }
  fieldset.addEventListener("change", update);
  update();
});
