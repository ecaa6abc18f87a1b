//! The Notion HTTP client. (Filled in by the client work.)
