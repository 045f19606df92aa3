//! Fleet `--format junit`: one `<testsuite>` per estate (named after it; test cases of
//! every site, classname `ESTATE.SITE`); an undecided estate is a suite with one
//! `<error>` test case, so a CI dashboard shows it as broken, never as passed.

use std::io::{self, Write};

use super::FleetReport;
use crate::report::junit::{open_suite, write_estate_suite, xml_escape, Counts};

pub fn render(r: &FleetReport, out: &mut dyn Write) -> io::Result<()> {
    let mut body = Vec::new();
    let (mut total, mut errors) = (Counts::default(), 0);
    for e in &r.estates {
        let mut extra: Vec<(String, String)> = e.tags.iter().map(|(k, v)| (format!("tag.{k}"), v.clone())).collect();
        extra.push(("outcome".into(), e.outcome.as_str().into()));
        match (&e.decision, &e.context, &e.error) {
            (Some(d), Some(ctx), _) => {
                let c = write_estate_suite(&mut body, &e.name, &extra, d, ctx)?;
                total.tests += c.tests;
                total.failures += c.failures;
                total.skipped += c.skipped;
            }
            (_, _, err) => {
                let (stage, message) = err.as_ref().map_or(("evaluate".to_string(), "no decision".to_string()), |e| {
                    (e.stage.as_str().to_string(), e.message.clone())
                });
                let c = Counts { tests: 1, ..Counts::default() };
                open_suite(&mut body, &e.name, c, 1, &extra)?;
                writeln!(body, r#"    <testcase name="decision" classname="{}">"#, xml_escape(&e.name))?;
                writeln!(
                    body,
                    r#"      <error message="{} failed: {}" type="{stage}"/>"#,
                    stage,
                    xml_escape(&message)
                )?;
                writeln!(body, "    </testcase>\n  </testsuite>")?;
                total.tests += 1;
                errors += 1;
            }
        }
    }
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="hcx-preflight fleet" tests="{}" failures="{}" errors="{errors}" skipped="{}">"#,
        total.tests, total.failures, total.skipped
    )?;
    out.write_all(&body)?;
    writeln!(out, "</testsuites>")
}
