//! Inline content (styled text runs, links, inline equations) turned into Notion rich-text items
//! that respect the limits: each text item at most 2,000 UTF-16 units (never splitting a
//! character), at most 100 items and [`MAX_RICH_TEXT_BYTES`] of JSON per rich-text array.

use crate::notion::model::{Annotations, Color, RichText, RichTextContent};

use super::limits::{MAX_EQUATION_UTF16, MAX_RICH_TEXT_BYTES, MAX_RICH_TEXT_ITEMS, MAX_TEXT_UTF16};

/// The styles Markdown can express on a run of text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Style {
    pub bold: bool,
    pub italic: bool,
    pub strikethrough: bool,
    pub code: bool,
}

impl Style {
    fn annotations(self) -> Option<Annotations> {
        if self == Self::default() {
            return None;
        }
        Some(Annotations {
            bold: self.bold,
            italic: self.italic,
            strikethrough: self.strikethrough,
            code: self.code,
            ..Annotations::default()
        })
    }
}

/// One piece of inline content, before splitting.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Inline {
    Text {
        text: String,
        style: Style,
        link: Option<String>,
    },
    Equation(String),
}

impl Inline {
    pub fn plain(text: impl Into<String>) -> Self {
        Self::Text {
            text: text.into(),
            style: Style::default(),
            link: None,
        }
    }

    pub fn text(&self) -> &str {
        match self {
            Self::Text { text, .. } => text,
            Self::Equation(expression) => expression,
        }
    }
}

/// Length as Notion counts it (UTF-16 code units; never less than the number of characters).
pub fn utf16_len(text: &str) -> usize {
    text.chars().map(char::len_utf16).sum()
}

/// Splits `text` into pieces of at most `max_units` UTF-16 units, on character boundaries. An
/// empty text gives no pieces.
pub fn split_units(text: &str, max_units: usize) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut units = 0;
    for (index, ch) in text.char_indices() {
        let len = ch.len_utf16();
        if units + len > max_units && index > start {
            pieces.push(&text[start..index]);
            start = index;
            units = 0;
        }
        units += len;
    }
    if start < text.len() {
        pieces.push(&text[start..]);
    }
    pieces
}

fn text_item(content: &str, style: Style, link: Option<&str>) -> RichText {
    let item = match link {
        Some(url) => RichText::text_with_link(content, url),
        None => RichText::text(content),
    };
    match style.annotations() {
        Some(annotations) => item.with_annotations(annotations),
        None => item,
    }
}

/// Merges neighbouring runs with the same style and link, then splits them into rich-text items
/// within the per-item limits. Empty runs disappear; nothing else does.
pub(crate) fn to_items(inlines: Vec<Inline>) -> Vec<RichText> {
    let mut merged: Vec<Inline> = Vec::with_capacity(inlines.len());
    for inline in inlines {
        match (merged.last_mut(), inline) {
            (_, Inline::Text { text, .. }) if text.is_empty() => {}
            (_, Inline::Equation(expression)) if expression.is_empty() => {}
            (
                Some(Inline::Text {
                    text: last,
                    style: last_style,
                    link: last_link,
                }),
                Inline::Text { text, style, link },
            ) if *last_style == style && *last_link == link => last.push_str(&text),
            (_, inline) => merged.push(inline),
        }
    }
    let mut items = Vec::with_capacity(merged.len());
    for inline in merged {
        match inline {
            Inline::Text { text, style, link } => {
                for piece in split_units(&text, MAX_TEXT_UTF16) {
                    items.push(text_item(piece, style, link.as_deref()));
                }
            }
            Inline::Equation(expression) if utf16_len(&expression) <= MAX_EQUATION_UTF16 => {
                items.push(RichText::equation(expression));
            }
            // The parser already turned long equations into code (with a warning); this is the
            // last guard so a caller's input can never produce an invalid item.
            Inline::Equation(expression) => {
                let code = Style {
                    code: true,
                    ..Style::default()
                };
                for piece in split_units(&expression, MAX_TEXT_UTF16) {
                    items.push(text_item(piece, code, None));
                }
            }
        }
    }
    items
}

