// The Team Messenger's live link (/ws/team). Keeps the session's baseline and the last
// sequence per conversation, so a reconnect brings exactly what was missed, once.
import { HubSocket } from '/common/socket.js';

export class TeamSocket {
  constructor(onFrame, onState) {
    this.baseline = null;
    this.cursors = {};
    this.socket = new HubSocket('/ws/team', {
      hello: () => ({ type: 'hello', baseline: this.baseline, cursors: this.cursors }),
      onFrame: (f) => { if (this.fresh(f)) onFrame(f); },
      onState,
    });
  }

  // The hub may publish a message again after a resume; a conversation's cursor drops it.
  fresh(f) {
    if (f.type === 'welcome' && this.baseline === null) this.baseline = f.baseline;
    if (f.type !== 'message') return true;
    const m = f.message;
    const last = this.cursors[m.dialogue_id] || 0;
    if (m.seq <= last && last !== 0) return false;
    this.cursors[m.dialogue_id] = m.seq;
    return true;
  }

  /** Starts tracking a conversation opened from the REST snapshot up to `seq`. */
  track(dialogueId, seq) {
    if ((this.cursors[dialogueId] || 0) < seq) this.cursors[dialogueId] = seq;
  }

  send(frame) { this.socket.send(frame); }
}
