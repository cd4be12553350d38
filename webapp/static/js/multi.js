// Flersessionsfönster (R3.4): a frame per session tab, all kept loaded so
// every session's page holds its socket (and the rep's presence) while
// hidden. The tab strip is pushed over the rep's socket; the choice of tab
// lives here. Choosing a tab helps that session's customer (R3.4).
import { countInTitle } from "./alerts.js";
import { post } from "./http.js";

const strip = () => document.getElementById("multi-tabs");
const panels = document.getElementById("multi-panels");
let selected = Number(panels.dataset.selected) || null;
const inviteFor = Number(panels.dataset.inviteFor) || null;

function tabs() {
  return Array.from(strip().querySelectorAll('[role="tab"]'));
}

function ensureFrames() {
  tabs().forEach((tab) => {
    const id = Number(tab.dataset.sessionId);
    if (document.getElementById(`panel-s${id}`)) return;
    // An iframe may not be a tabpanel itself (ARIA in HTML): it sits in one.
    const panel = document.createElement("div");
    panel.id = `panel-s${id}`;
    panel.className = "multi-panel";
    panel.setAttribute("role", "tabpanel");
    panel.setAttribute("aria-labelledby", tab.id);
    panel.hidden = true;
    const frame = document.createElement("iframe");
    frame.className = "multi-frame";
    frame.allow = "camera; microphone; display-capture; autoplay";
    frame.src = tab.dataset.src + (id === inviteFor ? "&invite=1" : "");
    panel.append(frame);
    panels.append(panel);
  });
  Array.from(panels.querySelectorAll(".multi-panel")).forEach((panel) => {
    if (!document.getElementById(panel.getAttribute("aria-labelledby"))) panel.remove();
  });
}

function show() {
  const all = tabs();
  if (!all.some((tab) => Number(tab.dataset.sessionId) === selected)) {
    selected = all.length ? Number(all[0].dataset.sessionId) : null;
  }
  all.forEach((tab) => {
    const on = Number(tab.dataset.sessionId) === selected;
    tab.setAttribute("aria-selected", String(on));
    tab.tabIndex = on ? 0 : -1;
    const panel = document.getElementById(`panel-s${tab.dataset.sessionId}`);
    if (!panel) return;
    panel.hidden = !on;
    // The frame's name follows its tab's: "Waiting for a customer", then the customer.
    panel.firstElementChild.title = tab.querySelector(".tab-name").textContent;
  });
}

// Chat lines the rep has not seen, per session: a frame tells of its new
// lines (alerts.js); a tab that is not showing, or a window in the
// background, marks them on the tab and in the title until it is looked at.
const unread = new Map();

function markUnread() {
  tabs().forEach((tab) => {
    const count = unread.get(Number(tab.dataset.sessionId)) || 0;
    let badge = tab.querySelector(".unread");
    if (!count) return badge?.remove();
    if (!badge) {
      badge = document.createElement("span");
      badge.className = "unread";
      tab.append(badge);
    }
    // The number for the eye, the words for a screen reader.
    const shown = document.createElement("span");
    shown.setAttribute("aria-hidden", "true");
    shown.textContent = String(count);
    const said = document.createElement("span");
    said.className = "visually-hidden";
    said.textContent = count === 1 ? panels.dataset.unreadOne : panels.dataset.unreadMany.replace("{count}", count);
    badge.replaceChildren(shown, said);
  });
  countInTitle(Array.from(unread.values()).reduce((sum, count) => sum + count, 0));
}

function seen(id) {
  if (!unread.delete(id)) return;
  markUnread();
}

window.addEventListener("message", (event) => {
  if (event.origin !== window.location.origin || !Number.isInteger(event.data?.unread)) return;
  const panel = Array.from(panels.querySelectorAll(".multi-panel"))
    .find((candidate) => candidate.firstElementChild?.contentWindow === event.source);
  if (!panel) return;
  const id = Number(panel.id.replace("panel-s", ""));
  if (id === selected && !document.hidden) return;
  unread.set(id, (unread.get(id) || 0) + event.data.unread);
  markUnread();
});
document.addEventListener("visibilitychange", () => {
  if (!document.hidden) seen(selected);
});

function sync() {
  ensureFrames();
  show();
  markUnread();
}

function choose(tab, focus) {
  selected = Number(tab.dataset.sessionId);
  show();
  seen(selected);
  if (focus) tab.focus();
  const url = new URL(window.location.href);
  url.searchParams.set("tab", selected);
  url.searchParams.delete("invite");
  window.history.replaceState(null, "", url);
  if (tab.dataset.helpUrl) post(tab.dataset.helpUrl);
}

document.addEventListener("click", (event) => {
  const tab = event.target.closest('#multi-tabs [role="tab"]');
  if (tab) choose(tab, false);
});
document.addEventListener("keydown", (event) => {
  const tab = event.target.closest?.('#multi-tabs [role="tab"]');
  const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
  if (!tab || !step) return;
  event.preventDefault();
  const all = tabs();
  choose(all[(all.indexOf(tab) + step + all.length) % all.length], true);
});
document.addEventListener("htmx:wsAfterMessage", sync);
sync();
