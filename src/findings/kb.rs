//! The address of a KB article without its number: the one place it is written. The Rego
//! entrypoint reads it from the generated module (`data.hcx.preflight.kb_url_prefix`);
//! `build.rs` includes this file to write that module at build time.

/// The address of a KB article without its number.
pub const KB_URL_PREFIX: &str = "https://knowledge.broadcom.com/external/article?legacyId=";
