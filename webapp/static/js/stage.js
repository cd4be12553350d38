// The media stage: a tile per screen, window or camera shown on this page,
// and hidden audio for voice. Tiles are keyed "participant:kind"; the
// activities panel decides when a remote one goes away.
const VISUAL = new Set(["desktop_sharing", "application_sharing", "video"]);

export class Stage {
  constructor(element, me, kindNames) {
    this.element = element;
    this.me = me;
    this.kindNames = kindNames;
    this.kinds = new Map(); // participant id -> Map(stream id -> kind)
    this.tiles = new Map(); // "participant:kind" -> {element, seen, stream}
  }

  learn(participant, streams) {
    if (!this.kinds.has(participant)) this.kinds.set(participant, new Map());
    Object.entries(streams).forEach(([streamId, kind]) => this.kinds.get(participant).set(streamId, kind));
  }

  showRemote(participant, track, stream, name) {
    const kind = this.kinds.get(participant)?.get(stream.id) || (track.kind === "audio" ? "voice" : "video");
    this.show(`${participant}:${kind}`, kind, stream, name, false);
    stream.addEventListener("removetrack", () => {
      if (!stream.getTracks().length) this.remove(`${participant}:${kind}`);
    });
  }

  showLocal(kind, stream, you) {
    this.show(`${this.me}:${kind}`, kind, stream, you, true);
  }

  show(key, kind, stream, name, local) {
    const existing = this.tiles.get(key);
    if (existing) {
      existing.media.srcObject = stream;
      existing.stream = stream;
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
    this.tiles.set(key, { element: figure, media, stream, seen: false, local });
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

  removeParticipant(participant) {
    Array.from(this.tiles.keys()).filter((key) => key.startsWith(`${participant}:`)).forEach((key) => this.remove(key));
    this.kinds.delete(participant);
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

  // Removes remote tiles whose activity the panel showed and no longer shows.
  follow(running) {
    const keys = new Set(running.map((activity) => `${activity.participant}:${activity.kind}`));
    this.tiles.forEach((tile, key) => {
      if (tile.local) return;
      if (keys.has(key)) tile.seen = true;
      else if (tile.seen) this.remove(key);
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
