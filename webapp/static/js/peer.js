// One RTCPeerConnection to one other page, with "perfect negotiation" (the
// W3C pattern): either side may add or remove tracks at any time, and when
// both offer at once the polite side yields.
// A connection that negotiated media but is still not up after this long
// will not come up by itself (no path, or a TURN server that never answers):
// ICE may sit in "checking" for minutes before it says "failed".
const CONNECT_TIMEOUT_MS = 15000;

export class Peer {
  constructor(polite, configuration, { signal, track, failed, connected }) {
    this.signal = signal;
    this.failed = failed;
    this.polite = polite;
    this.makingOffer = false;
    this.ignoreOffer = false;
    this.applyingAnswer = false;
    this.senders = new Map(); // kind -> [RTCRtpSender]
    this.pc = new RTCPeerConnection(configuration);
    this.pc.onnegotiationneeded = async () => {
      this.expectConnection();
      try {
        this.makingOffer = true;
        await this.pc.setLocalDescription();
        this.signal({ description: this.pc.localDescription.toJSON() });
      } catch (error) {
        console.warn("negotiation", error);
        this.failed();
      } finally {
        this.makingOffer = false;
      }
    };
    this.pc.onicecandidate = ({ candidate }) => {
      if (candidate) this.signal({ candidate: candidate.toJSON() });
    };
    this.pc.ontrack = (event) => track(event.track, event.streams[0]);
    this.pc.onconnectionstatechange = () => {
      if (this.pc.connectionState === "failed") this.failed();
      if (this.pc.connectionState === "connected") {
        clearTimeout(this.watchdog);
        connected?.();
      }
    };
  }

  async receive(signal) {
    try {
      await this.apply(signal);
    } catch (error) {
      // Two pages changing their media at the same moment can leave the
      // connection in a state no renegotiation repairs: start it afresh.
      console.warn("signal", error);
      this.failed();
    }
  }

  async apply({ description, candidate }) {
    if (description) {
      // An offer right behind the answer being applied is no collision.
      const ready = !this.makingOffer && (this.pc.signalingState === "stable" || this.applyingAnswer);
      const collision = description.type === "offer" && !ready;
      this.ignoreOffer = !this.polite && collision;
      if (this.ignoreOffer) return;
      this.applyingAnswer = description.type === "answer";
      try {
        await this.pc.setRemoteDescription(description);
      } finally {
        this.applyingAnswer = false;
      }
      if (description.type === "offer") {
        this.expectConnection();
        await this.pc.setLocalDescription();
        this.signal({ description: this.pc.localDescription.toJSON() });
      }
    } else if (candidate) {
      try {
        await this.pc.addIceCandidate(candidate);
      } catch (error) {
        if (!this.ignoreOffer) console.warn("candidate", error);
      }
    }
  }

  // `since` may come from the connection this one replaces: a pair whose
  // pages keep rebuilding still fails after CONNECT_TIMEOUT_MS in all.
  expectConnection() {
    if (this.watchdog || this.pc.connectionState === "connected") return;
    this.since = this.since || Date.now();
    this.watchdog = setTimeout(() => {
      if (!["connected", "closed"].includes(this.pc.connectionState)) this.failed();
    }, Math.max(0, this.since + CONNECT_TIMEOUT_MS - Date.now()));
  }

  // When this connection started trying and has not come up yet, or null.
  unconnectedSince() {
    return this.pc.connectionState === "connected" ? null : this.since || null;
  }

  send(kind, stream) {
    if (this.senders.has(kind)) return;
    // The other page learns which stream is which before the offer names it.
    this.signal({ streams: { [stream.id]: kind } });
    this.senders.set(kind, stream.getTracks().map((track) => this.pc.addTrack(track, stream)));
  }

  unsend(kind) {
    (this.senders.get(kind) || []).forEach((sender) => {
      if (this.pc.signalingState !== "closed") this.pc.removeTrack(sender);
    });
    this.senders.delete(kind);
  }

  close() {
    clearTimeout(this.watchdog);
    this.pc.close();
  }
}
