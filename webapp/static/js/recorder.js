// Inspelning (R7): the controlling rep's page records the shared media with
// MediaRecorder and uploads the recording when it stops, whether the rep
// stopped it, the share ended or the server ended the activity.
import { post } from "./http.js";
import { noteStarted } from "./started.js";

export class Recorder {
  constructor(media) {
    this.media = media;
    this.current = null; // {activityId, recorder, chunks, key, stored}
  }

  get active() {
    return this.current !== null;
  }

  async toggle() {
    if (this.current) return this.current.recorder.stop();
    if (this.media.starting.has("recording")) return;
    this.media.starting.add("recording");
    try {
      await this.start();
    } finally {
      this.media.starting.delete("recording");
    }
  }

  async start() {
    const section = document.getElementById("media");
    const answer = await post(section.dataset.activitiesUrl, { kind: "recording" });
    if (!answer.ok) return this.media.say(answer.error || this.media.text.msgFailed);
    const source = this.media.stage.recordable();
    if (!source || typeof MediaRecorder === "undefined") {
      await post(`${section.dataset.activitiesUrl}/${answer.id}/end`);
      return this.media.say(this.media.text.msgFailed);
    }
    this.media.say("");
    const tracks = [...source.stream.getVideoTracks(), ...this.media.stage.audioTracks().slice(0, 1)];
    noteStarted(answer.id);
    const recorder = new MediaRecorder(new MediaStream(tracks), { mimeType: "video/webm" });
    const current = { activityId: answer.id, recorder, chunks: [], key: source.key };
    recorder.ondataavailable = (event) => event.data.size && current.chunks.push(event.data);
    current.stored = new Promise((resolve) => {
      recorder.onstop = () => this.upload(current).finally(resolve);
    });
    recorder.start(1000);
    this.current = current;
    this.media.syncButtons();
  }

  async upload(current) {
    this.current = null;
    this.media.syncButtons();
    this.media.status(this.media.text.msgUploading);
    const answer = await post(document.getElementById("media").dataset.recordingsUrl, {
      activity_id: current.activityId,
      recording: new File(current.chunks, "recording.webm", { type: "video/webm" }),
    });
    this.media.status(answer.ok ? this.media.text.msgSaved : "");
    if (!answer.ok) this.media.say(answer.error || this.media.text.msgFailed);
  }

  // Stops and uploads, for a page about to go (the end of the session, a
  // transfer to a queue): a recording left running would be lost with it.
  async finish() {
    const current = this.current;
    if (!current) return;
    if (current.recorder.state === "recording") current.recorder.stop();
    await current.stored;
  }

  // Stops when the server ended the recording or what it records went away.
  follow(ended) {
    const current = this.current;
    if (!current || current.recorder.state !== "recording") return;
    if (ended(current.activityId) || !this.media.stage.has(current.key)) {
      current.recorder.stop();
    }
  }
}
