//! Reports and explanations in the users' own words: the policy's labels, English and
//! Chinese (`[policy] locale`, `--lang`), quarters and years, and the calendar's reasons.

use aftercare::i18n::Lang;
use aftercare::report::{Granularity, Report};
use aftercare::{Policy, Ticket};
use serde_json::Value;

use crate::support::at;

const POLICY: &str = "policies/default.toml";
const TICKETS: &str = "policies/samples/tickets.jsonl";
const NOW: &str = "2025-10-15T12:00:00+08:00";

fn samples() -> Vec<Ticket> {
    std::fs::read_to_string(TICKETS)
        .expect("the samples")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| Ticket::from_json(l).expect("a sample ticket"))
        .collect()
}

fn report(by: Granularity) -> Report {
    let policy = Policy::from_path(POLICY).expect("the policy loads");
    Report::build(&policy, &samples(), at(NOW), by)
}

#[test]
fn the_bundled_report_in_chinese_and_in_english() {
    let zh = report(Granularity::Month);
    assert_eq!(zh.locale, Lang::ZhCn, "the bundled policy says zh-CN");
    let zh_text = zh.to_text();
    assert!(
        zh_text.contains("售后技术部 (after_sales_tech)"),
        "{zh_text}"
    );
    assert!(zh_text.contains("首次响应达标率"), "{zh_text}");
    insta::assert_snapshot!("report_zh", zh_text);
    let en_text = zh.in_lang(Lang::En).to_text();
    assert!(en_text.contains("first response SLA"), "{en_text}");
    assert!(
        en_text.contains("投诉类 (complaint)"),
        "labels stay the policy's: {en_text}"
    );
    assert!(!en_text.contains("首次响应"), "{en_text}");
    insta::assert_snapshot!("report_en", en_text);
}

