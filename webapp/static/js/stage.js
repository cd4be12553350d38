// The media stage: a tile per screen, window or camera shown on this page,
// and hidden audio for voice. Tiles are keyed "participant:kind"; the
// activities panel decides when a remote one goes away.
const VISUAL = new Set(["desktop_sharing", "application_sharing", "video"]);
// How long a remote tile may wait for the panel that lists its activity.
const UNLISTED_GRACE_MS = 5000;

export class Stage {
  constructor(element, me, kindNames) {
    this.element = element;
    this.me = me;
    this.kindNames = kindNames;
    this.kinds = new Map(); // peer key -> Map(stream id -> kind)
    this.tiles = new Map(); // "participant:kind" -> {element, media, stream, seen, local, peer}
  }

  learn(peer, streams) {
    if (!this.kinds.has(peer)) this.kinds.set(peer, new Map());
    Object.entries(streams).forEach(([streamId, kind]) => this.kinds.get(peer).set(streamId, kind));
  }

  showRemote(peer, participant, track, stream, name) {
    const kind = this.kinds.get(peer)?.get(stream.id) || (track.kind === "audio" ? "voice" : "video");
    this.show(`${participant}:${kind}`, kind, stream, name, false, peer);
    stream.addEventListener("removetrack", () => {
      if (!stream.getTracks().length) this.remove(`${participant}:${kind}`);
    });
  }

  showLocal(kind, stream, you) {
    this.show(`${this.me}:${kind}`, kind, stream, you, true, null);
  }

  show(key, kind, stream, name, local, peer) {
    const existing = this.tiles.get(key);
    if (existing) {
      existing.media.srcObject = stream;
      Object.assign(existing, { stream, peer, born: Date.now() });
      return;
    }
    const figure = document.createElement("figure");
    figure.className = `tile tile-${kind}${local ? " local" : ""}`;
    figure.dataset.key = key;
    const media = document.createElement(VISUAL.has(kind) ? "video" : "audio");
    media.autoplay = true;
    media.playsInline = true;
    // Local media never plays back here (no echo); remote video is muted
    // because its sound, if any, comes with the voice call.
    media.muted = local || VISUAL.has(kind);
    media.srcObject = stream;
    const caption = document.createElement("figcaption");
    caption.textContent = `${name} · ${this.kindNames[kind] || kind}`;
    figure.append(media, caption);
    this.element.append(figure);
    this.tiles.set(key, { element: figure, media, stream, seen: false, local, peer, born: Date.now() });
    media.play?.().catch(() => this.element.closest("#media")?.classList.add("needs-unmute"));
    this.refresh();
  }

  unmute() {
    this.tiles.forEach((tile) => tile.media.play?.().catch(() => {}));
    this.element.closest("#media")?.classList.remove("needs-unmute");
  }

  removeLocal(kind) {
    this.remove(`${this.me}:${kind}`);
  }

  removePeer(peer) {
    Array.from(this.tiles.entries()).filter(([, tile]) => tile.peer === peer).forEach(([key]) => this.remove(key));
    this.kinds.delete(peer);
  }

  clearRemote() {
    Array.from(this.tiles.entries()).filter(([, tile]) => !tile.local).forEach(([key]) => this.remove(key));
  }

  remove(key) {
    const tile = this.tiles.get(key);
    if (!tile) return;
    tile.element.remove();
    this.tiles.delete(key);
    this.refresh();
  }

  // A remote tile shows only what the server lists as running: one whose
  // activity the panel showed and no longer shows goes, and so does one the
  // panel never listed (media a page sends without an activity row).
  follow(running) {
    const keys = new Set(running.map((activity) => `${activity.participant}:${activity.kind}`));
    const now = Date.now();
    this.tiles.forEach((tile, key) => {
      if (tile.local) return;
      if (keys.has(key)) tile.seen = true;
      else if (tile.seen || now - tile.born > UNLISTED_GRACE_MS) this.remove(key);
    });
  }

  // The stream a recording takes: a shared screen or window first, then a camera.
  recordable() {
    const tiles = Array.from(this.tiles.entries());
    const pick = (kinds) => tiles.find(([key]) => kinds.includes(key.split(":")[1]));
    const found = pick(["desktop_sharing", "application_sharing"]) || pick(["video"]);
    return found ? { key: found[0], stream: found[1].stream } : null;
  }

  audioTracks() {
    return Array.from(this.tiles.values()).flatMap((tile) => tile.stream.getAudioTracks());
  }

  has(key) {
    return this.tiles.has(key);
  }

  refresh() {
    this.element.classList.toggle("has-tiles", this.tiles.size > 0);
  }
}
