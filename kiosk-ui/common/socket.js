// A socket to the hub that outlives drops: it reconnects with a growing pause and resends
// every frame carrying a client id until the hub acks or refuses it, so nothing typed
// during a drop is lost and the hub's dedupe by client id keeps it from showing twice.

export class HubSocket {
  /**
   * `hello()` is the first frame of every connection (it says what the page already has);
   * `onFrame` gets each frame from the hub; `onState` 'online' at each welcome, 'offline'
   * at each drop. `pending` are frames left unacked by an earlier page, and `onPending`
   * hears the unacked frames after each change, for a page that keeps them across reloads.
   */
  constructor(path, { hello, onFrame, onState, pending = [], onPending = () => {} }) {
    this.url = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${path}`;
    Object.assign(this, { hello, onFrame, onState, onPending });
    this.pending = new Map(pending.map((f) => [f.client_id, f]));
    this.backoff = 500;
    this.stopped = false;
    this.ws = null;
    this.connect();
  }

  connect() {
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.addEventListener('open', () => ws.send(JSON.stringify(this.hello())));
    ws.addEventListener('message', (e) => {
      let f;
      try { f = JSON.parse(e.data); } catch { return; }
      if (f.type === 'welcome') {
        this.backoff = 500;
        this.onState('online');
        for (const frame of this.pending.values()) ws.send(JSON.stringify(frame));
      } else if ((f.type === 'ack' || f.type === 'error') && f.client_id) {
        this.pending.delete(f.client_id);
        this.onPending([...this.pending.values()]);
      }
      this.onFrame(f);
    });
    ws.addEventListener('close', () => {
      this.ws = null;
      if (this.stopped) return;
      this.onState('offline');
      setTimeout(() => this.connect(), this.backoff);
      this.backoff = Math.min(this.backoff * 2, 15000);
    });
  }

  /** Sends now if connected; a frame with a client id also waits for its ack. */
  send(frame) {
    if (frame.client_id) {
      this.pending.set(frame.client_id, frame);
      this.onPending([...this.pending.values()]);
    }
    if (this.ws?.readyState === 1) this.ws.send(JSON.stringify(frame));
  }

  /** The hub refused this page for good (blocked, unknown key): asking again cannot help. */
  stop() { this.stopped = true; }
}
