//! Makes untrusted text safe to print on a terminal.
//!
//! Process names, command lines and user names are chosen by whoever started the process. A name
//! like `"\x1b]52;c;…\x07"` would write to the clipboard of whoever runs `ss -p`; U+202E would
//! reverse the rest of the line; a newline would forge a row. Everything that is not plainly
//! visible text is written as a Rust-style escape instead, so what the user sees is unambiguous
//! and inert. JSON output keeps the exact text (JSON has its own escaping).

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` must be escaped before it reaches a terminal.
pub(crate) fn needs_escape(c: char) -> bool {
    matches!(c,
        '\\'
        | '\u{0}'..='\u{1f}'       // C0 controls, including ESC, TAB, CR and LF
        | '\u{7f}'..='\u{9f}'      // DEL and the C1 controls (CSI, OSC, … in 8-bit form)
        | '\u{ad}'                 // soft hyphen (invisible)
        | '\u{34f}'                // combining grapheme joiner (invisible)
        | '\u{61c}'                // Arabic letter mark (bidi)
        | '\u{115f}' | '\u{1160}'  // Hangul fillers (render blank)
        | '\u{17b4}' | '\u{17b5}'  // Khmer inherent vowels (invisible)
        | '\u{180b}'..='\u{180f}'  // Mongolian variation selectors and vowel separator
        | '\u{200b}'..='\u{200f}'  // zero-width space/joiners, LRM, RLM
        | '\u{2028}' | '\u{2029}'  // line and paragraph separators
        | '\u{202a}'..='\u{202e}'  // bidi embeddings and overrides
        | '\u{2060}'..='\u{206f}'  // word joiner, invisible operators, bidi isolates
        | '\u{3164}'               // Hangul filler
        | '\u{fe00}'..='\u{fe0f}'  // variation selectors (invisible)
        | '\u{feff}'               // zero-width no-break space / BOM
        | '\u{ffa0}'               // halfwidth Hangul filler
        | '\u{fff0}'..='\u{fffb}'  // reserved invisible, interlinear annotation controls
        | '\u{1bca0}'..='\u{1bca3}' // shorthand format controls (invisible)
        | '\u{1d173}'..='\u{1d17a}' // musical format controls (invisible)
        | '\u{e0000}'..='\u{e0fff}' // tags, variation selectors, reserved (invisible)
    )
}

/// Returns `text` with every control, bidi or invisible character escaped (`\x1b`, `\n`,
/// `\u{202e}`, `\\`). Borrowed when nothing needed escaping, which is the common case.
///
/// ```
/// use sockscope::sanitize::for_terminal;
/// assert_eq!(for_terminal("nginx"), "nginx");
/// assert_eq!(for_terminal("\x1b[2Jevil\n"), "\\x1b[2Jevil\\n");
/// assert_eq!(for_terminal("gpj.\u{202e}exe"), "gpj.\\u{202e}exe");
/// ```
pub fn for_terminal(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !needs_escape(c) {
            out.push(c);
            continue;
        }
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
        }
    }
    Cow::Owned(out)
}

/// Joins command-line arguments for display: each argument escaped, arguments that are empty or
/// contain a space quoted, so the boundaries between arguments stay visible.
pub fn cmdline_for_terminal(args: &[String]) -> String {
    let mut out = String::new();
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let escaped = for_terminal(arg);
        if escaped.is_empty() || escaped.contains(' ') || escaped.contains('"') {
            out.push('"');
            out.push_str(&escaped.replace('"', "\\\""));
            out.push('"');
        } else {
            out.push_str(&escaped);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed() {
        assert!(matches!(
            for_terminal("postgres"),
            Cow::Borrowed("postgres")
        ));
        assert!(matches!(for_terminal("naïve 日本"), Cow::Borrowed(_)));
    }

    #[test]
    fn escapes_ansi_and_controls() {
        assert_eq!(for_terminal("\x1b[2Jx"), "\\x1b[2Jx");
        assert_eq!(for_terminal("a\nb\tc\rd"), "a\\nb\\tc\\rd");
        assert_eq!(for_terminal("\x07\x00\x7f"), "\\x07\\x00\\x7f");
        // OSC 52 clipboard write and OSC 8 hyperlink.
        assert_eq!(for_terminal("\x1b]52;c;aGk=\x07"), "\\x1b]52;c;aGk=\\x07");
        assert_eq!(
            for_terminal("\x1b]8;;http://x\x1b\\y"),
            "\\x1b]8;;http://x\\x1b\\\\y"
        );
    }

    #[test]
    fn escapes_c1_bidi_and_invisible() {
        assert_eq!(for_terminal("\u{9b}31m"), "\\u{9b}31m");
        assert_eq!(for_terminal("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(for_terminal("a\u{200b}b"), "a\\u{200b}b");
        assert_eq!(for_terminal("\u{2066}x\u{2069}"), "\\u{2066}x\\u{2069}");
        assert_eq!(for_terminal("\u{feff}"), "\\u{feff}");
        assert_eq!(for_terminal("\u{e0041}"), "\\u{e0041}");
    }

    #[test]
    fn escapes_every_default_ignorable_character() {
        // The sanitize fuzzer found U+FE0E and U+E0C30 passing raw (fuzz/regressions/sanitize):
        // Unicode's Default_Ignorable_Code_Point characters render as nothing, so each of
        // them must be escaped.
        assert_eq!(for_terminal("a\u{fe0e}"), "a\\u{fe0e}");
        assert_eq!(for_terminal("\u{e0c30}"), "\\u{e0c30}");
        let ignorable = concat!(
            "\u{17b4}\u{180b}\u{180f}\u{fe00}\u{fe0f}\u{ffa0}",
            "\u{fff0}\u{1bca0}\u{1d173}\u{e0100}\u{e0fff}"
        );
        for c in ignorable.chars() {
            assert!(needs_escape(c), "{c:?}");
        }
        assert!(!needs_escape('\u{2764}') && !needs_escape('\u{1d172}'));
    }

    #[test]
    fn backslash_is_escaped_so_output_is_unambiguous() {
        assert_eq!(for_terminal("a\\x1b"), "a\\\\x1b");
    }

    #[test]
    fn escaped_output_has_no_controls() {
        let nasty: String = (0u32..0x3000)
            .filter_map(char::from_u32)
            .chain(['\u{e0001}', '\u{feff}'])
            .collect();
        let out = for_terminal(&nasty);
        assert!(out.chars().all(|c| !needs_escape(c) || c == '\\'));
        assert!(!out.contains('\n'));
    }

    #[test]
    fn cmdline_keeps_argument_boundaries() {
        let args = vec![
            "sh".to_owned(),
            "-c".to_owned(),
            "echo hi".to_owned(),
            String::new(),
        ];
        assert_eq!(cmdline_for_terminal(&args), "sh -c \"echo hi\" \"\"");
        let evil = vec!["x\ny".to_owned()];
        assert_eq!(cmdline_for_terminal(&evil), "x\\ny");
    }
}
