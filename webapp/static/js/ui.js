// Small behaviours htmx does not cover: modal dialogs that give focus back,
// keyboard tabs, copying a link, and the live connection indicator.

function withRoot(root, selector) {
  // htmx:load hands over the swapped element itself, which querySelectorAll skips.
  const found = Array.from(root.querySelectorAll(selector));
  return root.matches && root.matches(selector) ? [root, ...found] : found;
}

function openDialogs(root) {
  withRoot(root, "dialog[data-open]:not([open])").forEach((dialog) => {
    const opener = document.querySelector(dialog.dataset.opener) || document.activeElement;
    dialog.addEventListener("close", () => {
      dialog.remove();
      // A live push may have replaced the opener meanwhile: find it again.
      const target = document.contains(opener)
        ? opener
        : dialog.dataset.opener && document.querySelector(dialog.dataset.opener);
      if (target) target.focus();
    });
    // Opened once from ?invite=1 (R1.3); a reload must not open it again.
    const url = new URL(window.location.href);
    if (url.searchParams.has("invite")) {
      url.searchParams.delete("invite");
      window.history.replaceState(null, "", url);
    }
    document.querySelectorAll("dialog[open]").forEach((other) => other.close());
    dialog.showModal();
    const first = dialog.querySelector("[autofocus]");
    if (first) first.focus();
  });
}

function wireTabs(root) {
  root.querySelectorAll("[data-tabs]:not([data-wired])").forEach((container) => {
    container.dataset.wired = "1";
    const tabs = Array.from(container.querySelectorAll('[role="tab"]'));
    const select = (tab, focus) => {
      tabs.forEach((other) => {
        const selected = other === tab;
        other.setAttribute("aria-selected", String(selected));
        other.tabIndex = selected ? 0 : -1;
        document.getElementById(other.getAttribute("aria-controls")).hidden = !selected;
      });
      if (focus) tab.focus();
    };
    tabs.forEach((tab, index) => {
      tab.addEventListener("click", () => select(tab, false));
      tab.addEventListener("keydown", (event) => {
        const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
        if (step) {
          event.preventDefault();
          select(tabs[(index + step + tabs.length) % tabs.length], true);
        } else if (event.key === "Home" || event.key === "End") {
          event.preventDefault();
          select(tabs[event.key === "Home" ? 0 : tabs.length - 1], true);
        }
      });
    });
  });
}

async function copyFrom(input, statusElement) {
  input.select();
  try {
    await navigator.clipboard.writeText(input.value);
    if (statusElement) statusElement.textContent = statusElement.dataset.copied;
  } catch {
    // No clipboard permission: the link stays selected for Ctrl+C.
  }
}

function wireResults(root) {
  root.querySelectorAll("input[data-copy-now]").forEach((input) => {
    input.removeAttribute("data-copy-now");
    copyFrom(input, document.querySelector("[data-copy-status]"));
  });
  root.querySelectorAll("a[data-open-once]").forEach((link) => {
    link.removeAttribute("data-open-once");
    link.click();
  });
  withRoot(root, "form[data-auto-submit]").forEach((form) => {
    form.removeAttribute("data-auto-submit");
    form.requestSubmit();
  });
}

document.addEventListener("click", (event) => {
  const closer = event.target.closest("[data-close-dialog]");
  if (closer) closer.closest("dialog")?.close();
  const copier = event.target.closest("[data-copy]");
  if (copier) copyFrom(document.querySelector(copier.dataset.copy), document.querySelector("[data-copy-status]"));
});

// Chatt: a line over the limit is refused before it is sent, in the
// server's own words, and stays in the field to be shortened; the field's
// maxlength used to cut a long paste without a word. Characters are counted
// as the server counts them (an emoji is one). The server checks again.
function chatTooLong(field) {
  return [...field.value.trim()].length > Number(field.dataset.maxChars);
}
function showChatLength(field) {
  const error = document.getElementById("chat-error");
  const tooLong = chatTooLong(field);
  field.setAttribute("aria-invalid", String(tooLong));
  if (!error) return tooLong;
  if (tooLong) {
    error.textContent = field.dataset.tooLong;
    error.dataset.length = "";
  } else if ("length" in error.dataset) {  // only our own error: not the server's
    error.textContent = "";
    delete error.dataset.length;
  }
  return tooLong;
}
document.addEventListener("input", (event) => {
  if (event.target.matches("[data-chat-form] textarea[data-max-chars]")) showChatLength(event.target);
});
document.addEventListener("htmx:wsConfigSend", (event) => {
  const field = event.target.closest("[data-chat-form]")?.querySelector("textarea[data-max-chars]");
  if (field && showChatLength(field)) event.preventDefault();
});

// A sent chat line leaves the field empty for the next one.
document.addEventListener("htmx:wsAfterSend", (event) => {
  const form = event.target.closest("[data-chat-form]");
  if (form) form.reset();
});
document.addEventListener("keydown", (event) => {
  // Enter sends, Shift+Enter breaks the line, as in every chat.
  if (event.key !== "Enter" || event.shiftKey || !event.target.matches("[data-chat-form] textarea")) return;
  event.preventDefault();
  event.target.form.requestSubmit();
});

// Filöverföring: a file over the limit is refused before it is uploaded; a
// new choice clears the last error. The server checks again regardless.
document.addEventListener("change", (event) => {
  const input = event.target.closest("input[type=file][data-max-bytes]");
  if (!input) return;
  const error = document.getElementById(input.getAttribute("aria-describedby"));
  const tooLarge = Array.from(input.files).some((file) => file.size > Number(input.dataset.maxBytes));
  if (error) error.textContent = tooLarge ? input.dataset.tooLarge : "";
  if (tooLarge) input.value = "";
});

