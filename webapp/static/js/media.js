// Sharing, video and voice (R7, R3.3). Each page keeps one RTCPeerConnection
// per other connected page of the session and sends its screen, window,
// camera or microphone on all of them, so everyone sees every share. Offers,
// answers and ICE candidates travel over the session socket
// (webapp/live/signals.py). The server keeps the activity rows; the
// activities panel it pushes is the truth about what runs, so a share the
// server ended (a transfer of control, R5.4) stops here too.
import { Peer } from "./peer.js";
import { Stage } from "./stage.js";
import { Pointer } from "./pointer.js";
import { Recorder } from "./recorder.js";
import { post } from "./http.js";
import { noteStarted, rememberStarted, startedHere } from "./started.js";

const section = document.getElementById("media");
const live = document.getElementById("session-live");

const RESTART_PAUSE_MS = 3000;
const STATUS_SHOWN_MS = 8000;
const FOLLOW_EVERY_MS = 2000;

const CAPTURE = {
  desktop_sharing: () => navigator.mediaDevices.getDisplayMedia({ video: { displaySurface: "monitor" }, audio: false }),
  application_sharing: () => navigator.mediaDevices.getDisplayMedia({ video: { displaySurface: "window" }, audio: false }),
  video: () => navigator.mediaDevices.getUserMedia({ video: true, audio: false }),
  voice: () => navigator.mediaDevices.getUserMedia({ audio: true, video: false }),
};

// A peer is one other page: a participant can have several open (two tabs),
// so pages are told apart by an id of their own, made at load.
const keyOf = (id, page) => `${id}/${page}`;

class Media {
  constructor() {
    this.me = Number(live.dataset.me);
    this.page = Math.random().toString(36).slice(2, 14);
    this.text = section.dataset;
    this.iceServers = JSON.parse(section.dataset.iceServers || "[]");
    // "relay" only to prove a TURN server works (ICE_TRANSPORT_POLICY).
    this.iceTransportPolicy = section.dataset.iceTransportPolicy || "all";
    this.socket = null;
    this.local = new Map(); // kind -> {activityId, stream}
    this.starting = new Set(); // kinds asked for and not answered yet
    this.orphansEnded = new Set(); // activity ids this page already ended
    this.peers = new Map(); // "participant/page" -> Peer
    this.restarted = new Map(); // "participant/page" -> when its connection was last rebuilt
    this.unconnected = new Map(); // "participant/page" -> since when it has tried to connect
    this.listed = new Set(); // participant ids the participants panel has shown
    this.stage = new Stage(document.getElementById("media-stage"), this.me, JSON.parse(section.dataset.kindNames));
    this.recorder = new Recorder({
      text: this.text,
      say: (message) => this.say(message),
      status: (message) => this.status(message),
      changed: () => this.syncButtons(),
      recordable: () => this.stage.recordable(),
      audioTracks: () => this.stage.audioTracks(),
      showing: (key) => this.stage.has(key),
      consent: () => document.querySelector("[data-consent]")?.dataset.consent,
      markConsent: (state) => {
        const panel = document.querySelector("[data-consent]");
        if (panel) panel.dataset.consent = state;
      },
      consentUrl: section.dataset.consentUrl,
      activitiesUrl: section.dataset.activitiesUrl,
      recordingsUrl: section.dataset.recordingsUrl,
    });
    this.pointer = new Pointer({
      mayPoint: () => document.querySelector("#media-controls[data-may-point]") !== null,
      send: (point) => this.signal("all", null, { point }),
    });
  }

  // --- the socket -------------------------------------------------------
  connected(socket) {
    this.socket = socket;
    // After a reconnect the other pages drop what they had with this one;
    // every page that hears the hello answers with a welcome.
    this.peers.forEach((peer) => peer.close());
    this.peers.clear();
    this.stage.clearRemote();
    this.signal("all", null, { hello: true });
    this.reportMicrophone();
  }

  signal(to, toPage, signal) {
    const message = { to, page: this.page, signal };
    if (toPage) message.to_page = toPage;
    this.socket?.send(JSON.stringify(message));
  }

  async received({ from, from_page: page, to_page: toPage, signal }) {
    if (toPage && toPage !== this.page) return; // for this participant's other page
    if (from === this.me && page === this.page) return; // its own hello, back
    const key = keyOf(from, page);
    if (signal.hello) {
      this.drop(key); // that page is new: what was sent to the old one is gone
      this.signal(from, page, { welcome: true });
      this.sendAllTo(from, page);
      return;
    }
    if (signal.welcome) {
      this.sendAllTo(from, page);
      return;
    }
    if (signal.streams) {
      this.stage.learn(key, signal.streams);
      return;
    }
    if (signal.point) {
      this.pointer.show(signal.point);
      return;
    }
    await this.peer(from, page).receive(signal);
  }

