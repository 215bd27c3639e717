//! QR codes for the Online Reception (GUEST-6): a unit's page address and the Wi-Fi
//! network, as SVG and PNG, and the `WIFI:` payload with its escaping rules.

use qrcode::{Color, EcLevel, QrCode};

use super::design::{Security, Wifi};

#[derive(Debug, thiserror::Error)]
pub enum QrError {
    #[error("too much text for one QR code")]
    TooLong,
    #[error("the image could not be written: {0}")]
    Image(String),
}

/// The `WIFI:` payload phones join a network from (ZXing's "Wi-Fi network config", which
/// Android and iOS cameras read): `\`, `;`, `,`, `:` and `"` in the name or password are
/// escaped with a backslash.
pub fn wifi_payload(wifi: &Wifi) -> String {
    let escape = |s: &str| {
        let mut out = String::with_capacity(s.len());
        for c in s.chars() {
            if matches!(c, '\\' | ';' | ',' | ':' | '"') {
                out.push('\\');
            }
            out.push(c);
        }
        out
    };
    let kind = match wifi.security {
        Security::Wpa => "WPA",
        Security::Wep => "WEP",
        Security::Open => "nopass",
    };
    let mut payload = format!("WIFI:T:{kind};S:{};", escape(&wifi.ssid));
    if wifi.security != Security::Open {
        payload.push_str(&format!("P:{};", escape(&wifi.password)));
    }
    if wifi.hidden {
        payload.push_str("H:true;");
    }
    payload.push(';');
    payload
}

fn code(text: &str) -> Result<QrCode, QrError> {
    // M recovers from a scuffed or partly covered plate and still fits a long address.
    QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).map_err(|_| QrError::TooLong)
}

/// `text`'s code as modules: its width in modules and, row by row, whether each is dark.
pub fn modules(text: &str) -> Result<(usize, Vec<bool>), QrError> {
    let code = code(text)?;
    let dark = code.to_colors().iter().map(|c| *c == Color::Dark).collect();
    Ok((code.width(), dark))
}

/// An SVG of `text`'s code, `size` px square with its quiet zone, dark on white.
pub fn svg(text: &str, size: u32) -> Result<String, QrError> {
    Ok(code(text)?
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(size, size)
        .quiet_zone(true)
        .build())
}

/// A PNG of `text`'s code: `scale` px a module, a quiet zone of four modules (ISO/IEC
/// 18004 §7.3.7), 8-bit greyscale.
pub fn png(text: &str, scale: u32) -> Result<Vec<u8>, QrError> {
    let code = code(text)?;
    let modules = code.width() as u32;
    let colors = code.to_colors();
    let quiet = 4;
    let side = (modules + 2 * quiet) * scale;
    let mut pixels = vec![255u8; (side * side) as usize];
    for (i, c) in colors.iter().enumerate() {
        if *c != Color::Dark {
            continue;
        }
        let (mx, my) = (i as u32 % modules, i as u32 / modules);
        for dy in 0..scale {
            let y = (my + quiet) * scale + dy;
            let start = (y * side + (mx + quiet) * scale) as usize;
            pixels[start..start + scale as usize].fill(0);
        }
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, side, side);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let image = |e: png::EncodingError| QrError::Image(e.to_string());
    let mut writer = encoder.write_header().map_err(image)?;
    writer.write_image_data(&pixels).map_err(image)?;
    writer.finish().map_err(image)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wifi_names_and_passwords_are_escaped() {
        let wifi = Wifi {
            ssid: r#"Hotel "Sea"; Guests, 2:4\5"#.into(),
            password: r"p;a,s:s\w".into(),
            security: Security::Wpa,
            hidden: false,
        };
        assert_eq!(
            wifi_payload(&wifi),
            r#"WIFI:T:WPA;S:Hotel \"Sea\"\; Guests\, 2\:4\\5;P:p\;a\,s\:s\\w;;"#
        );
        let open = Wifi {
            ssid: "Lobby".into(),
            password: String::new(),
            security: Security::Open,
            hidden: true,
        };
        assert_eq!(wifi_payload(&open), "WIFI:T:nopass;S:Lobby;H:true;;");
    }

    #[test]
    fn a_png_is_a_png_and_too_much_text_is_an_error() {
        let image = png("http://192.168.1.20:8080/r/room-12-abc", 4).unwrap();
        assert_eq!(&image[..8], b"\x89PNG\r\n\x1a\n");
        assert!(svg("x", 100).unwrap().starts_with("<?xml"));
        assert!(matches!(png(&"x".repeat(5000), 4), Err(QrError::TooLong)));
    }
}
