//! Inline content being collected for a paragraph, heading or table cell, and the URL checks
//! that decide whether Notion would accept a link or image.

use super::super::limits::MAX_LINK_URL_UTF16;
use super::super::rich_text::{Inline, Style, utf16_len};

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum InlineKind {
    Paragraph,
    Heading(u8),
    Cell,
}

/// A piece of a paragraph, heading or cell: inline content, or something that becomes its own
/// block in a paragraph.
pub(super) enum Piece {
    Inline(Inline),
    Image {
        url: String,
        alt: Vec<Inline>,
        line: usize,
    },
    Display {
        expression: String,
        line: usize,
    },
}

pub(super) struct ImageBuf {
    pub(super) url: String,
    pub(super) alt: Vec<Inline>,
    pub(super) line: usize,
}

pub(super) struct InlineBuf {
    pub(super) kind: InlineKind,
    pub(super) line: usize,
    pub(super) pieces: Vec<Piece>,
    pub(super) strong: u32,
    pub(super) emphasis: u32,
    pub(super) strikethrough: u32,
    /// Open links; `None` for a link kept as text.
    pub(super) links: Vec<Option<String>>,
    pub(super) images: Vec<ImageBuf>,
}

impl InlineBuf {
    pub(super) fn new(kind: InlineKind, line: usize) -> Self {
        Self {
            kind,
            line,
            pieces: Vec::new(),
            strong: 0,
            emphasis: 0,
            strikethrough: 0,
            links: Vec::new(),
            images: Vec::new(),
        }
    }

    pub(super) fn style(&self, code: bool) -> Style {
        Style {
            bold: self.strong > 0,
            italic: self.emphasis > 0,
            strikethrough: self.strikethrough > 0,
            code,
        }
    }

    pub(super) fn link(&self) -> Option<String> {
        self.links.last().cloned().flatten()
    }

    pub(super) fn text(&mut self, text: &str, code: bool) {
        let inline = Inline::Text {
            text: text.to_owned(),
            style: self.style(code),
            link: self.link(),
        };
        self.push(Piece::Inline(inline));
    }

    pub(super) fn push(&mut self, piece: Piece) {
        match self.images.last_mut() {
            // Inside an image only its description (alt text) is collected.
            Some(image) => match piece {
                Piece::Inline(inline) => image.alt.push(inline),
                Piece::Image { alt, .. } => image.alt.extend(alt),
                Piece::Display { expression, .. } => image.alt.push(Inline::Equation(expression)),
            },
            None => self.pieces.push(piece),
        }
    }
}

/// The URL to send for a link, or why Notion would reject it. A URL with spaces or non-ASCII
/// characters is sent percent-encoded; others exactly as written.
pub(super) fn checked_link(url: &str) -> Result<String, &'static str> {
    checked_url(url, &["http", "https", "mailto"])
        .map_err(|problem| problem.unwrap_or("Notion accepts only http(s) and mailto links"))
}

/// The URL to send for an external image, or why Notion could not load it.
pub(super) fn checked_image(url: &str) -> Result<String, &'static str> {
    checked_url(url, &["http", "https"]).map_err(|problem| problem.unwrap_or("not an http(s) URL"))
}

/// `Err(None)`: a scheme not in `schemes`.
fn checked_url(url: &str, schemes: &[&str]) -> Result<String, Option<&'static str>> {
    let parsed = url::Url::parse(url).map_err(|_| Some("not an absolute URL"))?;
    if !schemes.contains(&parsed.scheme()) {
        return Err(None);
    }
    let clean = url.bytes().all(|byte| byte.is_ascii_graphic());
    let url = if clean {
        url.to_owned()
    } else {
        parsed.to_string()
    };
    if utf16_len(&url) > MAX_LINK_URL_UTF16 {
        return Err(Some("longer than 2,000 characters"));
    }
    Ok(url)
}

/// At most 100 characters of a source string, for messages.
pub(super) fn excerpt(text: &str) -> String {
    match text.char_indices().nth(100) {
        Some((index, _)) => format!("{}…", &text[..index]),
        None => text.to_owned(),
    }
}
