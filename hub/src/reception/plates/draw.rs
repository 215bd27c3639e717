//! A plate drawn as SVG in millimetres: logo, heading, the unit's name, the QR code on its
//! white card, the invitation and the address, stacked and centred, each text fitted to the
//! width; and stickers laid out on A4 sheets to be cut.

use std::fmt::Write;

use super::design::{PlateDesign, PlateFormat};
use super::fonts::{self, FAMILIES};
use crate::markup::html_escape as esc;
use crate::reception::qr::{self, QrError};

/// One plate's own content.
#[derive(Debug, Clone)]
pub(super) struct Plate {
    /// The unit's name, or "Wi-Fi" on the network's plate.
    pub title: String,
    /// What the code holds: the page's address or the `WIFI:` payload.
    pub payload: String,
    /// Under the code instead of the design's invitation (the network and its password);
    /// empty for the invitation.
    pub lines: Vec<String>,
    /// Shown small under everything when the design asks for it; empty for none.
    pub address: String,
    /// The messengers the hotel answers on ("Or write from your messenger: Telegram ·
    /// WhatsApp"), under the invitation; empty for none.
    pub messengers: String,
}

/// ISO 216 A4, the sheet stickers are printed on, in millimetres.
const A4: (f32, f32) = (210.0, 297.0);
/// The printer's margin and the cut between stickers; plates on a sheet go edge to edge
/// (four A6 make an A4), their outer edge blank in the frame's margin.
const STICKER_MARGIN: f32 = 10.0;
const STICKER_GAP: f32 = 5.0;

/// A text set to fit: its lines and their size in millimetres.
struct Fitted {
    lines: Vec<String>,
    size: f32,
    bold: bool,
    colour: String,
    opacity: f32,
}

impl Fitted {
    fn height(&self) -> f32 {
        let (ascent, descent) = fonts::extent(self.size);
        ascent + descent + (self.lines.len() as f32 - 1.0) * 1.2 * self.size
    }
}

enum Item {
    Logo(f32),
    Text(Fitted),
    Code,
}

