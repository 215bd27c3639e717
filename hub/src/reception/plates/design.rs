//! The plate and sticker design the owner sets (GUEST-7): size, texts, colours and logo,
//! validated before it is stored.

use base64::Engine;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::reception::design::check_colour;

/// What the plate is printed on.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PlateFormat {
    /// A door or desk plate, 105 × 148 mm (ISO 216 A6).
    A6Plate,
    /// A larger plate, 148 × 210 mm (ISO 216 A5).
    A5Plate,
    /// A 50 × 50 mm sticker; the whole set prints as sheets of 15 on A4.
    Sticker50,
    /// A 70 × 70 mm sticker; the whole set prints as sheets of 6 on A4.
    Sticker70,
}

impl PlateFormat {
    /// Width and height in millimetres.
    pub fn size_mm(self) -> (f32, f32) {
        match self {
            PlateFormat::A6Plate => (105.0, 148.0),
            PlateFormat::A5Plate => (148.0, 210.0),
            PlateFormat::Sticker50 => (50.0, 50.0),
            PlateFormat::Sticker70 => (70.0, 70.0),
        }
    }

    /// Stickers are printed many to an A4 sheet and cut; plates one to a page of their size.
    pub fn is_sticker(self) -> bool {
        matches!(self, PlateFormat::Sticker50 | PlateFormat::Sticker70)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PlateDesign {
    pub format: PlateFormat,
    /// A6 plates four to an A4 sheet, to cut along the lines, for a home printer; else a
    /// page of the plate's own size (for a print shop). Stickers always go by the sheet.
    #[serde(default)]
    pub sheet: bool,
    /// Above the room name, usually the hotel's name; empty to leave out.
    pub heading: String,
    /// Under the code: what scanning gives the guest; empty to leave out.
    pub invitation: String,
    /// The unit's name ("Room 12") in large letters.
    pub show_room: bool,
    /// The page's address in small letters under the code, for a phone that cannot scan.
    pub show_address: bool,
    /// `data:image/png;base64,…`, `data:image/jpeg;base64,…` or `data:image/svg+xml;base64,…`,
    /// at most 200 KB decoded; empty for no logo.
    #[serde(default)]
    pub logo: String,
    /// `#rrggbb` each.
    pub background: String,
    pub ink: String,
    /// The frame and the heading.
    pub accent: String,
}

/// What is wrong with a plate design, in words for the owner.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PlateDesignError(pub String);

/// The largest logo, decoded.
pub(super) const LOGO_MAX_BYTES: usize = 200 * 1024;

impl PlateDesign {
    /// The design a hotel starts from: an A6 plate in the guest page's accent colour.
    pub fn starting(hotel: &str, invitation: &str, accent: &str) -> PlateDesign {
        PlateDesign {
            format: PlateFormat::A6Plate,
            sheet: false,
            heading: hotel.to_owned(),
            invitation: invitation.to_owned(),
            show_room: true,
            show_address: true,
            logo: String::new(),
            background: "#ffffff".into(),
            ink: "#1d2327".into(),
            accent: accent.to_owned(),
        }
    }

    pub fn check(&self) -> Result<(), PlateDesignError> {
        let bad = |why: &str| Err(PlateDesignError(why.to_owned()));
        if self.heading.chars().count() > 80 {
            return bad("the heading is at most 80 characters");
        }
        if self.invitation.chars().count() > 200 {
            return bad("the invitation is at most 200 characters");
        }
        for c in [&self.background, &self.ink, &self.accent] {
            check_colour(c).map_err(|e| PlateDesignError(e.0))?;
        }
        self.check_logo()
    }

    /// The logo is none, or a data URL that is what it claims. An error for a data URL of
    /// another type, broken base64, more than [`LOGO_MAX_BYTES`], or bytes that are not
    /// the image type they claim (PNG and JPEG by their signatures, SVG by being read).
    fn check_logo(&self) -> Result<(), PlateDesignError> {
        if self.logo.is_empty() {
            return Ok(());
        }
        let bad = |why: &str| PlateDesignError(why.to_owned());
        let (mime, data) = ["image/png", "image/jpeg", "image/svg+xml"]
            .into_iter()
            .find_map(|m| {
                self.logo
                    .strip_prefix("data:")
                    .and_then(|r| r.strip_prefix(m))
                    .and_then(|r| r.strip_prefix(";base64,"))
                    .map(|d| (m, d))
            })
            .ok_or_else(|| bad("the logo is a PNG, JPEG or SVG image"))?;
        if data.len() > LOGO_MAX_BYTES / 3 * 4 + 4 {
            return Err(bad("the logo is larger than 200 KB"));
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data.trim())
            .map_err(|_| bad("the logo's data is not base64"))?;
        let signed = match mime {
            "image/png" => bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
            "image/jpeg" => bytes.starts_with(&[0xff, 0xd8, 0xff]),
            _ => super::fonts::read_svg(&String::from_utf8_lossy(&bytes)).is_ok(),
        };
        if !signed {
            return Err(bad("the logo's file is not the image it says it is"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_design_with_a_bad_colour_or_a_false_logo_is_refused() {
        let good = PlateDesign::starting("Hotel", "Scan me", "#1f6f8b");
        assert!(good.check().is_ok());
        let mut d = good.clone();
        d.ink = "red".into();
        assert!(d.check().is_err());
        let mut d = good.clone();
        d.logo = "data:image/png;base64,SGVsbG8=".into();
        assert!(d.check().unwrap_err().0.contains("not the image"));
        d.logo = "data:text/html;base64,SGVsbG8=".into();
        assert!(d.check().is_err());
        d.logo = format!(
            "data:image/svg+xml;base64,{}",
            base64::engine::general_purpose::STANDARD
                .encode(r#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>"#)
        );
        assert!(d.check().is_ok());
    }
}
