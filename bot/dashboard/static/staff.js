// The dashboard works without JavaScript; this only wires the print button of the weekly report.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll(".print-button").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
});