/// Breaks `text` into lines no wider than `width` at `size`, cutting a word only when it
/// is wider than a line on its own.
fn wrap(text: &str, size: f32, bold: bool, width: f32) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let tried = if line.is_empty() {
            word.to_owned()
        } else {
            format!("{line} {word}")
        };
        if fonts::width(&tried, size, bold) <= width {
            line = tried;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        for c in word.chars() {
            line.push(c);
            if fonts::width(&line, size, bold) > width && line.chars().count() > 1 {
                line.pop();
                lines.push(std::mem::replace(&mut line, c.to_string()));
            }
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// `text` in as few lines as read well: one line down to 70 % of `size`, then more lines,
/// the last try going down to 55 %. What still does not fit `max_lines` lines of `width`
/// ends in an ellipsis at the smallest size.
fn fit(text: &str, size: f32, bold: bool, width: f32, max_lines: usize) -> (Vec<String>, f32) {
    for allowed in 1..=max_lines {
        let floor = if allowed < max_lines { 0.7 } else { 0.55 };
        let mut s = size;
        while s >= size * floor - 1e-3 {
            let lines = wrap(text, s, bold, width);
            if lines.len() <= allowed {
                return (lines, s);
            }
            s -= size * 0.05;
        }
    }
    let s = size * 0.55;
    let mut lines = wrap(text, s, bold, width);
    lines.truncate(max_lines);
    if let Some(last) = lines.last_mut() {
        while !last.is_empty() && fonts::width(&format!("{last}…"), s, bold) > width {
            last.pop();
        }
        last.push('…');
    }
    (lines, s)
}

/// The plate's content in millimetres from (0, 0) to its format's size.
fn body(design: &PlateDesign, plate: &Plate) -> Result<String, QrError> {
    let (w, h) = design.format.size_mm();
    let sticker = design.format.is_sticker();
    let pad = 0.07 * w;
    let inner = w - 2.0 * pad;
    let gap = 0.025 * h;
    let lines = if sticker { 1 } else { 2 };
    // A sticker's code may be a little smaller before the texts give way: it is read from
    // closer, on a key ring or a dashboard.
    let least_code = if sticker { 0.36 * w } else { 0.4 * w };
    let text = |t: &str, size: f32, bold: bool, colour: &str, opacity: f32, max: usize| {
        let (lines, size) = fit(t, size, bold, inner, max);
        Item::Text(Fitted {
            lines,
            size,
            bold,
            colour: colour.to_owned(),
            opacity,
        })
    };
    let mut items = Vec::new();
    if !design.logo.is_empty() {
        items.push(Item::Logo(if sticker { 0.14 * h } else { 0.12 * h }));
    }
    if !design.heading.trim().is_empty() {
        items.push(text(
            &design.heading,
            0.07 * w,
            false,
            &design.accent,
            1.0,
            lines,
        ));
    }
    if design.show_room && !plate.title.trim().is_empty() {
        items.push(text(&plate.title, 0.11 * w, true, &design.ink, 1.0, 2));
    }
    items.push(Item::Code);
    if plate.lines.is_empty() {
        if !design.invitation.trim().is_empty() {
            let max = if sticker { 2 } else { 3 };
            items.push(text(
                &design.invitation,
                0.048 * w,
                false,
                &design.ink,
                1.0,
                max,
            ));
        }
    } else {
        for l in &plate.lines {
            items.push(text(l, 0.052 * w, false, &design.ink, 1.0, lines));
        }
    }
    if !plate.messengers.is_empty() {
        items.push(text(
            &plate.messengers,
            0.04 * w,
            false,
            &design.ink,
            0.9,
            lines,
        ));
    }
    let address_size = 0.034 * w;
    if design.show_address && !plate.address.is_empty() && address_size >= 1.8 {
        items.push(text(
            &plate.address,
            address_size,
            false,
            &design.ink,
            0.75,
            1,
        ));
    }
    // The code is what the plate is for: texts and logo give way until it has room.
    let code_side = |items: &[Item]| {
        let used: f32 = items
            .iter()
            .map(|i| match i {
                Item::Logo(lh) => *lh,
                Item::Text(t) => t.height(),
                Item::Code => 0.0,
            })
            .sum::<f32>()
            + gap * (items.len() as f32 - 1.0);
        (h - 2.0 * pad - used).min(0.8 * inner)
    };
    while code_side(&items) < least_code {
        let drop = items.iter().rposition(|i| !matches!(i, Item::Code));
        match drop {
            Some(i) => items.remove(i),
            None => break,
        };
    }
    let side = code_side(&items).max(0.3 * w);
    let total: f32 = items
        .iter()
        .map(|i| match i {
            Item::Logo(lh) => *lh,
            Item::Text(t) => t.height(),
            Item::Code => side,
        })
        .sum::<f32>()
        + gap * (items.len() as f32 - 1.0);
    let mut y = ((h - total) / 2.0).max(pad);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<rect width="{w}" height="{h}" fill="{bg}"/><rect x="{f}" y="{f}" width="{fw}" height="{fh}" rx="{r}" fill="none" stroke="{accent}" stroke-width="{sw}"/>"#,
        bg = design.background,
        f = pad / 3.0,
        fw = w - 2.0 * pad / 3.0,
        fh = h - 2.0 * pad / 3.0,
        r = pad / 2.0,
        accent = design.accent,
        sw = 0.01 * w,
    );
    for item in &items {
        match item {
            Item::Logo(lh) => {
                let _ = write!(
                    svg,
                    r#"<image x="{pad}" y="{y}" width="{inner}" height="{lh}" preserveAspectRatio="xMidYMid meet" href="{}"/>"#,
                    esc(&design.logo)
                );
                y += lh;
            }
            Item::Text(t) => {
                let (ascent, _) = fonts::extent(t.size);
                for (n, line) in t.lines.iter().enumerate() {
                    let _ = write!(
                        svg,
                        r#"<text x="{x}" y="{base}" font-family="{FAMILIES}" font-size="{s}" font-weight="{wt}" fill="{c}" fill-opacity="{o}" text-anchor="middle">{}</text>"#,
                        esc(line),
                        x = w / 2.0,
                        base = y + ascent + n as f32 * 1.2 * t.size,
                        s = t.size,
                        wt = if t.bold { "bold" } else { "normal" },
                        c = t.colour,
                        o = t.opacity,
                    );
                }
                y += t.height();
            }
            Item::Code => {
                svg.push_str(&code(&plate.payload, (w - side) / 2.0, y, side)?);
                y += side;
            }
        }
        y += gap;
    }
    Ok(svg)
}

/// The code on a white card `side` mm square at (`x`, `y`), with a quiet zone of four
/// modules (ISO/IEC 18004 §7.3.7) whatever the plate's colour; dark modules are one path,
/// a row's run of them one rectangle.
fn code(payload: &str, x: f32, y: f32, side: f32) -> Result<String, QrError> {
    let (n, dark) = qr::modules(payload)?;
    let quiet = 4;
    let module = side / (n + 2 * quiet) as f32;
    let mut d = String::new();
    for row in 0..n {
        let mut col = 0;
        while col < n {
            if !dark[row * n + col] {
                col += 1;
                continue;
            }
            let start = col;
            while col < n && dark[row * n + col] {
                col += 1;
            }
            let _ = write!(
                d,
                "M{} {}h{}v1h-{}z",
                start + quiet,
                row + quiet,
                col - start,
                col - start
            );
        }
    }
    Ok(format!(
        r##"<rect x="{x}" y="{y}" width="{side}" height="{side}" rx="{module}" fill="#ffffff"/><path transform="translate({x} {y}) scale({module})" fill="#000000" d="{d}"/>"##
    ))
}

fn document(w: f32, h: f32, content: &str) -> String {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}mm" height="{h}mm" viewBox="0 0 {w} {h}">{content}</svg>"#
    )
}

/// One plate as a standalone SVG of its format's size.
pub(super) fn plate_svg(design: &PlateDesign, plate: &Plate) -> Result<String, QrError> {
    let (w, h) = design.format.size_mm();
    Ok(document(w, h, &body(design, plate)?))
}

