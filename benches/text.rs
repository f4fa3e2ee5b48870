//! Text-model benchmarks, each beside its baselines in the same run (ratios are what we
//! record on noisy machines):
//!
//! a. prediction on a 200-character Chinese ticket (`Model::predict`), beside two baselines:
//!    scanning the same text for the default policy's keywords with one Aho-Corasick
//!    automaton (what a policy does today), and jieba's segmentation alone;
//! b. the steps of a prediction: tokenizing, and explaining (top 5 terms each way);
//! c. building jieba's shared dictionary (paid once per process, on first use) and reading a
//!    model file;
//! d. a whole decision on the same ticket by a small policy with keyword rules, without
//!    models (the baseline: a policy without models must pay nothing for them) and with the
//!    same rules plus one model.
//!
//! The model is trained at start on tickets generated from a fixed phrase list; set
//! `AFTERCARE_BENCH_MODEL=FILE` to measure a model file of your own instead (for example one
//! trained on a public review corpus, see docs/text-models.md).
//!
//! `cargo bench --bench text`

use std::hint::black_box;

use aftercare::text::{self, Example, Model, Tokenizer, TrainOptions};
use aftercare::{EvalOptions, Policy, Ticket};
use criterion::{criterion_group, criterion_main, Criterion};

#[path = "support/tickets.rs"]
mod support;

/// 200 characters, written as a customer writes: a product, what is wrong, what was tried, a
/// demand.
const TICKET: &str = "你好，我家的滚筒洗衣机是去年十一月在你们旗舰店买的，用了不到一年，最近一个星期每次洗到一半就停下来，\
屏幕显示E21错误代码，滚筒不转，排不出水，衣服泡在里面都有味道了。按说明书清理了过滤器也断电重启过，还是一样。\
上周打了两次客服电话，说会安排师傅上门，到现在也没人联系我，态度也很敷衍。家里有小孩每天都要洗衣服，实在等不了，\
请尽快派人来修，修不好的话我要求换货或者退货。谢谢，希望这次有人认真处理！！";

const PHRASES: &[(&str, &str)] = &[
    ("空调不制冷，温度降不下来", "fault"),
    ("洗衣机不脱水，滚筒不转", "fault"),
    ("热水器不出热水，显示故障代码", "fault"),
    ("冰箱冷藏室结冰，噪音很大", "fault"),
    ("燃气热水器有煤气味，不敢用了", "safety"),
    ("插座冒烟，闻到烧焦的味道", "safety"),
    ("电源线漏电，手碰到被电了一下", "safety"),
    ("我想退货，商品和描述不符", "return"),
    ("收到的冰箱门有凹痕，要求换货", "return"),
    ("七天无理由退货怎么申请", "return"),
    ("退款什么时候到账", "return"),
    ("师傅态度很差，还乱收费", "complaint"),
    ("客服一直不回复，太失望了", "complaint"),
    ("等了三天没人上门，投诉", "complaint"),
    ("请问保修期是多久", "consultation"),
    ("延保怎么购买，价格多少", "consultation"),
    ("安装需要另外收费吗", "consultation"),
    ("建议增加远程控制功能", "suggestion"),
    ("希望说明书写得详细一点", "suggestion"),
];

fn bench_model() -> Model {
    if let Ok(path) = std::env::var("AFTERCARE_BENCH_MODEL") {
        return Model::load(&path).expect("AFTERCARE_BENCH_MODEL names a model file");
    }
    let mut rng = support::Rng::new(7);
    let examples: Vec<Example> = (0..3000)
        .map(|_| {
            let (a, label) = PHRASES[(rng.next() % PHRASES.len() as u64) as usize];
            let (b, _) = PHRASES[(rng.next() % PHRASES.len() as u64) as usize];
            Example::new(format!("{a}。{b}"), label)
        })
        .collect();
    text::train(&examples, "kind", &TrainOptions::default(), &mut |_| {}).expect("trains")
}

