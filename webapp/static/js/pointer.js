// Pointing at a shared screen (#17 item 3). The rep in control clicks on a
// shared screen or window to show a pulsing mark there, or drags to draw a
// short stroke; every page that shows that share, the sharer's own preview
// included, shows it too, and it fades after a few seconds. Positions go as
// fractions of the picture itself (not of the tile, which may letterbox it),
// so they land on the same spot on any screen size.
const POINTABLE = new Set(["desktop_sharing", "application_sharing"]);
const SHOWN_MS = 4000;
const MAX_POINTS = 64;
const SVG = "http://www.w3.org/2000/svg";

// Where the picture sits inside its <video> (object-fit: contain).
function pictureBox(video) {
  const box = video.getBoundingClientRect();
  const ratio = video.videoWidth && video.videoHeight ? video.videoWidth / video.videoHeight : box.width / box.height;
  const width = Math.min(box.width, box.height * ratio);
  const height = width / ratio;
  return { left: box.left + (box.width - width) / 2, top: box.top + (box.height - height) / 2, width, height };
}

function fraction(video, event) {
  const box = pictureBox(video);
  const x = (event.clientX - box.left) / box.width;
  const y = (event.clientY - box.top) / box.height;
  return x >= 0 && x <= 1 && y >= 0 && y <= 1 ? [Number(x.toFixed(4)), Number(y.toFixed(4))] : null;
}

export class Pointer {
  // hooks: {stage, mayPoint(), send(point)}
  constructor(hooks) {
    this.hooks = hooks;
    this.stroke = null; // {key, video, points} while the mouse is down
    document.addEventListener("pointerdown", (event) => this.down(event));
    document.addEventListener("pointermove", (event) => this.move(event));
    document.addEventListener("pointerup", (event) => this.up(event));
  }

  tileOf(event) {
    const figure = event.target.closest?.("#media-stage figure.tile");
    const key = figure?.dataset.key;
    if (!key || !POINTABLE.has(key.split(":")[1]) || !this.hooks.mayPoint()) return null;
    return { key, video: figure.querySelector("video") };
  }

  down(event) {
    const tile = this.tileOf(event);
    const at = tile && fraction(tile.video, event);
    if (!at) return;
    event.preventDefault();
    this.stroke = { ...tile, points: [at] };
  }

  move(event) {
    if (!this.stroke || this.stroke.points.length >= MAX_POINTS) return;
    const at = fraction(this.stroke.video, event);
    const last = this.stroke.points[this.stroke.points.length - 1];
    if (at && Math.hypot(at[0] - last[0], at[1] - last[1]) > 0.01) this.stroke.points.push(at);
  }

  up() {
    const stroke = this.stroke;
    this.stroke = null;
    if (!stroke) return;
    const [x, y] = stroke.points[0];
    const point = stroke.points.length > 1 ? { key: stroke.key, path: stroke.points } : { key: stroke.key, x, y };
    this.show(point);
    this.hooks.send(point);
  }

  // A mark or a stroke on this page's tile of that share, if it shows one.
  show(point) {
    const figure = document.querySelector(`#media-stage figure.tile[data-key="${CSS.escape(point.key)}"]`);
    const video = figure?.querySelector("video");
    if (!video) return;
    const box = pictureBox(video);
    const origin = figure.getBoundingClientRect();
    const place = ([x, y]) => [box.left - origin.left + x * box.width, box.top - origin.top + y * box.height];
    let mark;
    if (point.path) {
      mark = document.createElementNS(SVG, "svg");
      mark.setAttribute("class", "pointer-stroke");
      mark.setAttribute("aria-hidden", "true");
      const line = document.createElementNS(SVG, "polyline");
      line.setAttribute("points", point.path.map((at) => place(at).join(",")).join(" "));
      mark.append(line);
    } else {
      mark = document.createElement("span");
      mark.className = "pointer-mark";
      mark.setAttribute("aria-hidden", "true");
      const [left, top] = place([point.x, point.y]);
      mark.style.left = `${left}px`;
      mark.style.top = `${top}px`;
    }
    figure.append(mark);
    setTimeout(() => mark.remove(), SHOWN_MS);
  }
}
