//! Fenced-code info strings mapped to Notion's code-block language names (Notion rejects any
//! other name, so unknown languages fall back to `plain text`).

/// Notion's fallback language.
pub const PLAIN_TEXT: &str = "plain text";

/// Every language name Notion accepts (Notion-Version 2026-03-11).
const NOTION_LANGUAGES: &[&str] = &[
    "abap",
    "abc",
    "agda",
    "arduino",
    "ascii art",
    "assembly",
    "bash",
    "basic",
    "bnf",
    "c",
    "c#",
    "c++",
    "clojure",
    "coffeescript",
    "coq",
    "css",
    "dart",
    "dhall",
    "diff",
    "docker",
    "ebnf",
    "elixir",
    "elm",
    "erlang",
    "f#",
    "flow",
    "fortran",
    "gherkin",
    "glsl",
    "go",
    "graphql",
    "groovy",
    "haskell",
    "hcl",
    "html",
    "idris",
    "java",
    "javascript",
    "json",
    "julia",
    "kotlin",
    "latex",
    "less",
    "lisp",
    "livescript",
    "llvm ir",
    "lua",
    "makefile",
    "markdown",
    "markup",
    "matlab",
    "mathematica",
    "mermaid",
    "nix",
    "notion formula",
    "objective-c",
    "ocaml",
    "pascal",
    "perl",
    "php",
    "plain text",
    "powershell",
    "prolog",
    "protobuf",
    "purescript",
    "python",
    "r",
    "racket",
    "reason",
    "ruby",
    "rust",
    "sass",
    "scala",
    "scheme",
    "scss",
    "shell",
    "smalltalk",
    "solidity",
    "sql",
    "swift",
    "toml",
    "typescript",
    "vb.net",
    "verilog",
    "vhdl",
    "visual basic",
    "webassembly",
    "xml",
    "yaml",
    "java/c/c++/c#",
];

/// Common Markdown info-string aliases and the Notion name each stands for.
const ALIASES: &[(&str, &str)] = &[
    ("rs", "rust"),
    ("py", "python"),
    ("python3", "python"),
    ("js", "javascript"),
    ("jsx", "javascript"),
    ("mjs", "javascript"),
    ("node", "javascript"),
    ("ts", "typescript"),
    ("tsx", "typescript"),
    ("sh", "shell"),
    ("zsh", "shell"),
    ("console", "shell"),
    ("shell-session", "shell"),
    ("yml", "yaml"),
    ("htm", "html"),
    ("cpp", "c++"),
    ("cxx", "c++"),
    ("cc", "c++"),
    ("hpp", "c++"),
    ("h", "c"),
    ("cs", "c#"),
    ("csharp", "c#"),
    ("fsharp", "f#"),
    ("fs", "f#"),
    ("rb", "ruby"),
    ("kt", "kotlin"),
    ("kts", "kotlin"),
    ("md", "markdown"),
    ("dockerfile", "docker"),
    ("golang", "go"),
    ("patch", "diff"),
    ("tex", "latex"),
    ("make", "makefile"),
    ("mk", "makefile"),
    ("ps1", "powershell"),
    ("pwsh", "powershell"),
    ("objc", "objective-c"),
    ("proto", "protobuf"),
    ("hs", "haskell"),
    ("ex", "elixir"),
    ("exs", "elixir"),
    ("erl", "erlang"),
    ("pl", "perl"),
    ("jl", "julia"),
    ("ml", "ocaml"),
    ("tf", "hcl"),
    ("terraform", "hcl"),
    ("wasm", "webassembly"),
    ("vb", "visual basic"),
    ("text", PLAIN_TEXT),
    ("txt", PLAIN_TEXT),
    ("plaintext", PLAIN_TEXT),
    ("plain", PLAIN_TEXT),
];

/// Notion's language name for a fenced-code info string (case-insensitive; the whole string or
/// its first word): a Notion name as is, a known alias mapped, anything else `plain text`.
pub fn notion_language(info: &str) -> &'static str {
    let whole = info.trim().to_lowercase();
    if let Some(name) = NOTION_LANGUAGES.iter().find(|name| **name == whole) {
        return name;
    }
    let Some(word) = info.split_whitespace().next() else {
        return PLAIN_TEXT;
    };
    // `{.rust}` / `rust,ignore` style info strings: keep the leading name.
    let word = word.trim_start_matches(['{', '.']);
    let word = word.split([',', '{', '}']).next().unwrap_or_default();
    let word = word.to_lowercase();
    if let Some(name) = NOTION_LANGUAGES.iter().find(|name| **name == word) {
        return name;
    }
    ALIASES
        .iter()
        .find(|(alias, _)| *alias == word)
        .map_or(PLAIN_TEXT, |(_, name)| name)
}

/// The info string to write for a Notion language when rendering back to Markdown (empty for
/// `plain text`; names with spaces or symbols get their common alias).
pub fn markdown_info_string(notion_name: &str) -> String {
    match notion_name {
        PLAIN_TEXT | "" => String::new(),
        "c++" => "cpp".to_owned(),
        "c#" => "csharp".to_owned(),
        "f#" => "fsharp".to_owned(),
        "docker" => "dockerfile".to_owned(),
        other => other.replace(char::is_whitespace, "-"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_the_documented_table() {
        let cases = [
            ("rust", "rust"),
            ("python", "python"),
            ("javascript", "javascript"),
            ("js", "javascript"),
            ("typescript", "typescript"),
            ("ts", "typescript"),
            ("shell", "shell"),
            ("bash", "bash"),
            ("sh", "shell"),
            ("json", "json"),
            ("yaml", "yaml"),
            ("yml", "yaml"),
            ("html", "html"),
            ("css", "css"),
            ("sql", "sql"),
            ("go", "go"),
            ("java", "java"),
            ("c", "c"),
            ("c++", "c++"),
            ("cpp", "c++"),
            ("c#", "c#"),
            ("csharp", "c#"),
            ("ruby", "ruby"),
            ("php", "php"),
            ("kotlin", "kotlin"),
            ("swift", "swift"),
            ("markdown", "markdown"),
            ("md", "markdown"),
            ("toml", "toml"),
            ("dockerfile", "docker"),
            ("diff", "diff"),
        ];
        for (info, expected) in cases {
            assert_eq!(notion_language(info), expected, "{info}");
        }
    }

    #[test]
    fn unknown_empty_and_decorated_info_strings() {
        assert_eq!(notion_language(""), PLAIN_TEXT);
        assert_eq!(notion_language("   "), PLAIN_TEXT);
        assert_eq!(notion_language("brainfuck"), PLAIN_TEXT);
        assert_eq!(notion_language("Rust"), "rust");
        assert_eq!(notion_language("rust,ignore"), "rust");
        assert_eq!(notion_language("python title=\"x.py\""), "python");
        assert_eq!(notion_language("{.haskell}"), "haskell");
    }

    #[test]
    fn every_notion_name_maps_to_itself_and_back() {
        for name in NOTION_LANGUAGES {
            assert_eq!(notion_language(name), *name);
            let info = markdown_info_string(name);
            if !name.contains(' ') {
                assert_eq!(notion_language(&info), *name, "{name} -> {info}");
            }
            assert_eq!(notion_language(&name.to_uppercase()), *name);
        }
    }
}
