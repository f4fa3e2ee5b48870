//! Story fixtures: a policy, tickets and the expected decision, kept as files under
//! `tests/stories/` in the crate's own test-case format (`aftercare test` reads them too).
//! Each story's cases must pass, and each case's whole decision is snapshotted, so a change
//! anywhere in a decision shows up in review.

use std::path::{Path, PathBuf};

use aftercare::testing::{self, CaseFile};
use aftercare::Ticket;

use crate::support::{policy, root};

fn stories() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("tests/stories"))
        .expect("tests/stories is readable")
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .to_string()
}

#[test]
fn every_story_passes_and_its_decisions_are_as_recorded() {
    let files = stories();
    assert!(files.len() >= 2, "the stories are found: {files:?}");
    for path in files {
        let file = CaseFile::from_path(&path).unwrap_or_else(|e| panic!("{e}"));
        let policy_path = file.policy.clone().expect("a story names its policy");
        let p = policy(policy_path.to_str().expect("a UTF-8 path"));
        let report = testing::run(&p, &file);
        assert_eq!(report.failed(), 0, "{report}");
        for (i, case) in file.cases.iter().enumerate() {
            let ticket =
                Ticket::from_value(case.ticket.clone()).expect("a story's ticket is valid");
            let decision = p.evaluate(&ticket, case.now).expect("a decision");
            insta::assert_json_snapshot!(format!("{}__{}", stem(&path), i + 1), decision);
        }
    }
}
