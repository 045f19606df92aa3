//! What every text the library renders shares, at the bottom of the layers so that the
//! reports, the policy tooling, the collector and the inventory use it without depending on
//! each other: the [`RenderOptions`] the command layer's printer decides, and [`plural`].

/// Options that affect rendering only (the command layer's printer decides them).
#[derive(Debug, Clone, Copy)]
pub struct RenderOptions {
    /// ANSI colour (only on a terminal, never with NO_COLOR).
    pub color: bool,
    /// The width of the table format (80 unless stdout is a wider terminal or `COLUMNS` says).
    pub width: u16,
    /// Tables drawn with ASCII characters only.
    pub ascii: bool,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            color: false,
            width: 80,
            ascii: false,
        }
    }
}

/// `1 finding`, `2 findings`: a count with its noun in the right number.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
