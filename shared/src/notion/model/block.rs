//! Blocks: the content of pages. The same type serves responses (ids, timestamps, parent) and
//! append/create requests (all response-only fields `None`, children nested inside the payload,
//! as Notion's request form wants: `{"type":"toggle","toggle":{"rich_text":[],"children":[]}}`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};

use super::common::{Color, EmptyObject, Parent};
use super::file::{FileObject, Icon};
use super::rich_text::RichText;
use super::tagged::{
    Nullable, impl_standalone_serde, impl_tagged_struct_serde, nullable, placeholder,
    shadowed_struct, tagged_union,
};
use super::user::User;

shadowed_struct! {
    /// A block. Children are never inlined in responses: when `has_children` is true, list them.
    #[derive(Debug, Clone, PartialEq)]
    pub struct Block with serde via BlockFields = "Block" {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub object: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub parent: Option<Parent>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub created_time: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub created_by: Option<User>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub last_edited_time: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub last_edited_by: Option<User>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub has_children: Option<bool>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub in_trash: Option<bool>,
        /// The `type` and its payload.
        #[serde(skip, default = "placeholder")]
        pub content: BlockContent,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub request_id: Option<String>,
        /// Fields this model does not name (e.g. `archived` from versions before 2026-03-11).
        #[serde(flatten)]
        pub extra: Map<String, Value>,
    }
}
impl_tagged_struct_serde!(Block, BlockFields, content, required);

tagged_union! {
    /// Every block type of Notion-Version 2026-03-11, plus `transcription` (its old name).
    pub enum BlockContent {
        Paragraph(TextBlock) = "paragraph",
        Heading1(HeadingBlock) = "heading_1",
        Heading2(HeadingBlock) = "heading_2",
        Heading3(HeadingBlock) = "heading_3",
        Heading4(HeadingBlock) = "heading_4",
        BulletedListItem(TextBlock) = "bulleted_list_item",
        NumberedListItem(NumberedListItemBlock) = "numbered_list_item",
        ToDo(ToDoBlock) = "to_do",
        Toggle(TextBlock) = "toggle",
        Quote(TextBlock) = "quote",
        Callout(CalloutBlock) = "callout",
        Code(CodeBlock) = "code",
        Equation(EquationBlock) = "equation",
        Divider(EmptyObject) = "divider",
        Breadcrumb(EmptyObject) = "breadcrumb",
        TableOfContents(TableOfContentsBlock) = "table_of_contents",
        ColumnList(ContainerBlock) = "column_list",
        Column(ColumnBlock) = "column",
        Tab(ContainerBlock) = "tab",
        Table(TableBlock) = "table",
        TableRow(TableRowBlock) = "table_row",
        Image(MediaBlock) = "image",
        Video(MediaBlock) = "video",
        Pdf(MediaBlock) = "pdf",
        Audio(MediaBlock) = "audio",
        File(MediaBlock) = "file",
        Bookmark(LinkBlock) = "bookmark",
        Embed(LinkBlock) = "embed",
        LinkPreview(LinkPreviewBlock) = "link_preview",
        ChildPage(ChildTitleBlock) = "child_page",
        ChildDatabase(ChildTitleBlock) = "child_database",
        LinkToPage(LinkToPage) = "link_to_page",
        SyncedBlock(SyncedBlock) = "synced_block",
        Template(TemplateBlock) = "template",
        MeetingNotes(MeetingNotesBlock) = "meeting_notes",
        /// The pre-2026-03-11 name of `meeting_notes`.
        Transcription(MeetingNotesBlock) = "transcription",
        /// A block the API cannot expose (`block_type` names it, e.g. `button`).
        Unsupported(UnsupportedBlock) = "unsupported",
    }
}

