// The card form: Stripe Elements collects the card, a SetupIntent saves it with Stripe, and
// only the resulting payment method id is posted to our server.
(function () {
  "use strict";
  const form = document.getElementById("subscribe-form");
  if (!form || typeof Stripe === "undefined") return;
  const stripe = Stripe(form.dataset.publishableKey);
  const card = stripe.elements().create("card");
  card.mount("#card-element");
  const errorBox = form.querySelector(".card-error");
  const button = form.querySelector("button[type=submit]");
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;

  function fail(message) {
    errorBox.textContent = message || "The card could not be saved.";
    errorBox.hidden = false;
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }

  form.addEventListener("submit", async function (event) {
    if (form.elements.payment_method.value) return; // already confirmed: let it post
    event.preventDefault();
    errorBox.hidden = true;
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    let secret;
    try {
      const response = await fetch(form.dataset.setupUrl, {
        method: "POST",
        headers: { "X-CSRFToken": csrf },
        credentials: "same-origin",
      });
      const body = await response.json();
      if (!response.ok) return fail(body.error);
      secret = body.client_secret;
    } catch (err) {
      return fail("The server could not be reached. Try again.");
    }
    const result = await stripe.confirmCardSetup(secret, { payment_method: { card: card } });
    if (result.error) return fail(result.error.message);
    form.elements.payment_method.value = result.setupIntent.payment_method;
    form.submit();
  });
})();
