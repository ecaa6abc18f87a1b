//! Rich text: runs of text, mentions and inline equations with annotations.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::common::{Color, DateValue, IdRef};
use super::file::CustomEmojiRef;
use super::tagged::{
    Nullable, impl_standalone_serde, impl_tagged_struct_serde, nullable, placeholder,
    shadowed_struct, tagged_union,
};
use super::user::User;

shadowed_struct! {
    /// One rich-text item. In requests only the content (and optionally `annotations`) matters;
    /// Notion fills in `plain_text` and `href` in responses.
    #[derive(Debug, Clone, PartialEq)]
    pub struct RichText with serde via RichTextFields = "RichText" {
        #[serde(skip, default = "placeholder")]
        pub content: RichTextContent,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub annotations: Option<Annotations>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub plain_text: Option<String>,
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            with = "nullable"
        )]
        pub href: Nullable<String>,
        #[serde(flatten)]
        pub extra: Map<String, Value>,
    }
}
impl_tagged_struct_serde!(RichText, RichTextFields, content, required);

tagged_union! {
    /// What a rich-text item holds.
    pub enum RichTextContent {
        Text(TextContent) = "text",
        Mention(Mention) = "mention",
        Equation(Equation) = "equation",
    }
}

/// `text` payload: at most 2,000 characters per item in requests.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TextContent {
    pub content: String,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub link: Nullable<Link>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Link {
    pub url: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A KaTeX expression (inline rich text or an equation block).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Equation {
    pub expression: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Text styling. Notion always sends all six fields; requests may omit the whole object.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Annotations {
    #[serde(default)]
    pub bold: bool,
    #[serde(default)]
    pub italic: bool,
    #[serde(default)]
    pub strikethrough: bool,
    #[serde(default)]
    pub underline: bool,
    #[serde(default)]
    pub code: bool,
    #[serde(default)]
    pub color: Color,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Annotations {
    /// True when nothing is styled (the default look).
    pub fn is_plain(&self) -> bool {
        !self.bold
            && !self.italic
            && !self.strikethrough
            && !self.underline
            && !self.code
            && self.color == Color::Default
    }
}

tagged_union! {
    /// An inline mention.
    pub enum Mention {
        User(User) = "user",
        Page(IdRef) = "page",
        Database(IdRef) = "database",
        DataSource(IdRef) = "data_source",
        Date(DateValue) = "date",
        LinkPreview(LinkPreviewMention) = "link_preview",
        LinkMention(LinkMention) = "link_mention",
        TemplateMention(TemplateMention) = "template_mention",
        CustomEmoji(CustomEmojiRef) = "custom_emoji",
    }
}
impl_standalone_serde!(Mention);

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LinkPreviewMention {
    pub url: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A link shown as a rich mention (title, icon, etc. from the linked site).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LinkMention {
    pub href: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A template mention (`template_mention_date` / `template_mention_user`), kept as sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TemplateMention {
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}

impl RichText {
    fn from_content(content: RichTextContent) -> Self {
        Self {
            content,
            annotations: None,
            plain_text: None,
            href: None,
            extra: Map::new(),
        }
    }

    /// A plain text run (request form: `{"type":"text","text":{"content":...}}`).
    pub fn text(content: impl Into<String>) -> Self {
        Self::from_content(RichTextContent::Text(TextContent {
            content: content.into(),
            link: None,
            extra: Map::new(),
        }))
    }

    /// A text run that links to `url`.
    pub fn text_with_link(content: impl Into<String>, url: impl Into<String>) -> Self {
        Self::from_content(RichTextContent::Text(TextContent {
            content: content.into(),
            link: Some(Some(Link {
                url: url.into(),
                extra: Map::new(),
            })),
            extra: Map::new(),
        }))
    }

    /// An inline KaTeX equation.
    pub fn equation(expression: impl Into<String>) -> Self {
        Self::from_content(RichTextContent::Equation(Equation {
            expression: expression.into(),
            extra: Map::new(),
        }))
    }

    pub fn mention(mention: Mention) -> Self {
        Self::from_content(RichTextContent::Mention(mention))
    }

    /// Sets the styling (omitted annotations mean the default look).
    pub fn with_annotations(mut self, annotations: Annotations) -> Self {
        self.annotations = Some(annotations);
        self
    }

    /// The unformatted text: Notion's `plain_text` when present, otherwise the text content or
    /// equation expression (mentions without `plain_text` give an empty string).
    pub fn plain_text(&self) -> &str {
        if let Some(text) = &self.plain_text {
            return text;
        }
        match &self.content {
            RichTextContent::Text(text) => &text.content,
            RichTextContent::Equation(equation) => &equation.expression,
            RichTextContent::Mention(_) | RichTextContent::Unknown(_) => "",
        }
    }

    /// The link target: `href` from responses, else the text link.
    pub fn link_url(&self) -> Option<&str> {
        if let Some(Some(href)) = &self.href {
            return Some(href);
        }
        match &self.content {
            RichTextContent::Text(TextContent {
                link: Some(Some(link)),
                ..
            }) => Some(&link.url),
            _ => None,
        }
    }

    /// Concatenates the plain text of a rich-text array.
    pub fn concat_plain_text(items: &[RichText]) -> String {
        items.iter().map(RichText::plain_text).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip(value: Value) -> RichText {
        let parsed: RichText = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(serde_json::to_value(&parsed).unwrap(), value);
        parsed
    }

    #[test]
    fn constructors_serialize_to_request_shapes() {
        assert_eq!(
            serde_json::to_value(RichText::text("hi")).unwrap(),
            json!({"type":"text","text":{"content":"hi"}})
        );
        assert_eq!(
            serde_json::to_value(RichText::text_with_link("hi", "https://e.x")).unwrap(),
            json!({"type":"text","text":{"content":"hi","link":{"url":"https://e.x"}}})
        );
        assert_eq!(
            serde_json::to_value(RichText::equation("x^2")).unwrap(),
            json!({"type":"equation","equation":{"expression":"x^2"}})
        );
        let bold = Annotations {
            bold: true,
            ..Annotations::default()
        };
        assert_eq!(
            serde_json::to_value(RichText::text("b").with_annotations(bold)).unwrap(),
            json!({"type":"text","text":{"content":"b"},"annotations":{"bold":true,"italic":false,
                "strikethrough":false,"underline":false,"code":false,"color":"default"}})
        );
    }

    #[test]
    fn every_mention_type_parses() {
        for mention in [
            json!({"type":"user","user":{"object":"user","id":"u"}}),
            json!({"type":"page","page":{"id":"p"}}),
            json!({"type":"database","database":{"id":"d"}}),
            json!({"type":"date","date":{"start":"2026-01-01","end":null,"time_zone":null}}),
            json!({"type":"link_preview","link_preview":{"url":"https://e.x"}}),
            json!({"type":"link_mention","link_mention":{"href":"https://e.x","title":"E"}}),
            json!({"type":"template_mention","template_mention":{"type":"template_mention_date","template_mention_date":"today"}}),
            json!({"type":"custom_emoji","custom_emoji":{"id":"e","name":"n","url":"u"}}),
        ] {
            let item = round_trip(
                json!({"type":"mention","mention":mention,"plain_text":"x","href":null}),
            );
            let RichTextContent::Mention(parsed) = &item.content else {
                panic!("not a mention: {item:?}");
            };
            assert!(!parsed.is_unknown(), "{mention}");
        }
    }

    #[test]
    fn unknown_mentions_and_content_survive() {
        let item = round_trip(
            json!({"type":"mention","mention":{"type":"meeting","meeting":{"id":1}},"plain_text":"m"}),
        );
        assert!(matches!(&item.content, RichTextContent::Mention(m) if m.is_unknown()));
        assert_eq!(item.plain_text(), "m");
        let item =
            round_trip(json!({"type":"sparkle","sparkle":[1,2],"plain_text":"s","href":null}));
        assert!(item.content.is_unknown());
    }

    #[test]
    fn plain_text_falls_back_to_content() {
        assert_eq!(RichText::text("abc").plain_text(), "abc");
        assert_eq!(
            RichText::concat_plain_text(&[RichText::text("a"), RichText::equation("b")]),
            "ab"
        );
        assert_eq!(
            RichText::text_with_link("a", "https://x").link_url(),
            Some("https://x")
        );
    }
}
