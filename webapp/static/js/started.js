// The activities this tab started, kept across its reloads (sessionStorage
// is per tab), so a reloaded page ends what died with the old one and leaves
// another tab's alone.
const STARTED_KEY = `supportcenter-started-${document.getElementById("media")?.dataset.session}`;

export function startedHere() {
  try {
    return new Set(JSON.parse(sessionStorage.getItem(STARTED_KEY) || "[]"));
  } catch {
    return new Set();
  }
}

export function rememberStarted(ids) {
  try {
    sessionStorage.setItem(STARTED_KEY, JSON.stringify(Array.from(ids)));
  } catch {
    // Storage refused (private mode): a reload then leaves its activity to presence.
  }
}

export function noteStarted(activityId) {
  rememberStarted(new Set([...startedHere(), activityId]));
}