#[test]
fn the_html_report_speaks_the_language_it_declares() {
    let zh = report(Granularity::Quarter);
    let html = zh.to_html();
    assert!(html.contains(r#"<html lang="zh-CN">"#));
    assert!(html.contains("如何阅读本报告"));
    assert!(html.contains("售后技术部"));
    // A quarter's months are rows of their own.
    assert!(html.contains(r#"<tr class="month"><td>2025-10</td>"#));
    let en = zh.in_lang(Lang::En).to_html();
    assert!(en.contains(r#"<html lang="en">"#));
    assert!(en.contains("How to read this report"));
    assert!(!en.contains("如何阅读"));
}

#[test]
fn quarters_and_years_hold_their_months_with_the_same_kpis() {
    let q = report(Granularity::Quarter);
    let labels: Vec<&str> = q.periods.iter().map(|p| p.label.as_str()).collect();
    assert_eq!(labels.first(), Some(&"2024-Q2"));
    assert_eq!(labels.last(), Some(&"2025-Q4"));
    let months = report(Granularity::Month);
    for p in &q.periods {
        assert_eq!(p.months.len(), 3, "{}", p.label);
        let sum: u64 = p.months.iter().map(|m| m.kpis.tickets).sum();
        assert_eq!(sum, p.kpis.tickets, "{}", p.label);
        // Each month inside a quarter is the month of the monthly report.
        for m in p.months.iter().filter(|m| m.kpis.tickets > 0) {
            let same = months.periods.iter().find(|x| x.label == m.label);
            assert_eq!(same.map(|x| &x.kpis), Some(&m.kpis), "{}", m.label);
        }
    }
    let y = report(Granularity::Year);
    let labels: Vec<&str> = y.periods.iter().map(|p| p.label.as_str()).collect();
    assert_eq!(labels, ["2024", "2025"]);
    assert_eq!(y.periods[1].months.len(), 12);
    assert_eq!(y.totals.kpis, q.totals.kpis);
}

#[test]
fn json_keeps_ids_and_adds_the_labels_once() {
    let json: Value = serde_json::from_str(&report(Granularity::Month).to_json()).expect("JSON");
    assert_eq!(
        json["labels"]["department"]["after_sales_tech"],
        "售后技术部"
    );
    assert_eq!(json["labels"]["category"]["fault"], "故障报修/问题类");
    assert_eq!(json["labels"]["priority"]["urgent"], "紧急");
    assert_eq!(json["locale"], "zh-CN");
    assert!(json["totals"]["by_department"]["after_sales_tech"].is_u64());
}

fn explain(ticket: &str, lang: Lang) -> aftercare::explain::Explanation {
    let policy = Policy::from_path(POLICY).expect("the policy loads");
    let json = std::fs::read_to_string(format!("tests/fixtures/policy_tests/{ticket}"))
        .expect("the ticket");
    let ticket = Ticket::from_json(&json).expect("a ticket");
    policy
        .explain(&ticket, at("2025-10-20T12:00:00+08:00"))
        .expect("an explanation")
        .in_lang(lang)
}

#[test]
fn an_explanation_in_chinese_and_in_english_names_holidays_and_make_up_days() {
    let zh = explain("ticket_national_day.json", Lang::ZhCn);
    let resolution = zh
        .clocks
        .iter()
        .find(|c| c.metric == "resolution")
        .expect("a resolution clock");
    assert_eq!(
        resolution
            .workdays
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>(),
        ["2025-10-11"],
        "the make-up Saturday is named"
    );
    let text = zh.to_string();
    assert!(text.contains("调休上班  周六 2025-10-11"), "{text}");
    assert!(text.contains("2025-10-01..2025-10-08 (节假日)"), "{text}");
    insta::assert_snapshot!("explain_zh", text);
    let en = zh.in_lang(Lang::En).to_string();
    assert!(
        en.contains("workday   Sat 2025-10-11 (make-up working day, counted)"),
        "{en}"
    );
    insta::assert_snapshot!("explain_en", en);
}

#[test]
fn closed_days_before_the_first_opening_are_listed() {
    // Created on Labour Day 2024 (a holiday from 05-01 to 05-05): the clocks count from the
    // opening on 05-06, and the explanation names the holidays in between, as the trace does.
    let policy = Policy::from_path(POLICY).expect("the policy loads");
    let line = std::fs::read_to_string(TICKETS)
        .expect("the samples")
        .lines()
        .find(|l| l.contains("FB202405001"))
        .map(str::to_string)
        .expect("the sample");
    let ticket = Ticket::from_json(&line).expect("a ticket");
    let why = policy.explain(&ticket, at(NOW)).expect("an explanation");
    let first = &why.clocks[0];
    assert_eq!(
        first.windows[0].from.to_string(),
        "2024-05-06T09:00:00+08:00"
    );
    let skipped: Vec<String> = first
        .skipped
        .iter()
        .map(|s| format!("{}..{} {}", s.from, s.to, s.reason))
        .collect();
    assert_eq!(skipped, ["2024-05-02..2024-05-05 holiday"]);
}

#[test]
fn lang_flags_override_the_policy_locale() {
    let out = crate::support::aftercare()
        .args([
            "report", POLICY, TICKETS, "--now", NOW, "--lang", "en", "--by", "quarter",
        ])
        .output()
        .expect("runs");
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(text.contains("by quarter"), "{text}");
    assert!(text.contains("  2025-Q4 "), "{text}");
    let out = crate::support::aftercare()
        .args(["report", POLICY, TICKETS, "--now", NOW, "--lang", "fr"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a language"));
}

#[test]
fn a_locale_the_catalogues_lack_is_a_policy_error() {
    let err = Policy::from_toml(&crate::support::minimal_policy(
        "[policy]\nname = \"x\"\nlocale = \"zh-TW\"\n",
    ))
    .expect_err("an unknown locale");
    let text = err.to_string();
    assert!(text.contains("`zh-TW` is not a locale"), "{text}");
}

#[test]
fn diff_and_test_speak_the_language_asked_for() {
    let diff = |lang: &str| {
        let out = crate::support::aftercare()
            .args([
                "diff",
                "tests/fixtures/diff/old.toml",
                "tests/fixtures/diff/new.toml",
                "tests/fixtures/diff/tickets.jsonl",
                "--now",
                "2025-10-14T12:00:00+08:00",
                "--lang",
                lang,
            ])
            .output()
            .expect("runs");
        String::from_utf8(out.stdout).expect("UTF-8")
    };
    let zh = diff("zh-CN");
    assert!(
        zh.contains("超时工单（任一 SLA 指标）：3 → 5（+2）"),
        "{zh}"
    );
    assert!(zh.contains("(规则 desk → tech)"), "{zh}");
    assert!(diff("en").contains("breached (any SLA metric): 3 → 5 (+2)"));

    let test = |extra: &[&str]| {
        let out = crate::support::aftercare()
            .args(["test", POLICY])
            .args(extra)
            .output()
            .expect("runs");
        String::from_utf8(out.stdout).expect("UTF-8")
    };
    assert!(test(&[]).trim_end().ends_with(" passed, 0 failed"));
    assert!(test(&["--lang", "zh-CN"]).trim_end().ends_with("，失败 0"));
}

#[test]
fn diff_names_the_policies_labels_and_lists_them_once_in_json() {
    let out = crate::support::aftercare()
        .args([
            "diff", POLICY, POLICY, TICKETS, "--now", NOW, "--format", "json",
        ])
        .output()
        .expect("runs");
    let json: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["labels"]["department"]["product_dept"], "产品部");
    assert_eq!(json["changed"]["route"], 0);
}
