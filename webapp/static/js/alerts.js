// Aviseringar (#17 item 1). An agent keeps Supportcenter in a background tab
// all day: a new offer in Inkommande sessioner plays a short tone (unless
// muted, a choice this browser keeps), shows a browser notification while
// the tab is hidden (permission is asked only when the agent asks for it),
// and counts in the tab title; so does a chat line the viewer has not seen.
// Strings come from the page (data-*), which has them from the catalogs.

const MUTED_KEY = "supportcenter-muted";
const baseTitle = document.title;
let audio = null;

export function countInTitle(count) {
  document.title = count > 0 ? `(${count}) ${baseTitle}` : baseTitle;
}

export function tone() {
  if (localStorage.getItem(MUTED_KEY) === "1" || !audio) return;
  if (audio.state === "suspended") audio.resume();
  const now = audio.currentTime;
  // Two soft notes, falling: noticed, not alarming.
  [[880, 0], [660, 0.18]].forEach(([frequency, offset]) => {
    const oscillator = audio.createOscillator();
    const gain = audio.createGain();
    oscillator.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, now + offset);
    gain.gain.exponentialRampToValueAtTime(0.2, now + offset + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + offset + 0.16);
    oscillator.connect(gain).connect(audio.destination);
    oscillator.start(now + offset);
    oscillator.stop(now + offset + 0.17);
  });
}

function notify(title, body) {
  if (!document.hidden || !("Notification" in window) || Notification.permission !== "granted") return;
  const shown = new Notification(title, { body, tag: "supportcenter" });
  shown.onclick = () => {
    window.focus();
    shown.close();
  };
}

// --- Inkommande sessioner ---------------------------------------------------
const settings = document.querySelector("[data-alert-settings]");

function showSettings() {
  if (!settings) return;
  const muted = localStorage.getItem(MUTED_KEY) === "1";
  settings.querySelector("[data-mute]").setAttribute("aria-pressed", String(muted));
  const permission = "Notification" in window ? Notification.permission : "denied";
  settings.querySelector("[data-enable-notifications]").hidden = permission !== "default";
  settings.querySelectorAll("[data-permission]").forEach((note) => {
    note.hidden = note.dataset.permission !== permission;
  });
}

let offersSeen = null; // offer ids already announced; null before the first look
function followOffers() {
  const ids = Array.from(document.querySelectorAll("#inbox [data-offer-id]"), (offer) => offer.dataset.offerId);
  countInTitle(ids.length);
  const fresh = offersSeen === null ? [] : ids.filter((id) => !offersSeen.has(id));
  offersSeen = new Set(ids);
  if (!fresh.length) return;
  tone();
  const who = document.querySelector(`#inbox [data-offer-id="${fresh[0]}"] .offer-who`);
  notify(settings.dataset.offerTitle, who ? who.textContent.trim() : "");
}

if (settings) {
  // Browsers start sound only after the page was used once: the first click
  // anywhere (the availability switch, the notifications button) allows it.
  document.addEventListener("click", () => {
    if (!audio && window.AudioContext) audio = new AudioContext();
  }, { once: true, capture: true });
  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-enable-notifications]")) {
      Notification.requestPermission().then(showSettings);
    } else if (event.target.closest("[data-mute]")) {
      localStorage.setItem(MUTED_KEY, localStorage.getItem(MUTED_KEY) === "1" ? "0" : "1");
      showSettings();
    }
  });
  document.addEventListener("htmx:wsAfterMessage", followOffers);
  document.addEventListener("htmx:afterSwap", followOffers);
  showSettings();
  followOffers();
}

// --- Chat lines not seen ------------------------------------------------------
// A session page counts lines from others while its tab is hidden; inside the
// Flersessionsfönster it tells the window, which knows which tab is showing.
const live = document.querySelector("#session-live[data-me]");
if (live) {
  const embedded = window.parent !== window;
  let linesSeen = null;
  let unread = 0;
  const othersLines = () => Array.from(document.querySelectorAll("#chat-log .chat-line"))
    .filter((line) => line.dataset.author !== live.dataset.me)
    .map((line) => line.id);
  const followChat = () => {
    const ids = othersLines();
    const fresh = linesSeen === null ? [] : ids.filter((id) => !linesSeen.has(id));
    linesSeen = new Set(ids);
    if (!fresh.length) return;
    if (embedded) {
      window.parent.postMessage({ unread: fresh.length }, window.location.origin);
    } else if (document.hidden) {
      unread += fresh.length;
      countInTitle(unread);
    }
  };
  document.addEventListener("visibilitychange", () => {
    if (document.hidden || embedded) return;
    unread = 0;
    countInTitle(0);
  });
  document.addEventListener("htmx:wsAfterMessage", followChat);
  followChat();
}