/// Every keyword of the default policy's `contains_any` lists.
fn default_keywords() -> Vec<String> {
    fn walk(v: &toml::Value, out: &mut Vec<String>) {
        match v {
            toml::Value::Table(t) => {
                for (k, v) in t {
                    if k == "contains_any" {
                        if let Some(a) = v.as_array() {
                            out.extend(a.iter().filter_map(|s| s.as_str().map(String::from)));
                        }
                    } else {
                        walk(v, out);
                    }
                }
            }
            toml::Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let text = std::fs::read_to_string("policies/default.toml").expect("readable");
    let mut out = Vec::new();
    walk(&text.parse::<toml::Table>().expect("TOML").into(), &mut out);
    out
}

fn prediction(c: &mut Criterion) {
    assert_eq!(TICKET.chars().count(), 200);
    let model = bench_model();
    let keywords = default_keywords();
    let automaton = aho_corasick::AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(&keywords)
        .expect("automaton");
    let jieba = jieba_rs::Jieba::new();
    let tokenizer = Tokenizer::new();
    tokenizer.words("预热");

    let mut g = c.benchmark_group("a_predict_200_chars");
    g.bench_function("baseline_keywords_aho_corasick", |b| {
        b.iter(|| black_box(automaton.find_iter(black_box(TICKET)).count()))
    });
    g.bench_function("baseline_jieba_cut", |b| {
        b.iter(|| black_box(jieba.cut(black_box(TICKET), false).len()))
    });
    g.bench_function("model_predict", |b| {
        b.iter(|| black_box(model.predict(black_box(TICKET)).confidence))
    });
    g.finish();

    let mut g = c.benchmark_group("b_steps");
    g.bench_function("tokenize", |b| {
        b.iter(|| black_box(tokenizer.words(black_box(TICKET)).len()))
    });
    g.bench_function("explain_top5", |b| {
        b.iter(|| black_box(model.explain(black_box(TICKET), 5).for_label.len()))
    });
    g.finish();

    let bytes = model.to_bytes();
    let mut g = c.benchmark_group("c_once");
    g.sample_size(10);
    g.bench_function("jieba_dictionary_build", |b| {
        b.iter(|| black_box(jieba_rs::Jieba::new()))
    });
    g.bench_function(format!("model_from_bytes_{}_bytes", bytes.len()), |b| {
        b.iter(|| black_box(Model::from_bytes(black_box(&bytes)).expect("loads")))
    });
    g.finish();
}

/// The same keyword policy without and with `[models.kind]`, written with the model into a
/// fresh folder.
fn policies(model: &Model) -> (Policy, Policy) {
    let dir = std::env::temp_dir().join(format!("aftercare-bench-text-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("models")).expect("temp folder");
    model.save(dir.join("models/kind.model")).expect("writable");
    let toml = |models: &str| {
        format!(
            r#"[policy]
name = "bench"
version = "1"
calendar = "always"
{models}

[calendars.always]
timezone = "Asia/Shanghai"
week = {{ mon = ["00:00-24:00"], tue = ["00:00-24:00"], wed = ["00:00-24:00"], thu = ["00:00-24:00"], fri = ["00:00-24:00"], sat = ["00:00-24:00"], sun = ["00:00-24:00"] }}

[[categories]]
id = "fault"
when = {{ text = {{ contains_any = ["不转", "不制冷", "故障", "错误代码"] }} }}

[[categories]]
id = "return"
when = {{ text = {{ contains_any = ["退货", "换货", "退款"] }} }}

[[categories]]
id = "other"
default = true

[priorities]
order = ["urgent", "low"]
default = "low"

[[priority_rules]]
id = "urgent-words"
priority = "urgent"
when = {{ text = {{ contains_any = ["煤气", "冒烟", "漏电"] }} }}

[[routes]]
id = "desk"
default = true
department = "desk"

[departments.desk]

[sla.targets.urgent]
first_response = "1h"
resolution = "8h"

[sla.targets.low]
first_response = "8h"
resolution = "5bd"
"#
        )
    };
    let write = |name: &str, models: &str| {
        let path = dir.join(name);
        std::fs::write(&path, toml(models)).expect("writable");
        Policy::from_path(&path).expect("valid policy")
    };
    let plain = write("plain.toml", "");
    let with = write(
        "with_model.toml",
        "\n[models.kind]\npath = \"models/kind.model\"",
    );
    let _ = std::fs::remove_dir_all(&dir);
    (plain, with)
}

fn decision(c: &mut Criterion) {
    let model = bench_model();
    let (plain, with) = policies(&model);
    let ticket = Ticket::from_json(
        &serde_json::json!({"id": "T-1", "created_at": "2025-10-09T09:00:00+08:00", "description": TICKET})
            .to_string(),
    )
    .expect("valid ticket");
    let now = chrono::DateTime::parse_from_rfc3339("2025-10-09T10:00:00+08:00")
        .expect("valid")
        .with_timezone(&chrono::Utc);
    assert!(with
        .evaluate_with(&ticket, now, EvalOptions { trace: false })
        .is_ok());
    let mut g = c.benchmark_group("d_decision_200_chars");
    g.bench_function("baseline_policy_without_models", |b| {
        b.iter(|| {
            black_box(plain.evaluate_with(black_box(&ticket), now, EvalOptions { trace: false }))
        })
    });
    g.bench_function("policy_with_one_model", |b| {
        b.iter(|| {
            black_box(with.evaluate_with(black_box(&ticket), now, EvalOptions { trace: false }))
        })
    });
    g.finish();
}

criterion_group!(benches, prediction, decision);
criterion_main!(benches);
