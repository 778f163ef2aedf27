//! `ruler check rules` agrees with `promtool check rules` on what is valid, and says where problems are.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/testdata").join(name)
}

fn ruler(files: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ruler"))
        .args(["check", "rules"])
        .args(files.iter().map(|f| testdata(f)))
        .output()
        .expect("run ruler")
}

fn promtool(file: &str) -> Output {
    Command::new("promtool")
        .args(["check", "rules"])
        .arg(testdata(file))
        .output()
        .expect("run promtool (scripts/test.sh installs it)")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn both_accept_a_good_prometheus_file() {
    let ours = ruler(&["rules-good.yaml"]);
    assert_eq!(ours.status.code(), Some(0), "{}", stdout(&ours));
    assert!(stdout(&ours).contains("SUCCESS: 3 rules found"), "{}", stdout(&ours));
    let theirs = promtool("rules-good.yaml");
    assert_eq!(theirs.status.code(), Some(0));
    assert!(stdout(&theirs).contains("SUCCESS: 3 rules found"), "{}", stdout(&theirs));
}

#[test]
fn both_reject_each_bad_file_and_ours_names_file_and_line() {
    let cases = [
        ("rules-bad-expr.yaml", ":7:15: group \"g\", rule \"Broken\": could not parse expression"),
        (
            "rules-bad-fields.yaml",
            ":4: group \"g\", rule \"job:up:sum\": recording rules cannot have annotations",
        ),
        ("rules-bad-unknown-field.yaml", ":6: parse: groups[0].rules[0]: unknown field `lables`"),
        ("rules-bad-duplicate-group.yaml", ":6: group \"g\": group name is used twice in this file"),
    ];
    for (file, want) in cases {
        let theirs = promtool(file);
        assert_eq!(theirs.status.code(), Some(1), "promtool accepted {file}");
        let ours = ruler(&[file]);
        assert_eq!(ours.status.code(), Some(1), "ruler accepted {file}: {}", stdout(&ours));
        let out = stdout(&ours);
        let expected = format!("{}{want}", testdata(file).display());
        assert!(
            out.lines().any(|l| l.starts_with(&expected)),
            "{file}: want a line starting {expected:?}\n{out}"
        );
    }
}

/// A broken expression is placed where promtool places it: the value's line and column.
#[test]
fn a_broken_expression_is_located_as_promtool_locates_it() {
    let file = "rules-bad-expr.yaml";
    let theirs = String::from_utf8_lossy(&promtool(file).stderr).into_owned();
    // promtool: `<file>: 7:15: group "g", rule 2, "Broken": could not parse expression: …`
    let prefix = format!("{}: ", testdata(file).display());
    let at = theirs
        .lines()
        .find_map(|l| l.strip_prefix(&prefix)?.split(": ").next())
        .unwrap_or_else(|| panic!("no position in promtool's answer: {theirs}"));
    let ours = stdout(&ruler(&[file]));
    let expected = format!(
        "{}:{at}: group \"g\", rule \"Broken\": could not parse expression",
        testdata(file).display()
    );
    assert!(ours.lines().any(|l| l.starts_with(&expected)), "want {expected:?}\n{ours}");
}

#[test]
fn thanos_and_newer_prometheus_fields_are_accepted_and_every_file_is_reported() {
    for file in ["rules-thanos-good.yaml", "rules-newer-good.yaml"] {
        assert_eq!(promtool(file).status.code(), Some(1), "promtool 2.42 does not know these fields");
    }
    let out =
        ruler(&["rules-thanos-good.yaml", "rules-bad-expr.yaml", "rules-newer-good.yaml", "rules-good.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert_eq!(text.matches("SUCCESS").count(), 3, "{text}");
    assert_eq!(text.matches("FAILED").count(), 1, "{text}");
}

#[test]
fn a_missing_file_is_a_problem_not_a_crash() {
    let out = ruler(&["does-not-exist.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("does-not-exist.yaml: read: "), "{}", stdout(&out));
}
