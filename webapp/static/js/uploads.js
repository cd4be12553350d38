// Filöverföring's progress (#17 item 6): the bar follows htmx's upload
// events; a file that never arrived (the connection was lost) says so and
// offers Försök igen, which sends the same file again. A refusal from the
// server (too large, no room) comes back as the panel with its reason.
const formOf = (event) => event.target.closest?.(".file-form");

function parts(form) {
  return {
    bar: form.querySelector(".upload-progress"),
    retry: form.querySelector("[data-retry-upload]"),
    error: form.querySelector("#file-error"),
  };
}

document.addEventListener("htmx:beforeRequest", (event) => {
  const form = formOf(event);
  if (!form) return;
  const { bar, retry, error } = parts(form);
  bar.value = 0;
  bar.hidden = false;
  retry.hidden = true;
  error.textContent = "";
});

document.addEventListener("htmx:xhr:progress", (event) => {
  const form = formOf(event);
  if (!form || !event.detail.lengthComputable) return;
  parts(form).bar.value = Math.round((100 * event.detail.loaded) / event.detail.total);
});

document.addEventListener("htmx:sendError", (event) => {
  const form = formOf(event);
  if (!form) return;
  const { bar, retry, error } = parts(form);
  bar.hidden = true;
  error.textContent = bar.dataset.lost;
  retry.hidden = false;
});

document.addEventListener("click", (event) => {
  const retry = event.target.closest("[data-retry-upload]");
  if (retry) retry.closest("form").requestSubmit();
});
