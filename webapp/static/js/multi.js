// Flersessionsfönster (R3.4): a frame per session tab, all kept loaded so
// every session's page holds its socket (and the rep's presence) while
// hidden. The tab strip is pushed over the rep's socket; the choice of tab
// lives here. Choosing a tab helps that session's customer (R3.4).
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
    const frame = document.createElement("iframe");
    frame.id = `panel-s${id}`;
    frame.className = "multi-frame";
    frame.setAttribute("role", "tabpanel");
    frame.setAttribute("aria-labelledby", tab.id);
    frame.title = tab.querySelector(".tab-name").textContent;
    frame.allow = "camera; microphone; display-capture; autoplay";
    frame.src = tab.dataset.src + (id === inviteFor ? "&invite=1" : "");
    frame.hidden = true;
    panels.append(frame);
  });
  Array.from(panels.querySelectorAll("iframe")).forEach((frame) => {
    if (!document.getElementById(frame.getAttribute("aria-labelledby"))) frame.remove();
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
    const frame = document.getElementById(`panel-s${tab.dataset.sessionId}`);
    if (frame) frame.hidden = !on;
  });
}

function sync() {
  ensureFrames();
  show();
}

function choose(tab, focus) {
  selected = Number(tab.dataset.sessionId);
  show();
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
