//! Document scans in a call (DESK-5): the member on the call asks the kiosk for one, the
//! kiosk's scan is let in only for that call, and the messengers hear it arrived. The scans
//! themselves are the `scans` capability's.

use super::{CallError, Calls, Phase};
use crate::team::Member;

/// The member on the call asks the kiosk for a document scan (DESK-5): `n` counts the
/// asks (0: none yet); `shoot` takes the picture now rather than letting the guest press.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanAsk {
    pub n: u32,
    pub shoot: bool,
}

/// Who asked for a scan that has arrived.
#[derive(Debug, Clone)]
pub struct ScanAsker {
    pub member_id: i64,
    pub member_name: String,
    pub kiosk_name: String,
}

/// Scans one call may bring.
const SCANS_PER_CALL: u32 = 10;

impl Calls {
    /// `member`, on call `id`, asks the guest to hold a document to the kiosk's camera
    /// (`shoot`: take the picture now).
    pub async fn ask_for_scan(
        &self,
        id: i64,
        member: &Member,
        shoot: bool,
    ) -> Result<(), CallError> {
        let call = self.active().get(&id).cloned().ok_or(CallError::NotFound)?;
        if !matches!(*call.phase(), Phase::Connected(m) if m == member.id) {
            return Err(CallError::NotYours);
        }
        if call.caller_info.kiosk_id.is_none() {
            return Err(CallError::Invalid(
                "only a kiosk can scan a document".into(),
            ));
        }
        {
            let mut scanning = call.scanning.lock().unwrap_or_else(|p| p.into_inner());
            let taken = scanning.as_ref().map_or(0, |(_, n)| *n);
            *scanning = Some((
                ScanAsker {
                    member_id: member.id,
                    member_name: member.name.clone(),
                    kiosk_name: call.caller_info.name.clone(),
                },
                taken,
            ));
        }
        call.asks.send_modify(|a| {
            a.n += 1;
            a.shoot = shoot;
        });
        Ok(())
    }

    /// Kiosk `kiosk_id` brings a scan in call `id`: whoever asked for it, if the call is
    /// that kiosk's, under way, was asked for a scan, and has not brought ten already.
    pub fn scan_arriving(&self, id: i64, kiosk_id: i64) -> Result<ScanAsker, CallError> {
        let call = self.active().get(&id).cloned().ok_or(CallError::NotFound)?;
        if call.caller_info.kiosk_id != Some(kiosk_id)
            || !matches!(*call.phase(), Phase::Connected(_))
        {
            return Err(CallError::NotFound);
        }
        let mut scanning = call.scanning.lock().unwrap_or_else(|p| p.into_inner());
        match scanning.as_mut() {
            Some((asker, n)) if *n < SCANS_PER_CALL => {
                *n += 1;
                Ok(asker.clone())
            }
            Some(_) => Err(CallError::Invalid(
                "this call has brought enough scans".into(),
            )),
            None => Err(CallError::Invalid("nobody asked for a scan".into())),
        }
    }

    /// Tells the messengers that call `id` brought scan `scan_id`.
    pub fn scan_arrived(&self, id: i64, scan_id: i64) {
        let mut body = serde_json::Map::new();
        body.insert("call_id".into(), id.into());
        body.insert("scan_id".into(), scan_id.into());
        self.inner.chat.signal_team("scan", body);
    }
}