// The file's "To" list follows the participants panel, which the socket
// keeps current; the chosen recipient stays chosen while present.
function syncRecipients() {
  const select = document.getElementById("file-recipient");
  const live = document.querySelector("#session-live[data-me]");
  if (!select || !live) return;
  const people = Array.from(document.querySelectorAll("#participants [data-participant-id]"))
    .filter((row) => row.dataset.participantId !== live.dataset.me)
    .map((row) => [row.dataset.participantId, row.querySelector(".participant-name").firstChild.textContent.trim()]);
  const wanted = [["", select.options[0].text], ...people];
  const current = Array.from(select.options, (option) => [option.value, option.text]);
  if (JSON.stringify(wanted) === JSON.stringify(current)) return;
  const chosen = select.value;
  select.replaceChildren(...wanted.map(([value, text]) => new Option(text, value)));
  select.value = people.some(([value]) => value === chosen) ? chosen : "";
}

// The server renders times in the zone this cookie names; a time rendered
// once for many pages (the live panels) comes in UTC and is put right here,
// in the task that swaps it in, before the browser paints.
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
if (zone && !document.cookie.split("; ").includes(`tz=${zone}`)) {
  const secure = window.location.protocol === "https:" ? "; secure" : "";
  document.cookie = `tz=${zone}; path=/; max-age=31536000; samesite=lax${secure}`;
}

function localTimes(root) {
  withRoot(root, "time[datetime]:not([data-zone])").forEach((time) => {
    const when = new Date(time.getAttribute("datetime"));
    if (Number.isNaN(when.getTime())) return;
    // Today's times need no date; an earlier day's would pass for today's.
    // The styles are the ones the server's Babel uses (CLDR "short", "medium").
    const today = when.toDateString() === new Date().toDateString();
    const format = today ? { timeStyle: "short" } : { dateStyle: "medium", timeStyle: "short" };
    time.textContent = when.toLocaleString(document.documentElement.lang, format);
    time.dataset.zone = "";
  });
}

function scrollChat(root) {
  const log = document.getElementById("chat-log");
  if (log && (root === document || root.contains?.(log) || log.contains(root))) log.scrollTop = log.scrollHeight;
}

function setConnection(event, state) {
  const live = event.target.closest("[data-connection]");
  if (live) live.dataset.connection = state;
}
document.addEventListener("htmx:wsOpen", (event) => setConnection(event, "open"));
document.addEventListener("htmx:wsClose", (event) => setConnection(event, "closed"));

// A JSON frame is signalling for media.js, never markup to swap, also on a
// page whose media script did not load (#13 item 2).
document.addEventListener("htmx:wsBeforeMessage", (event) => {
  const message = event.detail.message;
  if (typeof message === "string" && message.startsWith("{")) event.preventDefault();
});

// Every event re-sends the panels; one that did not change is not swapped,
// so an open menu stays open and a focused button keeps its focus.
const STABLE_PANELS = new Set([
  "session-actions", "tools-actions", "media-controls", "participants",
  "session-status", "activities", "multi-tabs", "inbox",
]);
const lastPushed = new Map();
document.addEventListener("htmx:oobBeforeSwap", (event) => {
  const { target, fragment } = event.detail;
  if (!target || !STABLE_PANELS.has(target.id) || !fragment?.firstElementChild) return;
  const html = fragment.firstElementChild.outerHTML;
  if (lastPushed.get(target.id) === html) event.preventDefault();
  else lastPushed.set(target.id, html);
});

// The participants panel is rendered once for everyone; each page marks its own row.
function markMe() {
  const live = document.querySelector("#session-live[data-me]");
  if (!live) return;
  const row = document.querySelector(`#participants [data-participant-id="${live.dataset.me}"]`);
  if (!row || row.classList.contains("is-me")) return;
  row.classList.add("is-me");
  const marker = document.createElement("span");
  marker.className = "me";
  marker.textContent = ` (${live.dataset.you})`;
  row.querySelector(".participant-name")?.append(marker);
}

// A notice in the flash region has said its piece after a few seconds; left on a
// page that lives for hours it turns stale ("X is in control" after the end).
// Errors stay until the next message.
const NOTICE_SHOWN_MS = 8000;
function retireNotices(root) {
  withRoot(root, "#flash .alert:not(.alert-error)").forEach((alert) => setTimeout(() => alert.remove(), NOTICE_SHOWN_MS));
}

// The live regions get one sentence per event appended (webapp/live/announce.py);
// sentences long spoken go, so a page open for hours does not keep them all.
// A removal is not announced.
const SENTENCES_KEPT = 5;
function pruneAnnouncements() {
  document.querySelectorAll("#announcer, #invite-announcer").forEach((region) => {
    while (region.childElementCount > SENTENCES_KEPT) region.firstElementChild.remove();
  });
}

function init(root) {
  markMe();
  pruneAnnouncements();
  retireNotices(root);
  syncRecipients();
  localTimes(root);
  scrollChat(root);
  openDialogs(root);
  wireTabs(root);
  wireResults(root);
}

document.addEventListener("htmx:load", (event) => init(event.detail.elt));
// Out-of-band swaps from the socket do not all raise htmx:load.
document.addEventListener("htmx:wsAfterMessage", () => {
  markMe();
  pruneAnnouncements();
  syncRecipients();
  openDialogs(document);
  localTimes(document.getElementById("chat-log") || document);
  scrollChat(document);
});
if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", () => init(document));
} else {
  init(document);
}
