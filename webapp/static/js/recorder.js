// Inspelning (R7): the controlling rep's page records the shared media with
// MediaRecorder and sends it while it records, a chunk every few seconds,
// each with its byte offset: a tab that closes or crashes loses at most the
// chunk it had not yet sent, and a chunk whose answer was lost is sent again
// (the server takes it once). The page talks to this class through the
// callbacks it gets, as peer.js does.
import { post } from "./http.js";
import { noteStarted } from "./started.js";

const CHUNK_MS = 3000;
const RETRIES = 8; // with the back-off below, about a minute of a lost network
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 10000];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class Recorder {
  // hooks: {text, say(message), status(message), changed(), recordable(),
  //         audioTracks(), showing(key), consent(), markConsent(state),
  //         activitiesUrl, recordingsUrl, consentUrl}
  constructor(hooks) {
    this.hooks = hooks;
    this.current = null; // the recording running now: {activityId, recorder, key, …}
    this.starting = false;
    this.waiting = false; // asked the customers, not all have answered
    this.sending = new Set(); // recordings stopped whose last chunks are on their way
  }

  get active() {
    return this.current !== null;
  }

  // Recording, or still sending what it recorded.
  get busy() {
    return this.active || this.sending.size > 0;
  }

  async toggle() {
    if (this.current) return this.current.recorder.stop();
    if (this.waiting) return this.stopWaiting("");
    if (this.starting) return;
    this.starting = true;
    try {
      const answer = await post(this.hooks.consentUrl);
      if (!answer.ok) return this.hooks.say(answer.error || this.hooks.text.msgFailed);
      if (answer.state === "allowed") return await this.start();
      // What the page showed may predate the question (a customer who came
      // since was never asked): only a panel pushed after it may say "allowed".
      this.hooks.markConsent(answer.state);
      this.waiting = true;
      this.hooks.status(this.hooks.text.msgConsentWaiting);
      this.hooks.changed();
    } finally {
      this.starting = false;
    }
  }

  stopWaiting(message) {
    this.waiting = false;
    this.hooks.status("");
    if (message) this.hooks.say(message);
    this.hooks.changed();
  }

  // The consent panel changed: record once everyone allowed, give up if one declined.
  consentChanged(state) {
    if (!this.waiting || this.starting) return;
    if (state === "denied") return this.stopWaiting(this.hooks.text.msgConsentDenied);
    if (state !== "allowed") return;
    this.stopWaiting("");
    this.starting = true;
    this.start().finally(() => {
      this.starting = false;
    });
  }

  async start() {
    const { text, say } = this.hooks;
    const answer = await post(this.hooks.activitiesUrl, { kind: "recording" });
    if (!answer.ok) return say(answer.error || text.msgFailed);
    const source = this.hooks.recordable();
    if (!source || typeof MediaRecorder === "undefined") {
      await post(`${this.hooks.activitiesUrl}/${answer.id}/end`);
      return say(text.msgFailed);
    }
    say("");
    const tracks = [...source.stream.getVideoTracks(), ...this.hooks.audioTracks().slice(0, 1)];
    noteStarted(answer.id);
    const recorder = new MediaRecorder(new MediaStream(tracks), { mimeType: "video/webm" });
    const current = {
      activityId: answer.id,
      recorder,
      key: source.key,
      queue: [], // chunks not yet stored, oldest first
      queued: 0, // bytes handed to the queue so far
      startedAt: performance.now(),
      pump: null,
      failed: false,
    };
    recorder.ondataavailable = (event) => {
      if (!event.data.size || current.failed) return;
      const elapsed = Math.round(performance.now() - current.startedAt);
      current.queue.push({ blob: event.data, offset: current.queued, elapsed });
      current.queued += event.data.size;
      this.pump(current);
    };
    // The last chunk comes before `stop`: then the server hears it is done.
    current.stored = new Promise((resolve) => {
      recorder.onstop = () => this.close(current).finally(resolve);
    });
    recorder.start(CHUNK_MS);
    this.current = current;
    this.hooks.changed();
  }

  // Sends the queued chunks one after the other, in order.
  pump(current) {
    current.pump ||= (async () => {
      while (current.queue.length && !current.failed) {
        const chunk = current.queue[0];
        const answer = await this.send(current, {
          offset: chunk.offset,
          elapsed_ms: chunk.elapsed,
          chunk: new File([chunk.blob], "chunk.webm", { type: "video/webm" }),
        });
        if (answer.ok) {
          current.queue.shift();
          current.sent = chunk.offset + chunk.blob.size;
          if (current.closing) this.showSaving(current);
        } else {
          this.fail(current, answer);
        }
      }
      current.pump = null;
    })();
    return current.pump;
  }

  // A POST that tries again while the network or the server is away.
  async send(current, fields) {
    let answer;
    for (let attempt = 0; attempt <= RETRIES; attempt += 1) {
      answer = await post(this.hooks.recordingsUrl, { activity_id: current.activityId, ...fields });
      const passing = answer.status === 0 || answer.status >= 500 || answer.status === 409;
      if (answer.ok || !passing) return answer;
      await sleep(BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)]);
    }
    return answer;
  }

  fail(current, answer) {
    current.failed = true;
    current.queue = [];
    this.hooks.say(answer.error || this.hooks.text.msgFailed);
    if (current.recorder.state === "recording") current.recorder.stop();
  }

  // What is left to send after the stop: "Sparar inspelningen… 60 %".
  showSaving(current) {
    const done = current.queued ? Math.round((100 * (current.sent || 0)) / current.queued) : 100;
    this.hooks.status(`${this.hooks.text.msgUploading} ${done}\u00a0%`);
  }

  async close(current) {
    if (this.current === current) this.current = null;
    current.closing = true;
    this.sending.add(current);
    this.hooks.changed();
    this.showSaving(current);
    try {
      while (current.pump) await current.pump;
      const answer = current.failed ? { ok: false } : await this.send(current, { final: "1" });
      this.hooks.status(answer.ok ? this.hooks.text.msgSaved : "");
      if (!answer.ok && !current.failed) this.hooks.say(answer.error || this.hooks.text.msgFailed);
    } finally {
      this.sending.delete(current);
    }
  }

  // The recordings of this page whose activity it still holds open.
  activityIds() {
    return [this.current, ...this.sending].filter(Boolean).map((current) => current.activityId);
  }

  // Stops and waits until everything is sent, for a page about to go (the
  // end of the session, a transfer to a queue).
  async finish() {
    const current = this.current;
    if (current && current.recorder.state === "recording") current.recorder.stop();
    await Promise.all([current?.stored, ...Array.from(this.sending, (sent) => sent.stored)]);
  }

  // Stops when the server ended the recording or what it records went away.
  follow(ended) {
    const current = this.current;
    if (!current || current.recorder.state !== "recording") return;
    if (ended(current.activityId) || !this.hooks.showing(current.key)) {
      current.recorder.stop();
      // A customer who joined is being asked: record again once they allow.
      if (this.hooks.consent() === "waiting") {
        this.waiting = true;
        this.hooks.status(this.hooks.text.msgConsentWaiting);
      }
    }
  }
}