/// Every plate as printed pages: a plate a page of its own size, or (stickers, and A6
/// plates when the design asks) as many as fit on an A4 sheet, each with a dashed line to
/// cut along.
pub(super) fn pages(design: &PlateDesign, plates: &[Plate]) -> Result<Vec<String>, QrError> {
    if paper(design).0 != "a4" {
        return plates.iter().map(|p| plate_svg(design, p)).collect();
    }
    let (w, h) = design.format.size_mm();
    let (margin, gap) = if design.format.is_sticker() {
        (STICKER_MARGIN, STICKER_GAP)
    } else {
        (0.0, 0.0)
    };
    let fit = |room: f32, size: f32| ((room + gap) / (size + gap) + 1e-3).floor().max(1.0) as usize;
    let cols = fit(A4.0 - 2.0 * margin, w);
    let rows = fit(A4.1 - 2.0 * margin, h);
    let left = (A4.0 - cols as f32 * w - (cols - 1) as f32 * gap) / 2.0;
    let top = (A4.1 - rows as f32 * h - (rows - 1) as f32 * gap) / 2.0;
    let mut sheets = Vec::new();
    for chunk in plates.chunks(cols * rows) {
        let mut content = String::new();
        for (i, plate) in chunk.iter().enumerate() {
            let x = left + (i % cols) as f32 * (w + gap);
            let y = top + (i / cols) as f32 * (h + gap);
            let _ = write!(
                content,
                r##"<g transform="translate({x} {y})">{}</g><rect x="{cx}" y="{cy}" width="{cw}" height="{ch}" fill="none" stroke="#9aa0a6" stroke-width="0.2" stroke-dasharray="1.5 1.5"/>"##,
                body(design, plate)?,
                cx = x - 0.5,
                cy = y - 0.5,
                cw = w + 1.0,
                ch = h + 1.0,
            );
        }
        sheets.push(document(A4.0, A4.1, &content));
    }
    Ok(sheets)
}

/// The paper a design is printed on: its named page in the print view's style sheet and
/// its size in millimetres.
pub(super) fn paper(design: &PlateDesign) -> (&'static str, (f32, f32)) {
    match design.format {
        PlateFormat::A6Plate if !design.sheet => ("a6", design.format.size_mm()),
        PlateFormat::A5Plate => ("a5", design.format.size_mm()),
        PlateFormat::A6Plate | PlateFormat::Sticker50 | PlateFormat::Sticker70 => ("a4", A4),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plate(title: &str) -> Plate {
        Plate {
            title: title.into(),
            payload: "http://192.168.1.20:8080/r/room-12-k3m9qz".into(),
            lines: vec![],
            address: "192.168.1.20:8080/r/room-12-k3m9qz".into(),
            messengers: "Or write from your messenger: Telegram · WhatsApp".into(),
        }
    }

    #[test]
    fn long_texts_are_fitted_to_the_width_and_the_code_keeps_its_room() {
        let mut design = PlateDesign::starting("Hotel", "Scan me", "#1f6f8b");
        design.heading = "Гостевой дом «Морской бриз» у самого синего моря".into();
        let svg = plate_svg(
            &design,
            &plate("Δωμάτιο 12 με θέα στη θάλασσα και μπαλκόνι"),
        )
        .unwrap();
        assert!(svg.contains("Δωμάτιο"));
        assert!(fonts::read_svg(&svg).is_ok());
        let heading = "Гостевой дом «Морской бриз» у самого синего моря";
        assert!(
            fonts::width(heading, 7.35, false) > 90.3,
            "too wide for one line"
        );
        let (lines, size) = fit(heading, 7.35, false, 90.3, 2);
        assert_eq!(lines.len(), 2);
        assert!((7.35 * 0.55..=7.35).contains(&size));
        assert!(lines.iter().all(|l| fonts::width(l, size, false) <= 90.3));
        assert_eq!(lines.join(" "), heading, "wrapped at spaces, nothing lost");
        let (lines, _) = fit(&"Ω".repeat(400), 7.35, true, 90.3, 2);
        assert_eq!(lines.len(), 2);
        assert!(lines[1].ends_with('…'), "what cannot fit is cut, visibly");
    }

    #[test]
    fn stickers_go_fifteen_to_an_a4_sheet() {
        let mut design = PlateDesign::starting("Hotel", "Scan me", "#1f6f8b");
        design.format = PlateFormat::Sticker50;
        let plates: Vec<Plate> = (1..=16).map(|n| plate(&format!("Room {n}"))).collect();
        let sheets = pages(&design, &plates).unwrap();
        assert_eq!(sheets.len(), 2);
        assert_eq!(sheets[0].matches("<g transform").count(), 15);
        assert!(sheets[0].contains(r#"width="210mm" height="297mm""#));
        design.format = PlateFormat::A6Plate;
        assert_eq!(pages(&design, &plates).unwrap().len(), 16, "a page each");
        design.sheet = true;
        let sheets = pages(&design, &plates).unwrap();
        assert_eq!(sheets.len(), 4, "four A6 make an A4");
        assert!(sheets[0].contains(r#"<g transform="translate(105 148.5)">"#));
    }
}