/// Paragraph, bulleted list item, toggle and quote payload (`icon` is for paragraphs only).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TextBlock {
    #[serde(default)]
    pub rich_text: Vec<RichText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<Color>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub icon: Nullable<Icon>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub children: Option<Vec<Block>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HeadingBlock {
    #[serde(default)]
    pub rich_text: Vec<RichText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<Color>,
    /// Toggleable headings may have children.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_toggleable: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub children: Option<Vec<Block>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NumberedListItemBlock {
    #[serde(default)]
    pub rich_text: Vec<RichText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<Color>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_start_index: Option<Number>,
    /// `numbers`, `letters` or `roman`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_format: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub children: Option<Vec<Block>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ToDoBlock {
    #[serde(default)]
    pub rich_text: Vec<RichText>,
    #[serde(default)]
    pub checked: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<Color>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub children: Option<Vec<Block>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CalloutBlock {
    #[serde(default)]
    pub rich_text: Vec<RichText>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub icon: Nullable<Icon>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<Color>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub children: Option<Vec<Block>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CodeBlock {
    #[serde(default)]
    pub rich_text: Vec<RichText>,
    #[serde(default)]
    pub caption: Vec<RichText>,
    /// Notion's language name (`plain text`, `rust`, `javascript`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EquationBlock {
    pub expression: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TableOfContentsBlock {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<Color>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An empty payload whose block holds children (`column_list`, `tab`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ContainerBlock {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub children: Option<Vec<Block>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ColumnBlock {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width_ratio: Option<Number>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub children: Option<Vec<Block>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A table; its rows are `table_row` children (required in the creating request).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TableBlock {
    pub table_width: u32,
    #[serde(default)]
    pub has_column_header: bool,
    #[serde(default)]
    pub has_row_header: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub children: Option<Vec<Block>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One table row: one rich-text array per cell.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TableRowBlock {
    #[serde(default)]
    pub cells: Vec<Vec<RichText>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

shadowed_struct! {
    /// Image, video, pdf, audio and file payload: a file reference plus caption (and `name` for
    /// `file` blocks).
    #[derive(Debug, Clone, PartialEq)]
    pub struct MediaBlock with serde via MediaBlockFields = "MediaBlock" {
        #[serde(skip, default = "placeholder")]
        pub file: FileObject,
        #[serde(default)]
        pub caption: Vec<RichText>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub name: Option<String>,
        #[serde(flatten)]
        pub extra: Map<String, Value>,
    }
}
impl_tagged_struct_serde!(MediaBlock, MediaBlockFields, file, required);

impl MediaBlock {
    pub fn new(file: FileObject) -> Self {
        Self {
            file,
            caption: Vec::new(),
            name: None,
            extra: Map::new(),
        }
    }
}

/// Bookmark and embed payload.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LinkBlock {
    pub url: String,
    #[serde(default)]
    pub caption: Vec<RichText>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `link_preview` payload (read-only).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LinkPreviewBlock {
    pub url: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `child_page` / `child_database` payload; the block id is the page or database id.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChildTitleBlock {
    pub title: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

tagged_union! {
    /// `link_to_page` payload.
    pub enum LinkToPage {
        PageId(String) = "page_id",
        DatabaseId(String) = "database_id",
        CommentId(String) = "comment_id",
    }
}
impl_standalone_serde!(LinkToPage);

/// `synced_block` payload: `synced_from` is `null` for the original (its children are the
/// content) and points at the original for a copy.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SyncedBlock {
    #[serde(default)]
    pub synced_from: Option<SyncedFrom>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub children: Option<Vec<Block>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

tagged_union! {
    /// Where a synced-block copy takes its content from.
    pub enum SyncedFrom {
        BlockId(String) = "block_id",
    }
}
impl_standalone_serde!(SyncedFrom);

/// `template` payload (read-only, deprecated by Notion).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TemplateBlock {
    #[serde(default)]
    pub rich_text: Vec<RichText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub children: Option<Vec<Block>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `meeting_notes` payload. Its `children` names the summary/notes/transcript blocks; it is not a
/// list of nested blocks.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MeetingNotesBlock {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<Vec<RichText>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub children: Option<MeetingNotesChildren>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MeetingNotesChildren {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary_block_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes_block_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transcript_block_id: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `unsupported` payload: `block_type` names what Notion would not expose.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UnsupportedBlock {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block_type: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl TextBlock {
    pub fn new(rich_text: Vec<RichText>) -> Self {
        Self {
            rich_text,
            ..Self::default()
        }
    }
}

impl HeadingBlock {
    pub fn new(rich_text: Vec<RichText>) -> Self {
        Self {
            rich_text,
            ..Self::default()
        }
    }
}

impl Block {
    /// A block for a create/append request: only the content is set.
    pub fn new(content: BlockContent) -> Self {
        Self {
            object: None,
            id: None,
            parent: None,
            created_time: None,
            created_by: None,
            last_edited_time: None,
            last_edited_by: None,
            has_children: None,
            in_trash: None,
            content,
            request_id: None,
            extra: Map::new(),
        }
    }

    pub fn paragraph(rich_text: Vec<RichText>) -> Self {
        Self::new(BlockContent::Paragraph(TextBlock::new(rich_text)))
    }

    /// A heading of `level` 1 to 4 (other levels are clamped into that range).
    pub fn heading(level: u8, rich_text: Vec<RichText>) -> Self {
        let heading = HeadingBlock::new(rich_text);
        Self::new(match level {
            0 | 1 => BlockContent::Heading1(heading),
            2 => BlockContent::Heading2(heading),
            3 => BlockContent::Heading3(heading),
            _ => BlockContent::Heading4(heading),
        })
    }

    pub fn bulleted_list_item(rich_text: Vec<RichText>) -> Self {
        Self::new(BlockContent::BulletedListItem(TextBlock::new(rich_text)))
    }

    pub fn numbered_list_item(rich_text: Vec<RichText>) -> Self {
        Self::new(BlockContent::NumberedListItem(NumberedListItemBlock {
            rich_text,
            ..NumberedListItemBlock::default()
        }))
    }

    pub fn to_do(rich_text: Vec<RichText>, checked: bool) -> Self {
        Self::new(BlockContent::ToDo(ToDoBlock {
            rich_text,
            checked,
            ..ToDoBlock::default()
        }))
    }

    pub fn toggle(rich_text: Vec<RichText>) -> Self {
        Self::new(BlockContent::Toggle(TextBlock::new(rich_text)))
    }

    pub fn quote(rich_text: Vec<RichText>) -> Self {
        Self::new(BlockContent::Quote(TextBlock::new(rich_text)))
    }

    pub fn code(rich_text: Vec<RichText>, language: impl Into<String>) -> Self {
        Self::new(BlockContent::Code(CodeBlock {
            rich_text,
            language: Some(language.into()),
            ..CodeBlock::default()
        }))
    }

    pub fn divider() -> Self {
        Self::new(BlockContent::Divider(EmptyObject::default()))
    }

    pub fn equation(expression: impl Into<String>) -> Self {
        Self::new(BlockContent::Equation(EquationBlock {
            expression: expression.into(),
            extra: Map::new(),
        }))
    }

    /// A table with its rows (Notion requires the rows in the creating request).
    pub fn table(table_width: u32, has_column_header: bool, rows: Vec<Vec<Vec<RichText>>>) -> Self {
        let rows = rows
            .into_iter()
            .map(|cells| {
                Self::new(BlockContent::TableRow(TableRowBlock {
                    cells,
                    extra: Map::new(),
                }))
            })
            .collect();
        Self::new(BlockContent::Table(TableBlock {
            table_width,
            has_column_header,
            has_row_header: false,
            children: Some(rows),
            extra: Map::new(),
        }))
    }

    /// The `type` name (unknown types keep theirs).
    pub fn type_name(&self) -> &str {
        self.content.type_name()
    }

    /// Children carried inside the payload (request form), if this type can hold any.
    pub fn children(&self) -> Option<&Vec<Block>> {
        self.content.children_slot_ref().and_then(Option::as_ref)
    }

    /// The payload's children slot, for types that can nest blocks in a request.
    pub fn children_mut(&mut self) -> Option<&mut Option<Vec<Block>>> {
        self.content.children_slot_mut()
    }

    /// Sets the nested children (request form). Returns `self` unchanged for types that cannot
    /// hold children.
    pub fn with_children(mut self, children: Vec<Block>) -> Self {
        if let Some(slot) = self.children_mut() {
            *slot = Some(children);
        }
        self
    }

    /// The block's own rich text (paragraph, headings, list items, to-do, toggle, quote,
    /// callout, code, template), if its type has one.
    pub fn rich_text(&self) -> Option<&[RichText]> {
        use BlockContent as C;
        match &self.content {
            C::Paragraph(b) | C::BulletedListItem(b) | C::Toggle(b) | C::Quote(b) => {
                Some(&b.rich_text)
            }
            C::Heading1(b) | C::Heading2(b) | C::Heading3(b) | C::Heading4(b) => Some(&b.rich_text),
            C::NumberedListItem(b) => Some(&b.rich_text),
            C::ToDo(b) => Some(&b.rich_text),
            C::Callout(b) => Some(&b.rich_text),
            C::Code(b) => Some(&b.rich_text),
            C::Template(b) => Some(&b.rich_text),
            _ => None,
        }
    }
}

impl BlockContent {
    fn children_slot_ref(&self) -> Option<&Option<Vec<Block>>> {
        use BlockContent as C;
        match self {
            C::Paragraph(b) | C::BulletedListItem(b) | C::Toggle(b) | C::Quote(b) => {
                Some(&b.children)
            }
            C::Heading1(b) | C::Heading2(b) | C::Heading3(b) | C::Heading4(b) => Some(&b.children),
            C::NumberedListItem(b) => Some(&b.children),
            C::ToDo(b) => Some(&b.children),
            C::Callout(b) => Some(&b.children),
            C::ColumnList(b) | C::Tab(b) => Some(&b.children),
            C::Column(b) => Some(&b.children),
            C::Table(b) => Some(&b.children),
            C::SyncedBlock(b) => Some(&b.children),
            C::Template(b) => Some(&b.children),
            _ => None,
        }
    }

    fn children_slot_mut(&mut self) -> Option<&mut Option<Vec<Block>>> {
        use BlockContent as C;
        match self {
            C::Paragraph(b) | C::BulletedListItem(b) | C::Toggle(b) | C::Quote(b) => {
                Some(&mut b.children)
            }
            C::Heading1(b) | C::Heading2(b) | C::Heading3(b) | C::Heading4(b) => {
                Some(&mut b.children)
            }
            C::NumberedListItem(b) => Some(&mut b.children),
            C::ToDo(b) => Some(&mut b.children),
            C::Callout(b) => Some(&mut b.children),
            C::ColumnList(b) | C::Tab(b) => Some(&mut b.children),
            C::Column(b) => Some(&mut b.children),
            C::Table(b) => Some(&mut b.children),
            C::SyncedBlock(b) => Some(&mut b.children),
            C::Template(b) => Some(&mut b.children),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip(value: Value) -> Block {
        let block: Block = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(serde_json::to_value(&block).unwrap(), value);
        block
    }

    #[test]
    fn constructors_serialize_to_append_request_shapes() {
        let toggle = Block::toggle(vec![RichText::text("t")])
            .with_children(vec![Block::paragraph(vec![RichText::text("p")])]);
        assert_eq!(
            serde_json::to_value(&toggle).unwrap(),
            json!({"type":"toggle","toggle":{"rich_text":[{"type":"text","text":{"content":"t"}}],
                "children":[{"type":"paragraph","paragraph":{"rich_text":[
                    {"type":"text","text":{"content":"p"}}]}}]}})
        );
        assert_eq!(
            serde_json::to_value(Block::divider()).unwrap(),
            json!({"type":"divider","divider":{}})
        );
        assert_eq!(
            serde_json::to_value(Block::code(vec![RichText::text("x")], "rust")).unwrap(),
            json!({"type":"code","code":{"rich_text":[{"type":"text","text":{"content":"x"}}],
                "caption":[],"language":"rust"}})
        );
        assert_eq!(
            serde_json::to_value(Block::to_do(vec![], true)).unwrap(),
            json!({"type":"to_do","to_do":{"rich_text":[],"checked":true}})
        );
        assert_eq!(
            serde_json::to_value(Block::heading(2, vec![])).unwrap(),
            json!({"type":"heading_2","heading_2":{"rich_text":[]}})
        );
        assert_eq!(
            serde_json::to_value(Block::table(
                2,
                true,
                vec![vec![vec![RichText::text("a")], vec![]]]
            ))
            .unwrap(),
            json!({"type":"table","table":{"table_width":2,"has_column_header":true,"has_row_header":false,
                "children":[{"type":"table_row","table_row":{"cells":[[{"type":"text","text":{"content":"a"}}],[]]}}]}})
        );
        let image = Block::new(BlockContent::Image(MediaBlock::new(FileObject::external(
            "https://e/i.png",
        ))));
        assert_eq!(
            serde_json::to_value(&image).unwrap(),
            json!({"type":"image","image":{"type":"external","external":{"url":"https://e/i.png"},"caption":[]}})
        );
    }

    #[test]
    fn unknown_block_types_survive_verbatim() {
        let block = round_trip(json!({"object":"block","id":"b","type":"ai_summary",
            "ai_summary":{"rich_text":[],"weird":[1,{"a":null}]},"has_children":false,"new_field":7}));
        assert_eq!(block.type_name(), "ai_summary");
        assert!(block.content.is_unknown());
        assert_eq!(block.extra.get("new_field"), Some(&json!(7)));
        // A block type with no payload key at all.
        let block = round_trip(json!({"object":"block","id":"b","type":"mystery"}));
        assert_eq!(block.type_name(), "mystery");
    }

    #[test]
    fn known_types_with_unexpected_payloads_are_kept_not_rejected() {
        let block = round_trip(json!({"type":"equation","equation":{"expression":42}}));
        assert!(block.content.is_unknown());
        assert_eq!(block.type_name(), "equation");
    }

    #[test]
    fn unsupported_and_meeting_notes_are_typed() {
        let block = round_trip(json!({"type":"unsupported","unsupported":{"block_type":"form"}}));
        assert!(
            matches!(&block.content, BlockContent::Unsupported(u) if u.block_type.as_deref() == Some("form"))
        );
        let block = round_trip(
            json!({"type":"meeting_notes","meeting_notes":{"title":[],"status":"notes_ready",
            "children":{"summary_block_id":"s","notes_block_id":"n","transcript_block_id":"t"}}}),
        );
        assert!(matches!(block.content, BlockContent::MeetingNotes(_)));
        assert_eq!(block.children(), None);
    }

    #[test]
    fn synced_block_original_and_copy() {
        let original =
            round_trip(json!({"type":"synced_block","synced_block":{"synced_from":null}}));
        assert!(
            matches!(&original.content, BlockContent::SyncedBlock(s) if s.synced_from.is_none())
        );
        let copy = round_trip(
            json!({"type":"synced_block","synced_block":{"synced_from":{"type":"block_id","block_id":"o"}}}),
        );
        assert!(matches!(&copy.content,
            BlockContent::SyncedBlock(SyncedBlock { synced_from: Some(SyncedFrom::BlockId(id)), .. }) if id == "o"));
    }

    #[test]
    fn request_form_without_type_is_inferred() {
        let block: Block =
            serde_json::from_value(json!({"object":"block","paragraph":{"rich_text":[]}})).unwrap();
        assert_eq!(block.type_name(), "paragraph");
    }

    #[test]
    fn rich_text_accessor() {
        let block = Block::quote(vec![RichText::text("q")]);
        assert_eq!(RichText::concat_plain_text(block.rich_text().unwrap()), "q");
        assert!(Block::divider().rich_text().is_none());
        assert!(
            Block::divider()
                .with_children(vec![Block::divider()])
                .children()
                .is_none()
        );
    }
}
