//! The Notion emulator. (Filled in by the emulator work.)
