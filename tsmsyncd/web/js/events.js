// The daemon's events WebSocket (/api/v1/events): one connection for the page, events handed to whoever
// listens (the views subscribe while they are shown). After a drop it reconnects with since=<last id>,
// waiting longer each time (0.5 s doubling to 15 s, with jitter); when the first `status` event says
// missed: true, listeners get a "resync" and refetch what they show.

const MIN_DELAY = 500;
const MAX_DELAY = 15000;

export class Events {
  constructor({ onDown } = {}) {
    this.handlers = new Map();
    this.lastId = null;
    this.delay = MIN_DELAY;
    this.socket = null;
    this.stopped = false;
    this.onDown = onDown || (() => {});
    this.connected = false;
  }

  /** Listen to one type ("target.state"), "*" for all, or "connection" / "resync". Returns the unsubscribe. */
  on(type, handler) {
    if (!this.handlers.has(type)) this.handlers.set(type, new Set());
    this.handlers.get(type).add(handler);
    return () => this.handlers.get(type).delete(handler);
  }

  emit(type, event) {
    for (const key of [type, "*"]) {
      for (const handler of this.handlers.get(key) || []) {
        try {
          handler(event);
        } catch (error) {
          console.error("event handler failed", type, error);
        }
      }
    }
  }

  url() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const since = this.lastId === null ? "" : `?since=${this.lastId}`;
    return `${scheme}${location.host}/api/v1/events${since}`;
  }

  start() {
    if (this.stopped || this.socket) return;
    const socket = new WebSocket(this.url());
    this.socket = socket;
    let resumed = this.lastId !== null;
    socket.addEventListener("open", () => {
      this.delay = MIN_DELAY;
      this.connected = true;
      this.emit("connection", { up: true });
    });
    socket.addEventListener("message", (message) => {
      let event;
      try {
        event = JSON.parse(message.data);
      } catch {
        return;
      }
      if (!event || typeof event.type !== "string") return;
      if (event.type === "status") {
        // The status event carries the newest id. On a fresh connection that is where we are; on a
        // resumed one the replayed events follow it, and each moves lastId on by itself.
        const missed = event.data && event.data.missed;
        if (!resumed || missed) this.lastId = event.id;
        if (missed) this.emit("resync", event);
        resumed = false;
      } else if (typeof event.id === "number") {
        this.lastId = this.lastId === null ? event.id : Math.max(this.lastId, event.id);
      }
      this.emit(event.type, event);
    });
    socket.addEventListener("close", () => {
      this.socket = null;
      if (this.connected) this.emit("connection", { up: false });
      this.connected = false;
      if (this.stopped) return;
      const wait = this.delay * (0.75 + Math.random() * 0.5);
      this.delay = Math.min(this.delay * 2, MAX_DELAY);
      this.onDown();
      this.timer = setTimeout(() => this.start(), wait);
    });
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.socket) this.socket.close(1000);
  }

  send(type, data = {}) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify({ type, data }));
  }
}
