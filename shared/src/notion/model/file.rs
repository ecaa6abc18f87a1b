//! Files, icons and covers. Notion-hosted file URLs expire (about an hour): never keep them as
//! permanent links.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::tagged::{
    impl_standalone_serde, impl_tagged_struct_serde, placeholder, shadowed_struct, tagged_union,
};

/// `{"url": "..."}`: a file hosted outside Notion.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExternalFile {
    pub url: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A Notion-hosted file: the URL stops working at `expiry_time`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HostedFile {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry_time: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `{"id": "..."}`: a completed file upload, referenced in requests.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FileUploadRef {
    pub id: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A workspace custom emoji as referenced by icons and mentions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomEmojiRef {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Notion's native icon set: `{"name": "...", "color": "..."}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NativeIcon {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

tagged_union! {
    /// A file reference: external URL, Notion-hosted (expiring) or a file upload (requests).
    /// Also the shape of page and database covers.
    pub enum FileObject {
        External(ExternalFile) = "external",
        File(HostedFile) = "file",
        FileUpload(FileUploadRef) = "file_upload",
    }
}
impl_standalone_serde!(FileObject);

impl FileObject {
    pub fn external(url: impl Into<String>) -> Self {
        Self::External(ExternalFile {
            url: url.into(),
            extra: Map::new(),
        })
    }

    pub fn file_upload(id: impl Into<String>) -> Self {
        Self::FileUpload(FileUploadRef {
            id: id.into(),
            extra: Map::new(),
        })
    }

    /// The URL (expiring for Notion-hosted files), if this reference has one.
    pub fn url(&self) -> Option<&str> {
        match self {
            Self::External(file) => Some(&file.url),
            Self::File(file) => Some(&file.url),
            Self::FileUpload(_) | Self::Unknown(_) => None,
        }
    }
}

/// A page or database cover (external, Notion-hosted or a file upload).
pub type Cover = FileObject;

tagged_union! {
    /// A page, database, data source or callout icon.
    pub enum Icon {
        Emoji(String) = "emoji",
        External(ExternalFile) = "external",
        File(HostedFile) = "file",
        FileUpload(FileUploadRef) = "file_upload",
        CustomEmoji(CustomEmojiRef) = "custom_emoji",
        /// Notion's native icons (`"type": "icon"`).
        Native(NativeIcon) = "icon",
    }
}
impl_standalone_serde!(Icon);

impl Icon {
    pub fn emoji(emoji: impl Into<String>) -> Self {
        Self::Emoji(emoji.into())
    }
}

shadowed_struct! {
    /// One entry of a `files` property value: a name plus a file reference.
    #[derive(Debug, Clone, PartialEq)]
    pub struct FileItem with serde via FileItemFields = "FileItem" {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub name: Option<String>,
        #[serde(skip, default = "placeholder")]
        pub file: FileObject,
        #[serde(flatten)]
        pub extra: Map<String, Value>,
    }
}
impl_tagged_struct_serde!(FileItem, FileItemFields, file, required);

impl FileItem {
    pub fn external(name: impl Into<String>, url: impl Into<String>) -> Self {
        Self {
            name: Some(name.into()),
            file: FileObject::external(url),
            extra: Map::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip<T: serde::de::DeserializeOwned + Serialize>(value: Value) -> T {
        let parsed: T = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(serde_json::to_value(&parsed).unwrap(), value);
        parsed
    }

    #[test]
    fn every_icon_type_parses() {
        let icon: Icon = round_trip(json!({"type":"emoji","emoji":"💡"}));
        assert_eq!(icon, Icon::emoji("💡"));
        let icon: Icon = round_trip(json!({"type":"icon","icon":{"name":"pizza","color":"blue"}}));
        assert!(matches!(icon, Icon::Native(_)));
        let icon: Icon = round_trip(
            json!({"type":"custom_emoji","custom_emoji":{"id":"e","name":"n","url":"u"}}),
        );
        assert!(matches!(icon, Icon::CustomEmoji(_)));
        let icon: Icon = round_trip(json!({"type":"file","file":{"url":"u","expiry_time":"t"}}));
        assert!(matches!(icon, Icon::File(_)));
        let icon: Icon = round_trip(json!({"type":"file_upload","file_upload":{"id":"f"}}));
        assert!(matches!(icon, Icon::FileUpload(_)));
        let icon: Icon = round_trip(json!({"type":"external","external":{"url":"u"}}));
        assert!(matches!(icon, Icon::External(_)));
    }

    #[test]
    fn unknown_icons_survive_verbatim() {
        let icon: Icon = round_trip(json!({"type":"sticker","sticker":{"id":7},"size":"l"}));
        assert_eq!(icon.type_name(), "sticker");
        assert!(icon.is_unknown());
        // A known type whose payload does not match is kept, not rejected.
        let icon: Icon = round_trip(json!({"type":"emoji","emoji":{"unexpected":true}}));
        assert!(icon.is_unknown());
    }

    #[test]
    fn file_items_keep_names() {
        let item: FileItem = round_trip(
            json!({"name":"x.pdf","type":"external","external":{"url":"https://e/x.pdf"}}),
        );
        assert_eq!(item.file.url(), Some("https://e/x.pdf"));
        assert_eq!(
            serde_json::to_value(FileItem::external("x.pdf", "https://e/x.pdf")).unwrap(),
            json!({"name":"x.pdf","type":"external","external":{"url":"https://e/x.pdf"}})
        );
    }
}