/// JSON size of one item in a request, or a close upper bound of it: serializing every item
/// of a long document is slow, and only a bound is needed to stay under the byte budgets.
pub(crate) fn item_bytes(item: &RichText) -> usize {
    let plain_item = item.plain_text.is_none() && item.href.is_none() && item.extra.is_empty();
    let annotations = match &item.annotations {
        None => Some(0),
        // `,"annotations":{"bold":false,...,"color":"default"}`
        Some(a) if a.extra.is_empty() && a.color == Color::Default => Some(120),
        Some(_) => None,
    };
    let estimate = match (&item.content, annotations) {
        // `{"type":"text","text":{"content":""}}` plus `,"link":{"url":""}`
        (RichTextContent::Text(text), Some(annotations)) if plain_item && text.extra.is_empty() => {
            let link = match &text.link {
                None => Some(0),
                Some(Some(link)) if link.extra.is_empty() => Some(20 + escaped_len(&link.url)),
                Some(_) => None,
            };
            link.map(|link| 40 + escaped_len(&text.content) + link + annotations)
        }
        // `{"type":"equation","equation":{"expression":""}}`
        (RichTextContent::Equation(equation), Some(annotations))
            if plain_item && equation.extra.is_empty() =>
        {
            Some(50 + escaped_len(&equation.expression) + annotations)
        }
        _ => None,
    };
    estimate.unwrap_or_else(|| serde_json::to_vec(item).map_or(usize::MAX / 4, |json| json.len()))
}

/// Length of a string inside JSON quotes, counting control characters as `\uXXXX` (a bound).
fn escaped_len(text: &str) -> usize {
    text.bytes()
        .map(|byte| match byte {
            b'"' | b'\\' => 2,
            0..=0x1f => 6,
            _ => 1,
        })
        .sum()
}

/// Groups items into consecutive arrays of at most 100 items and [`MAX_RICH_TEXT_BYTES`] of JSON
/// each. Always returns at least one (possibly empty) group.
pub(crate) fn group_items(items: Vec<RichText>) -> Vec<Vec<RichText>> {
    let mut groups = vec![Vec::new()];
    let mut bytes = 0;
    for item in items {
        let size = item_bytes(&item) + 1;
        let Some(current) = groups.last_mut() else {
            continue;
        };
        if !current.is_empty()
            && (current.len() >= MAX_RICH_TEXT_ITEMS || bytes + size > MAX_RICH_TEXT_BYTES)
        {
            groups.push(vec![item]);
            bytes = size;
        } else {
            current.push(item);
            bytes += size;
        }
    }
    groups
}

/// Fits items into one rich-text array (a table cell or caption cannot continue elsewhere): if
/// they do not fit, the formatting of the tail is merged into plain text items, keeping every
/// character. `None` when even plain text would not fit.
pub(crate) fn fit_single(items: Vec<RichText>) -> Option<Vec<RichText>> {
    let fits = |candidate: &[RichText]| {
        candidate.len() <= MAX_RICH_TEXT_ITEMS
            && candidate
                .iter()
                .map(|item| item_bytes(item) + 1)
                .sum::<usize>()
                <= MAX_RICH_TEXT_BYTES
    };
    if fits(&items) {
        return Some(items);
    }
    for keep in (0..items.len().min(MAX_RICH_TEXT_ITEMS)).rev() {
        let tail: String = items[keep..].iter().map(item_text).collect();
        let mut candidate: Vec<RichText> = items[..keep].to_vec();
        candidate.extend(
            split_units(&tail, MAX_TEXT_UTF16)
                .into_iter()
                .map(RichText::text),
        );
        if fits(&candidate) {
            return Some(candidate);
        }
    }
    None
}

