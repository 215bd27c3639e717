//! The plates' fonts and their output: DejaVu Sans (Latin, Greek, Cyrillic) embedded in the
//! hub, text measured to fit it, SVG read by usvg and written as PNG by resvg or as PDF by
//! krilla with the fonts subset and embedded.

use std::sync::{Arc, LazyLock};

use krilla::geom::Size;
use krilla::page::PageSettings;
use krilla::Document;
use krilla_svg::{SurfaceExt, SvgSettings};
use resvg::usvg;
use resvg::usvg::fontdb;

const REGULAR: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
const BOLD: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans-Bold.ttf");

/// The family plates are drawn in (embedded), and the SVG's fallbacks for a computer
/// without it, of similar width.
pub(super) const FAMILY: &str = "DejaVu Sans";
pub(super) const FAMILIES: &str = "'DejaVu Sans', Verdana, 'Liberation Sans', Arial, sans-serif";

/// Why a plate could not be drawn.
#[derive(Debug, thiserror::Error)]
pub(super) enum DrawError {
    #[error("the plate's drawing could not be read: {0}")]
    Svg(String),
    #[error("the plate could not be written: {0}")]
    Output(String),
}

struct Fonts {
    db: Arc<fontdb::Database>,
    regular: ttf_parser::Face<'static>,
    bold: ttf_parser::Face<'static>,
}

static FONTS: LazyLock<Option<Fonts>> = LazyLock::new(|| {
    let mut db = fontdb::Database::new();
    db.load_font_source(fontdb::Source::Binary(Arc::new(REGULAR)));
    db.load_font_source(fontdb::Source::Binary(Arc::new(BOLD)));
    db.set_sans_serif_family(FAMILY);
    Some(Fonts {
        db: Arc::new(db),
        regular: ttf_parser::Face::parse(REGULAR, 0).ok()?,
        bold: ttf_parser::Face::parse(BOLD, 0).ok()?,
    })
});

fn fonts() -> Result<&'static Fonts, DrawError> {
    FONTS
        .as_ref()
        .ok_or_else(|| DrawError::Svg("the embedded fonts could not be read".into()))
}

/// The width of `text` set in `size` (any unit; the result is in the same), without kerning.
pub(super) fn width(text: &str, size: f32, bold: bool) -> f32 {
    let Ok(fonts) = fonts() else {
        return text.chars().count() as f32 * size * 0.6;
    };
    let face = if bold { &fonts.bold } else { &fonts.regular };
    let em = f32::from(face.units_per_em());
    let units: f32 = text
        .chars()
        .map(|c| {
            face.glyph_index(c)
                .and_then(|g| face.glyph_hor_advance(g))
                .map_or(em * 0.6, f32::from)
        })
        .sum();
    units * size / em
}

/// The ascent and descent of a line in `size`, as fractions of it (from the face's `hhea`).
pub(super) fn extent(size: f32) -> (f32, f32) {
    match fonts() {
        Ok(f) => {
            let em = f32::from(f.regular.units_per_em());
            (
                f32::from(f.regular.ascender()) * size / em,
                -f32::from(f.regular.descender()) * size / em,
            )
        }
        Err(_) => (0.93 * size, 0.24 * size),
    }
}

/// Reads an SVG with the embedded fonts. Images come only from `data:` URLs: a path or
/// address in an uploaded logo is never opened.
pub(super) fn read_svg(svg: &str) -> Result<usvg::Tree, DrawError> {
    let fonts = fonts()?;
    let options = usvg::Options {
        font_family: FAMILY.into(),
        fontdb: fonts.db.clone(),
        image_href_resolver: usvg::ImageHrefResolver {
            resolve_data: usvg::ImageHrefResolver::default_data_resolver(),
            resolve_string: Box::new(|_, _| None),
        },
        ..usvg::Options::default()
    };
    usvg::Tree::from_str(svg, &options).map_err(|e| DrawError::Svg(e.to_string()))
}

/// `svg` as a PNG at `dpi` dots per inch (the SVG's own size is at 96, CSS's pixel).
pub(super) fn png(svg: &str, dpi: f32) -> Result<Vec<u8>, DrawError> {
    let tree = read_svg(svg)?;
    let scale = dpi / 96.0;
    let size = tree
        .size()
        .to_int_size()
        .scale_by(scale)
        .ok_or_else(|| DrawError::Output("the plate has no size".into()))?;
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height())
        .ok_or_else(|| DrawError::Output("the plate is too large".into()))?;
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    // The resolution goes in the file (pHYs, PNG §11.3.5.3), so that a word processor or
    // a photo printer places the plate at its true size.
    let rgba: Vec<u8> = pixmap
        .pixels()
        .iter()
        .flat_map(|p| {
            let c = p.demultiply();
            [c.red(), c.green(), c.blue(), c.alpha()]
        })
        .collect();
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, pixmap.width(), pixmap.height());
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let per_metre = (dpi / 0.0254).round() as u32;
    encoder.set_pixel_dims(Some(png::PixelDimensions {
        xppu: per_metre,
        yppu: per_metre,
        unit: png::Unit::Meter,
    }));
    let failed = |e: png::EncodingError| DrawError::Output(e.to_string());
    let mut writer = encoder.write_header().map_err(failed)?;
    writer.write_image_data(&rgba).map_err(failed)?;
    writer.finish().map_err(failed)?;
    Ok(out)
}

/// A PDF of one page for each of `pages`, each page the SVG's size, with its text as
/// text (searchable, copyable) in the embedded fonts.
pub(super) fn pdf(pages: &[String]) -> Result<Vec<u8>, DrawError> {
    let mut document = Document::new();
    for svg in pages {
        let tree = read_svg(svg)?;
        // usvg sizes are CSS pixels (1/96 in); PDF's unit is the point (1/72 in).
        let (w, h) = (tree.size().width() * 0.75, tree.size().height() * 0.75);
        let bad = || DrawError::Output("the plate has no size".into());
        let mut page = document.start_page_with(PageSettings::from_wh(w, h).ok_or_else(bad)?);
        let mut surface = page.surface();
        surface.draw_svg(
            &tree,
            Size::from_wh(w, h).ok_or_else(bad)?,
            SvgSettings::default(),
        );
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|e| DrawError::Output(format!("{e:?}")))
}