  async reportMicrophone() {
    const devices = await navigator.mediaDevices?.enumerateDevices?.().catch(() => []) || [];
    this.socket?.send(JSON.stringify({ microphone: devices.some((device) => device.kind === "audioinput") }));
  }

  // --- peers ------------------------------------------------------------
  peer(id, page) {
    const key = keyOf(id, page);
    if (!this.peers.has(key)) {
      // Exactly one side of each pair is polite: the higher participant id,
      // or between two tabs of one participant, the higher page id.
      const polite = id === this.me ? this.page > page : this.me > id;
      const peer = new Peer(polite, { iceServers: this.iceServers, iceTransportPolicy: this.iceTransportPolicy }, {
        signal: (signal) => this.signal(id, page, signal),
        connected: () => {
          this.unconnected.delete(key);
          if (this.failedWith === id) this.say("");
        },
        track: (track, stream) => {
          this.stage.showRemote(key, id, track, stream, this.nameOf(id));
          this.follow(); // a tile the panel already lists is marked seen now
        },
        failed: () => {
          // In words, not a blank tile: who, and what to try (#14).
          this.failedWith = id;
          this.say(this.text.msgPeerFailed.replace("{name}", this.nameOf(id)));
          this.restart(id, page);
        },
      });
      peer.participant = id;
      peer.since = this.unconnected.get(key);
      this.peers.set(key, peer);
    }
    return this.peers.get(key);
  }

  // Both pages build their connection anew: this one says hello to that one
  // alone, which answers as to a new page. At most once every few seconds;
  // a page that is gone for good never answers, and its peer stays dropped.
  restart(id, page) {
    const key = keyOf(id, page);
    const now = Date.now();
    if (now - (this.restarted.get(key) || 0) < RESTART_PAUSE_MS) return;
    this.restarted.set(key, now);
    this.drop(key);
    this.signal(id, page, { hello: true });
  }

  drop(key) {
    const since = this.peers.get(key)?.unconnectedSince();
    if (since) this.unconnected.set(key, since);
    this.peers.get(key)?.close();
    this.peers.delete(key);
    this.stage.removePeer(key);
  }

  // A new page gets only what the server lists as running: a share the
  // server ended (a customer switch) must not reach someone who just came.
  sendAllTo(id, page) {
    const peer = this.peer(id, page);
    const ended = this.endedTest();
    this.local.forEach((entry, kind) => {
      if (!ended(entry.activityId)) peer.send(kind, entry.stream);
    });
  }

  // Whether an activity ended: a panel at least as new as it (its mark)
  // leaves it out. A push may trail the answer that started an activity,
  // and pushes are coalesced, so a newer activity is not judged yet. An
  // ended session's page has no panel at all, and everything in it ended.
  endedTest() {
    const ids = new Set(this.running().map((activity) => activity.id));
    const panel = document.getElementById("activities");
    const mark = panel ? Number(panel.dataset.mark) : Infinity;
    return (activityId) => !ids.has(activityId) && mark >= activityId;
  }

  // Peers of participants who left the session go with them. A newcomer's
  // hello comes straight over the socket, its row with the next panel push
  // (coalesced): until this page has listed a participant, it has not left.
  dropLeavers() {
    const present = new Set(
      Array.from(document.querySelectorAll("#participants [data-participant-id]"), (row) => Number(row.dataset.participantId)),
    );
    present.forEach((id) => this.listed.add(id));
    Array.from(this.peers.entries())
      .filter(([, peer]) => this.listed.has(peer.participant) && !present.has(peer.participant))
      .forEach(([key]) => this.drop(key));
  }

  nameOf(id) {
    const name = document.querySelector(`#participants [data-participant-id="${id}"] .participant-name`);
    return name ? name.firstChild.textContent.trim() : "";
  }

  // --- what this page shares ---------------------------------------------
  async toggle(kind) {
    if (this.local.has(kind)) return this.stop(kind, true);
    if (!navigator.mediaDevices || !CAPTURE[kind]) return this.say(this.text.msgUnsupported);
    if (this.starting.has(kind)) return;
    this.starting.add(kind);
    try {
      await this.start(kind);
    } finally {
      this.starting.delete(kind);
      this.syncButtons();
    }
  }

  async start(kind) {
    let stream;
    try {
      stream = await CAPTURE[kind]();
    } catch (error) {
      return this.say(error.name === "NotAllowedError" ? this.text.msgDenied : this.text.msgFailed);
    }
    const answer = await post(section.dataset.activitiesUrl, { kind });
    if (!answer.ok) {
      stream.getTracks().forEach((track) => track.stop());
      return this.say(answer.error || this.text.msgFailed);
    }
    this.say("");
    noteStarted(answer.id);
    this.local.set(kind, { activityId: answer.id, stream });
    // The browser's own "Stop sharing" bar ends the track.
    stream.getTracks().forEach((track) => track.addEventListener("ended", () => this.stop(kind, true)));
    this.stage.showLocal(kind, stream, this.text.labelYou);
    this.peers.forEach((peer) => peer.send(kind, stream));
    this.follow(); // the panel may have listed it before this answer came
  }

