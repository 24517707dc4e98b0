// Move focus to a form's error summary where a browser ignored its autofocus attribute
// (templates/_form.html); the page works without this script.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector("[data-error-summary]");
  if (summary && document.activeElement !== summary) {
    summary.focus();
  }
});
