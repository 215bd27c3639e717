// The Team Messenger's live link (/ws/team). Keeps the session's baseline and the last
// sequence per conversation, so a reconnect brings exactly what was missed, once; sends
// carry client ids and are resent after a reconnect until acked.

export class TeamSocket {
  constructor(onFrame, onState) {
    this.onFrame = onFrame;
    this.onState = onState;
    this.baseline = null;
    this.cursors = {};
    this.pending = new Map();
    this.backoff = 500;
    this.ws = null;
    this.connect();
  }

  connect() {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${proto}//${location.host}/ws/team`);
    this.ws = ws;
    ws.addEventListener('open', () => {
      ws.send(JSON.stringify({ type: 'hello', baseline: this.baseline, cursors: this.cursors }));
    });
    ws.addEventListener('message', (e) => {
      let f;
      try { f = JSON.parse(e.data); } catch { return; }
      if (f.type === 'welcome') {
        if (this.baseline === null) this.baseline = f.baseline;
        this.backoff = 500;
        this.onState('online');
        for (const frame of this.pending.values()) ws.send(JSON.stringify(frame));
      } else if (f.type === 'message') {
        const m = f.message;
        const last = this.cursors[m.dialogue_id] || 0;
        if (m.seq <= last && last !== 0) return;
        this.cursors[m.dialogue_id] = m.seq;
      } else if (f.type === 'ack' || (f.type === 'error' && f.client_id)) {
        this.pending.delete(f.client_id);
      }
      this.onFrame(f);
    });
    ws.addEventListener('close', () => {
      this.onState('offline');
      setTimeout(() => this.connect(), this.backoff);
      this.backoff = Math.min(this.backoff * 2, 15000);
    });
  }

  /** Starts tracking a conversation opened from the REST snapshot up to `seq`. */
  track(dialogueId, seq) {
    if ((this.cursors[dialogueId] || 0) < seq) this.cursors[dialogueId] = seq;
  }

  send(frame) {
    if (frame.client_id) this.pending.set(frame.client_id, frame);
    if (this.ws && this.ws.readyState === 1) this.ws.send(JSON.stringify(frame));
  }
}
