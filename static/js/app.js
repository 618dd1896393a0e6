// Behaviour every page shares. It lives here, not in the HTML, because the
// Content-Security-Policy allows scripts from our own origin only: no inline <script> and no
// on*= attributes (README.md, "Content-Security-Policy").
(function () {
  "use strict";

  // <select data-autosubmit>: choosing an option submits its form (the organization
  // switcher). requestSubmit() fires the form's submit event, as a button would.
  document.addEventListener("change", function (event) {
    const field = event.target.closest("[data-autosubmit]");
    if (field && field.form) field.form.requestSubmit();
  });

  // <button data-busy-on-submit>: Pico's busy spinner once its form really is submitted
  // (not when the browser stops it for a missing required field).
  document.addEventListener("submit", function (event) {
    event.target.querySelectorAll("[data-busy-on-submit]").forEach(function (button) {
      button.setAttribute("aria-busy", "true");
    });
  });
})();