/// The text an item contributes (text content or equation expression).
pub(crate) fn item_text(item: &RichText) -> &str {
    match &item.content {
        RichTextContent::Text(text) => &text.content,
        RichTextContent::Equation(equation) => &equation.expression,
        RichTextContent::Mention(_) | RichTextContent::Unknown(_) => item.plain_text(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn styled(text: &str, style: Style) -> Inline {
        Inline::Text {
            text: text.into(),
            style,
            link: None,
        }
    }

    #[test]
    fn splits_on_utf16_units_without_breaking_characters() {
        assert!(split_units("", 3).is_empty());
        assert_eq!(split_units("abcdefg", 3), vec!["abc", "def", "g"]);
        // Emoji are two UTF-16 units: a piece never ends in the middle of one.
        assert_eq!(split_units("a😀😀b", 3), vec!["a😀", "😀b"]);
        assert_eq!(split_units("😀😀", 1), vec!["😀", "😀"]);
        let long = "é".repeat(4_500);
        let pieces = split_units(&long, MAX_TEXT_UTF16);
        assert_eq!(pieces.len(), 3);
        assert_eq!(pieces.concat(), long);
        assert!(pieces.iter().all(|p| utf16_len(p) <= MAX_TEXT_UTF16));
    }

    #[test]
    fn merges_equal_runs_and_splits_long_ones() {
        let bold = Style {
            bold: true,
            ..Style::default()
        };
        let items = to_items(vec![
            Inline::plain("a"),
            Inline::plain("b"),
            styled("", bold),
            styled("c", bold),
            Inline::Equation("x^2".into()),
        ]);
        assert_eq!(
            serde_json::to_value(&items).unwrap(),
            json!([
                {"type":"text","text":{"content":"ab"}},
                {"type":"text","text":{"content":"c"},"annotations":{"bold":true,"italic":false,
                    "strikethrough":false,"underline":false,"code":false,"color":"default"}},
                {"type":"equation","equation":{"expression":"x^2"}}
            ])
        );
        let items = to_items(vec![Inline::plain("x".repeat(4_001))]);
        assert_eq!(items.len(), 3);
        assert_eq!(
            items
                .iter()
                .map(item_text)
                .map(str::len)
                .collect::<Vec<_>>(),
            vec![2_000, 2_000, 1]
        );
    }

    #[test]
    fn item_size_estimates_bound_the_json_closely() {
        let bold = Style {
            bold: true,
            ..Style::default()
        };
        let items = vec![
            RichText::text(""),
            RichText::text("plain \" \\ \n \u{1} 😀 語"),
            text_item("styled", bold, None),
            text_item("linked \"x\"", bold, Some("https://e.x/?q=\"a\"")),
            RichText::text_with_link("l", "https://e.x"),
            RichText::equation("\\frac{a}{b}"),
            RichText::equation("x").with_annotations(Annotations {
                italic: true,
                ..Annotations::default()
            }),
        ];
        for item in items {
            let exact = serde_json::to_vec(&item).unwrap().len();
            let estimate = item_bytes(&item);
            assert!(estimate >= exact, "{estimate} < {exact} for {item:?}");
            assert!(
                estimate <= exact + 24,
                "{estimate} far above {exact} for {item:?}"
            );
        }
    }

    #[test]
    fn groups_hold_at_most_100_items() {
        let items: Vec<_> = (0..250).map(|i| RichText::text(i.to_string())).collect();
        let groups = group_items(items);
        assert_eq!(
            groups.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![100, 100, 50]
        );
        assert_eq!(group_items(Vec::new()), vec![Vec::<RichText>::new()]);
    }

    #[test]
    fn groups_respect_the_byte_budget() {
        // 100 items of 2,000 three-byte characters would be about 600 KB in one block.
        let items = to_items(vec![Inline::plain("語".repeat(200_000))]);
        assert_eq!(items.len(), 100);
        let groups = group_items(items);
        assert!(groups.len() > 1);
        for group in &groups {
            let bytes: usize = group.iter().map(|item| item_bytes(item) + 1).sum();
            assert!(bytes <= MAX_RICH_TEXT_BYTES);
        }
    }

    #[test]
    fn fit_single_merges_formatting_but_keeps_text() {
        let bold = Style {
            bold: true,
            ..Style::default()
        };
        let inlines: Vec<_> = (0..150)
            .map(|i| {
                styled(
                    &format!("w{i} "),
                    if i % 2 == 0 { bold } else { Style::default() },
                )
            })
            .collect();
        let expected: String = inlines.iter().map(Inline::text).collect();
        let fitted = fit_single(to_items(inlines)).unwrap();
        assert!(fitted.len() <= MAX_RICH_TEXT_ITEMS);
        assert_eq!(fitted.iter().map(item_text).collect::<String>(), expected);
        assert!(fit_single(to_items(vec![Inline::plain("語".repeat(400_000))])).is_none());
    }
}
