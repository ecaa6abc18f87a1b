//! Typed Notion models. (Filled in by the models work.)
