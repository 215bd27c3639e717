//! One piece of a browser connection carried over the link: `[kind: u8][seq: u64 BE][body]`.
//!
//! A stream starts with `Open` (body: the browser's address as text, `ip:port`), carries
//! `Data` (raw bytes of the HTTP/1.1 connection after the relay's TLS) and ends with `End`
//! from either side. Sequence numbers count from 0 per direction: MQTT QoS 1 may deliver a
//! frame twice (MQTT 3.1.1 §4.3.2), so a receiver drops a number it has seen.

/// The largest body the link carries in one frame; a sender cuts longer data.
pub const MAX_BODY: usize = 32 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameKind {
    Open,
    Data,
    End,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub kind: FrameKind,
    pub seq: u64,
    pub body: Vec<u8>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FrameError {
    #[error("a frame is at least 9 bytes; this one is {0}")]
    Short(usize),
    #[error("unknown frame kind {0}")]
    Kind(u8),
    #[error("a frame body is at most {MAX_BODY} bytes; this one is {0}")]
    Long(usize),
}

impl Frame {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(9 + self.body.len());
        out.push(match self.kind {
            FrameKind::Open => 1,
            FrameKind::Data => 2,
            FrameKind::End => 3,
        });
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.body);
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Frame, FrameError> {
        let (head, body) = match bytes.split_at_checked(9) {
            Some(parts) => parts,
            None => return Err(FrameError::Short(bytes.len())),
        };
        if body.len() > MAX_BODY {
            return Err(FrameError::Long(body.len()));
        }
        let kind = match head[0] {
            1 => FrameKind::Open,
            2 => FrameKind::Data,
            3 => FrameKind::End,
            other => return Err(FrameError::Kind(other)),
        };
        let mut seq = [0u8; 8];
        seq.copy_from_slice(&head[1..9]);
        Ok(Frame {
            kind,
            seq: u64::from_be_bytes(seq),
            body: body.to_vec(),
        })
    }
}

/// Keeps a stream's frames in order: hands out each sequence number once, in order, holding
/// early ones until the gap fills (at most [`Reorder::WINDOW`] of them).
#[derive(Debug, Default)]
pub struct Reorder {
    next: u64,
    early: std::collections::BTreeMap<u64, Frame>,
}

impl Reorder {
    pub const WINDOW: usize = 64;

    /// Takes a frame; returns those now in order. `Err` when the gap grew past the window
    /// (the stream is broken and must end).
    pub fn accept(&mut self, frame: Frame) -> Result<Vec<Frame>, FrameError> {
        if frame.seq < self.next {
            return Ok(Vec::new());
        }
        self.early.insert(frame.seq, frame);
        if self.early.len() > Self::WINDOW {
            return Err(FrameError::Long(self.early.len()));
        }
        let mut ready = Vec::new();
        while let Some(f) = self.early.remove(&self.next) {
            self.next += 1;
            ready.push(f);
        }
        Ok(ready)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(seq: u64) -> Frame {
        Frame {
            kind: FrameKind::Data,
            seq,
            body: vec![seq as u8],
        }
    }

    #[test]
    fn frames_round_trip_and_garbage_is_an_error() {
        let f = Frame {
            kind: FrameKind::Open,
            seq: 7,
            body: b"10.0.0.1:5000".to_vec(),
        };
        assert_eq!(Frame::decode(&f.encode()).unwrap(), f);
        assert_eq!(Frame::decode(&[2, 0]), Err(FrameError::Short(2)));
        assert_eq!(Frame::decode(&[9; 9]), Err(FrameError::Kind(9)));
        assert!(Frame::decode(&vec![2; 9 + MAX_BODY + 1]).is_err());
    }

    #[test]
    fn duplicates_are_dropped_and_early_frames_wait() {
        let mut r = Reorder::default();
        assert_eq!(r.accept(data(1)).unwrap(), vec![]);
        assert_eq!(r.accept(data(0)).unwrap(), vec![data(0), data(1)]);
        assert_eq!(r.accept(data(1)).unwrap(), vec![]);
        assert_eq!(r.accept(data(2)).unwrap(), vec![data(2)]);
        for seq in 4..(4 + Reorder::WINDOW as u64) {
            r.accept(data(seq)).unwrap();
        }
        assert!(r.accept(data(200)).is_err());
    }
}
