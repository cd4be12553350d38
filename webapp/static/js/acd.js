// WebACD pages (R6): the personal message's live counter, which tab of the
// transfer dialog is sent, and how long offered sessions have waited.
// Listeners sit on the document, so dialogs and panels that htmx or the
// socket swap in later need nothing of their own.

const MINUTE = 60_000;

document.addEventListener("input", (event) => {
  const field = event.target.closest("textarea[data-counted]");
  if (!field) return;
  const counter = document.getElementById(field.getAttribute("aria-describedby").split(" ")[0]);
  // Code points, as the server counts them (an emoji is one character).
  const count = [...field.value].length;
  counter.querySelector("[data-count]").textContent = String(count);
  counter.classList.toggle("over", count > Number(field.dataset.counted));
});

// The form sends the tab that is showing: Köer or Agenter (R6.2). Capture
// runs before htmx reads the form.
document.addEventListener("submit", (event) => {
  const form = event.target.closest("[data-transfer-form]");
  if (!form) return;
  const tab = form.querySelector('[role="tab"][aria-selected="true"][data-target]');
  if (tab) form.querySelector("[data-transfer-target]").value = tab.dataset.target;
}, true);

function showWaited() {
  document.querySelectorAll("[data-waited-since]").forEach((element) => {
    const since = new Date(element.dataset.waitedSince).getTime();
    if (Number.isNaN(since)) return;
    const minutes = Math.max(0, Math.floor((Date.now() - since) / MINUTE));
    element.textContent = `${minutes} ${element.dataset.unit}`;
  });
}
if (!window.acdWaitedTimer) window.acdWaitedTimer = setInterval(showWaited, 15_000);
document.addEventListener("htmx:wsAfterMessage", showWaited);
