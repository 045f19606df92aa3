//! `--format json`: the decision record, pretty-printed, byte-identical for the same input.

use std::io::{self, Write};

use crate::findings::Decision;

pub fn render(decision: &Decision, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, decision).map_err(io::Error::other)?;
    out.write_all(b"\n")
}
