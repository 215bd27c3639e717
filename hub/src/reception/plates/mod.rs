//! QR plates and stickers (GUEST-7): the owner's design (`design.rs`), each unit's plate and
//! the Wi-Fi's drawn as SVG (`draw.rs`), written as PNG or as a vector PDF with its fonts
//! embedded (`fonts.rs`), one at a time, all units in one PDF, or as the print view's pages.
//! The front door is [`Reception`]'s plate methods here.

pub mod api;
mod design;
mod draw;
mod fonts;

pub use design::{PlateDesign, PlateFormat};
use draw::paper;

use super::{db, words, Reception, ReceptionError, UnitPage};
use draw::Plate;

/// Print resolution of PNG plates, dots per inch.
const PNG_DPI: f32 = 300.0;

/// What a plate's code leads to.
#[derive(Debug, Clone, Copy)]
pub enum Subject {
    /// The page of the unit with this room id.
    Unit(i64),
    /// The hotel's Wi-Fi network.
    Wifi,
    /// The property's own page, `/r/`: for the lobby, the desk or a leaflet.
    Property,
}

/// The file a plate is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    Svg,
    Png,
    Pdf,
}

impl From<fonts::DrawError> for ReceptionError {
    fn from(e: fonts::DrawError) -> Self {
        ReceptionError::Internal(e.to_string())
    }
}

impl From<super::qr::QrError> for ReceptionError {
    fn from(e: super::qr::QrError) -> Self {
        ReceptionError::Invalid(e.to_string())
    }
}

/// Runs the drawing off the async workers: a sheet of plates is tens of milliseconds.
async fn drawing<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ReceptionError> + Send + 'static,
) -> Result<T, ReceptionError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ReceptionError::Internal(e.to_string()))?
}

fn unit_plate(page: UnitPage, base: &str, messengers: String) -> Plate {
    let url = format!("{base}{}", page.path);
    Plate {
        title: page.room,
        payload: url.clone(),
        lines: Vec::new(),
        address: url,
        messengers,
    }
}

impl Reception {
    /// The messengers the hotel offers, each with what to look for there ("Telegram
    /// @SeaviewBot"), named on unit and property plates in the property's first language
    /// (the code opens the page whose links carry the unit); empty when none.
    fn messengers_line(&self) -> String {
        let lang = self.inner.property.current().languages.first().cloned();
        let lang = lang.as_deref().unwrap_or("en");
        let names: Vec<String> = self
            .inner
            .chat
            .channel_links(None, lang)
            .into_iter()
            .map(|c| format!("{} {}", c.label, c.name).trim().to_owned())
            .collect();
        if names.is_empty() {
            return String::new();
        }
        format!("{} {}", words::of(lang).chat_elsewhere, names.join(" · "))
    }

    /// The stored plate design, or the one a hotel starts from: its name, the guest page's
    /// accent and the invitation in the property's first language.
    pub async fn plate_design(&self) -> Result<PlateDesign, ReceptionError> {
        let stored = self
            .inner
            .store
            .read(|c| Ok::<_, ReceptionError>(db::plate_design(c)?))
            .await?;
        if let Some(d) = stored {
            return Ok(d);
        }
        let property = self.inner.property.current();
        let language = property.languages.first().map_or("en", String::as_str);
        Ok(PlateDesign::starting(
            &property.name,
            words::of(language).plate_invitation,
            &self.design().await?.accent,
        ))
    }

    pub async fn put_plate_design(
        &self,
        design: PlateDesign,
    ) -> Result<PlateDesign, ReceptionError> {
        design.check().map_err(|e| ReceptionError::Invalid(e.0))?;
        let (d, now) = (design.clone(), self.inner.clock.now_text());
        self.inner
            .store
            .write(move |c| Ok::<_, ReceptionError>(db::put_plate_design(c, &d, &now)?))
            .await?;
        Ok(design)
    }

    /// What goes on `subject`'s plate, its code pointing at `base` (an origin such as
    /// `http://192.168.1.20:8080`).
    async fn plate_of(&self, subject: Subject, base: &str) -> Result<Plate, ReceptionError> {
        match subject {
            Subject::Unit(id) => Ok(unit_plate(
                self.page_of(id).await?,
                base,
                self.messengers_line(),
            )),
            Subject::Property => {
                let url = format!("{base}/r/");
                Ok(Plate {
                    title: String::new(),
                    payload: url.clone(),
                    lines: Vec::new(),
                    address: url,
                    messengers: self.messengers_line(),
                })
            }
            Subject::Wifi => {
                let wifi = self.design().await?.wifi.ok_or_else(|| {
                    ReceptionError::Invalid(
                        "set the Wi-Fi network in the page's design first".into(),
                    )
                })?;
                let property = self.inner.property.current();
                let w = words::of(property.languages.first().map_or("en", String::as_str));
                let mut lines = vec![format!("{}: {}", w.network, wifi.ssid)];
                if !wifi.password.is_empty() {
                    lines.push(format!("{}: {}", w.password, wifi.password));
                }
                Ok(Plate {
                    title: w.wifi.to_owned(),
                    payload: super::qr::wifi_payload(&wifi),
                    lines,
                    address: String::new(),
                    messengers: String::new(),
                })
            }
        }
    }

    /// One plate as SVG, PNG (300 dpi) or PDF, in `draft` when given (the editor's preview)
    /// or the stored design.
    pub async fn plate(
        &self,
        subject: Subject,
        draft: Option<PlateDesign>,
        base: &str,
        output: Output,
    ) -> Result<Vec<u8>, ReceptionError> {
        let design = match draft {
            Some(d) => {
                d.check().map_err(|e| ReceptionError::Invalid(e.0))?;
                d
            }
            None => self.plate_design().await?,
        };
        let plate = self.plate_of(subject, base).await?;
        drawing(move || {
            let svg = draw::plate_svg(&design, &plate)?;
            Ok(match output {
                Output::Svg => svg.into_bytes(),
                Output::Png => fonts::png(&svg, PNG_DPI)?,
                Output::Pdf => fonts::pdf(&[svg])?,
            })
        })
        .await
    }

    /// The property's plate, every unit's, then the Wi-Fi's when a network is set, as
    /// printed pages (SVG):
    /// a plate a page, or stickers by the A4 sheet.
    pub async fn plate_pages(
        &self,
        base: &str,
    ) -> Result<(PlateDesign, Vec<String>), ReceptionError> {
        let design = self.plate_design().await?;
        let mut plates = vec![self.plate_of(Subject::Property, base).await?];
        for page in self.pages().await? {
            plates.push(unit_plate(page, base, self.messengers_line()));
        }
        if self.design().await?.wifi.is_some() {
            plates.push(self.plate_of(Subject::Wifi, base).await?);
        }
        let d = design.clone();
        let pages = drawing(move || Ok(draw::pages(&d, &plates)?)).await?;
        Ok((design, pages))
    }

    /// [`Reception::plate_pages`] as one PDF.
    pub async fn plates_pdf(&self, base: &str) -> Result<Vec<u8>, ReceptionError> {
        let (_, pages) = self.plate_pages(base).await?;
        drawing(move || Ok(fonts::pdf(&pages)?)).await
    }
}
