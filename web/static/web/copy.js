// "Copy" buttons beside read-only addresses: the button names its input (data-copy) and, once copied, the text of
// data-copied is read out in the status element (data-copy-status). Without this the buttons stay hidden and the
// address can be selected and copied by hand.
document.querySelectorAll("button[data-copy]").forEach(function (button) {
  var input = document.getElementById(button.dataset.copy);
  var status = document.getElementById(button.dataset.copyStatus);
  if (!input) { return; }
  function copied() { if (status) { status.textContent = button.dataset.copied; } }
  button.hidden = false;
  button.addEventListener("click", function () {
    input.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(copied, function () {
        if (document.execCommand("copy")) { copied(); }
      });
    } else if (document.execCommand("copy")) {
      copied();
    }
  });
});
