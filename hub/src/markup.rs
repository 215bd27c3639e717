//! Text put into HTML and SVG: escaping for element content and quoted attribute values
//! (HTML Living Standard §13.1.2.3, "ambiguous ampersand" and attribute quoting).

/// `s` with `&`, `<`, `>` and `"` replaced by their character references.
pub fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