  async stop(kind, tellServer) {
    const entry = this.local.get(kind);
    if (!entry) return;
    this.local.delete(kind);
    entry.stream.getTracks().forEach((track) => track.stop());
    this.peers.forEach((peer) => peer.unsend(kind));
    this.stage.removeLocal(kind);
    this.syncButtons();
    if (tellServer) await post(`${section.dataset.activitiesUrl}/${entry.activityId}/end`);
  }

  // Both lines are gone from an ended session's page.
  say(message) {
    const element = document.getElementById("media-message");
    if (element) element.textContent = message || "";
  }

  status(message) {
    const element = document.getElementById("media-status");
    if (!element) return;
    element.textContent = message || "";
    clearTimeout(this.statusTimer);
    this.statusTimer = setTimeout(() => { element.textContent = ""; }, STATUS_SHOWN_MS);
  }

  // --- following the pushed panels ----------------------------------------
  running() {
    return Array.from(document.querySelectorAll("#activities [data-activity-id]")).map((item) => ({
      id: Number(item.dataset.activityId),
      kind: item.dataset.kind,
      participant: Number(item.dataset.participantId),
    }));
  }

  follow() {
    const running = this.running();
    const ended = this.endedTest();
    this.local.forEach((entry, kind) => {
      if (ended(entry.activityId)) {
        this.stop(kind, false);
        this.say(this.text.msgEnded);
      }
    });
    this.stage.follow(running);
    this.recorder.follow(ended);
    this.recorder.consentChanged(document.querySelector("[data-consent]")?.dataset.consent);
    this.endOrphans(running);
    this.dropLeavers();
    this.syncButtons();
  }

  // What this tab started before it was reloaded, and the panel still says
  // runs: its tracks died with the old page, so it ends. Another tab of the
  // same participant keeps its own (sessionStorage is per tab).
  endOrphans(running) {
    const held = new Set(Array.from(this.local.values(), (entry) => entry.activityId));
    this.recorder.activityIds().forEach((id) => held.add(id));
    const mine = startedHere();
    running
      .filter((activity) => mine.has(activity.id) && !held.has(activity.id))
      .filter((activity) => !this.orphansEnded.has(activity.id))
      .forEach((activity) => {
        this.orphansEnded.add(activity.id);
        post(`${section.dataset.activitiesUrl}/${activity.id}/end`);
      });
    const runningIds = new Set(running.map((activity) => activity.id));
    rememberStarted(new Set(Array.from(mine).filter((id) => runningIds.has(id) || held.has(id))));
  }

  syncButtons() {
    document.querySelectorAll("#media-controls [data-media]").forEach((button) => {
      button.setAttribute("aria-pressed", String(this.local.has(button.dataset.media)));
    });
    const record = document.querySelector("#media-controls [data-record]");
    if (record) record.setAttribute("aria-pressed", String(this.recorder.active || this.recorder.waiting));
  }
}

if (section && live) {
  const media = new Media();
  document.addEventListener("htmx:wsOpen", (event) => media.connected(event.detail.socketWrapper));
  document.addEventListener("htmx:wsBeforeMessage", (event) => {
    const message = event.detail.message;
    if (typeof message !== "string" || !message.startsWith("{")) return;
    event.preventDefault(); // JSON is signalling, not HTML to swap
    let data;
    try {
      data = JSON.parse(message);
    } catch {
      return;
    }
    if (data.signal) media.received(data).catch((error) => console.warn("signal", error));
  });
  // A request that takes the rep away from this page waits until a running
  // recording is stored; the browser asks before a closing tab loses one.
  document.addEventListener("htmx:confirm", (event) => {
    if (!media.recorder.busy || !event.detail.elt.closest("[data-leaves-page]")) return;
    event.preventDefault();
    if (event.detail.question && !window.confirm(event.detail.question)) return;
    media.recorder.finish().then(() => event.detail.issueRequest(true));
  });
  window.addEventListener("beforeunload", (event) => {
    if (media.recorder.busy) event.preventDefault();
  });
  document.addEventListener("htmx:wsAfterMessage", () => media.follow());
  setInterval(() => media.follow(), FOLLOW_EVERY_MS); // unlisted tiles go without an event too
  document.addEventListener("click", (event) => {
    const button = event.target.closest("#media-controls [data-media]");
    if (button) media.toggle(button.dataset.media);
    if (event.target.closest("#media-controls [data-record]")) media.recorder.toggle();
    const unmute = event.target.closest("[data-unmute]");
    if (unmute) media.stage.unmute();
  });
  media.follow();
}
