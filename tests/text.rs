//! Text models end to end: training is deterministic, bad model files and bad training input
//! get typed errors, metrics match hand counts, and `aftercare train` works as documented.

use std::path::PathBuf;
use std::process::{Command, Output};

use aftercare::text::{self, Example, Model, ModelError, TrainError, TrainOptions};
use serde_json::Value;

/// A small hand-made set: three labels, six texts each.
const TRAIN: &[(&str, &str)] = &[
    ("空调不制冷，温度降不下来", "fault"),
    ("洗衣机不脱水，滚筒不转", "fault"),
    ("热水器不出热水，显示故障代码", "fault"),
    ("冰箱冷藏室不制冷", "fault"),
    ("洗衣机脱水时噪音大", "fault"),
    ("空调外机不转，不制冷", "fault"),
    ("我想退货，商品和描述不符", "return"),
    ("收到的冰箱门有凹痕，要求退货", "return"),
    ("七天无理由退货怎么申请", "return"),
    ("退款什么时候到账，已经退货了", "return"),
    ("申请退货退款", "return"),
    ("质量太差，我要退货", "return"),
    ("请问保修期是多久", "consultation"),
    ("延保怎么购买，价格多少", "consultation"),
    ("安装需要另外收费吗，请问", "consultation"),
    ("请问售后电话是多少", "consultation"),
    ("保修期内维修收费吗", "consultation"),
    ("请问怎么预约安装", "consultation"),
];

fn examples() -> Vec<Example> {
    TRAIN.iter().map(|(t, l)| Example::new(*t, *l)).collect()
}

fn small() -> TrainOptions {
    TrainOptions {
        min_examples: 2,
        min_df: 1,
        ..TrainOptions::default()
    }
}

fn model() -> Model {
    text::train(&examples(), "kind", &small(), &mut |_| {}).unwrap()
}

#[test]
fn learns_and_predicts_with_confidence() {
    let m = model();
    assert_eq!(m.labels(), ["consultation", "fault", "return"]);
    let p = m.predict("我的洗衣机不脱水了");
    assert_eq!(p.label, "fault");
    assert!(p.confidence > 0.5, "{p:?}");
    assert_eq!(m.predict("要退货").label, "return");
    // No known feature: the lowest possible confidence, never a panic.
    for t in ["", "   ", "，。！", "zzzz qqqq"] {
        let p = m.predict(t);
        assert!((p.confidence - 1.0 / 3.0).abs() < 1e-9, "{t:?}: {p:?}");
    }
    // Huge text is read up to the limit.
    let huge = "不制冷".repeat(200_000);
    assert_eq!(m.predict(&huge).label, "fault");
    let probs = m.probabilities("我的洗衣机不脱水了");
    assert!((probs.iter().sum::<f64>() - 1.0).abs() < 1e-9);
}

#[test]
fn explanations_name_terms_for_and_against() {
    let m = model();
    let e = m.explain("洗衣机不脱水，我想退货", 3);
    assert!(e.for_label.len() <= 3 && e.against_label.len() <= 3);
    assert!(e.for_label.iter().all(|t| t.weight > 0.0));
    assert!(e.against_label.iter().all(|t| t.weight < 0.0));
    let all: Vec<&str> = e
        .for_label
        .iter()
        .chain(&e.against_label)
        .map(|t| t.term.as_str())
        .collect();
    // Both the fault words and the return words moved it, on opposite sides.
    assert!(
        all.iter().any(|t| t.contains("退货")) && all.iter().any(|t| t.contains("脱水")),
        "{all:?}"
    );
    assert!(m.explain("", 5).for_label.is_empty());
}

#[test]
fn training_is_deterministic_to_the_byte() {
    let a = model().to_bytes();
    let b = model().to_bytes();
    assert_eq!(a, b);
    // The number of threads changes nothing.
    for threads in [1, 2, 3] {
        let opts = TrainOptions { threads, ..small() };
        let m = text::train(&examples(), "kind", &opts, &mut |_| {}).unwrap();
        assert_eq!(m.to_bytes(), a, "{threads} threads");
    }
    // Choosing C by cross-validation too, and weighing rare labels up.
    let cv = |threads| TrainOptions {
        threads,
        c_grid: vec![0.5, 10.0, 3.0],
        folds: 2,
        balanced: true,
        ..small()
    };
    let one = text::train(&examples(), "kind", &cv(1), &mut |_| {}).unwrap();
    let three = text::train(&examples(), "kind", &cv(3), &mut |_| {}).unwrap();
    assert_eq!(one.to_bytes(), three.to_bytes());
    let mut chosen = None;
    text::train(&examples(), "kind", &cv(2), &mut |p| {
        if let text::Progress::ChoseC { c, .. } = p {
            chosen = Some(c);
        }
    })
    .unwrap();
    assert!(
        matches!(chosen, Some(c) if [0.5, 3.0, 10.0].contains(&c)),
        "{chosen:?}"
    );
    // And the file reads back as the same model.
    let back = Model::from_bytes(&a).unwrap();
    assert_eq!(back.to_bytes(), a);
    assert_eq!(back, model());
}

#[test]
fn f16_weights_predict_like_f32() {
    let m16 = model();
    let opts = TrainOptions {
        quantization: text::Quantization::F32,
        ..small()
    };
    let m32 = text::train(&examples(), "kind", &opts, &mut |_| {}).unwrap();
    assert!(m16.to_bytes().len() < m32.to_bytes().len());
    for (t, _) in TRAIN {
        let (a, b) = (m16.predict(t), m32.predict(t));
        assert_eq!(a.label, b.label);
        assert!((a.confidence - b.confidence).abs() < 1e-2);
    }
}

#[test]
fn user_words_travel_with_the_model() {
    let opts = TrainOptions {
        user_words: vec!["KFR-35GW".into()],
        ..small()
    };
    let m = text::train(&examples(), "kind", &opts, &mut |_| {}).unwrap();
    let back = Model::from_bytes(&m.to_bytes()).unwrap();
    assert_eq!(back.tokenizer().user_words(), ["kfr-35gw"]);
}

#[test]
fn bad_training_input_names_the_problem() {
    let one: Vec<Example> = (0..6)
        .map(|i| Example::new(format!("文本{i}"), "a"))
        .collect();
    let e = text::train(&one, "kind", &small(), &mut |_| {}).unwrap_err();
    assert_eq!(
        e,
        TrainError::TooFewLabels {
            labels: vec!["a".into()]
        }
    );
    assert!(e.to_string().contains("`a`"), "{e}");
    assert_eq!(
        text::train(&[], "kind", &small(), &mut |_| {}).unwrap_err(),
        TrainError::NoExamples
    );
    let mut few = examples();
    few.push(Example::new("建议增加功能", "suggestion"));
    let e = text::train(&few, "kind", &small(), &mut |_| {}).unwrap_err();
    assert_eq!(
        e.to_string(),
        "label `suggestion` has 1 example(s); each label needs at least 2"
    );
    let bad = TrainOptions { c: 0.0, ..small() };
    assert!(matches!(
        text::train(&examples(), "kind", &bad, &mut |_| {}),
        Err(TrainError::Options(_))
    ));
}

#[test]
fn labels_come_from_ticket_fields_never_personal_ones() {
    let t = aftercare::Ticket::from_json(
        r#"{"id": "1", "created_at": "2025-10-09T09:00:00+08:00", "kind": "fault",
            "subject": "不制冷", "description": "张三 13800000000",
            "customer": {"name": "张三", "tier": "vip"}, "attributes": {"flag": true, "tags": ["x"]}}"#,
    )
    .unwrap();
    assert_eq!(
        text::label_of(&t, "kind").unwrap().as_deref(),
        Some("fault")
    );
    assert_eq!(
        text::label_of(&t, "customer.tier").unwrap().as_deref(),
        Some("vip")
    );
    assert_eq!(
        text::label_of(&t, "attributes.flag").unwrap().as_deref(),
        Some("true")
    );
    assert_eq!(text::label_of(&t, "attributes.tags").unwrap(), None);
    assert_eq!(text::label_of(&t, "attributes.none").unwrap(), None);
    for personal in [
        "customer.name",
        "customer.contact",
        "product.order_no",
        "product.serial_no",
    ] {
        assert!(text::label_of(&t, personal)
            .unwrap_err()
            .contains("personal"));
    }
    assert!(text::label_of(&t, "events").is_err());
    // The text is subject and description only.
    assert_eq!(text::ticket_text(&t), "不制冷\n张三 13800000000");
}

#[test]
fn metrics_match_hand_counts() {
    let m = model();
    // Three texts each of two labels the model knows, and one of a label it does not.
    let test: Vec<Example> = [
        ("空调不制冷", "fault"),
        ("洗衣机不脱水", "fault"),
        ("我要退货", "fault"), // predicted return: a fault missed
        ("申请退货", "return"),
        ("退货退款", "return"),
        ("保修期多久，请问", "consultation"),
        ("建议增加远程控制", "suggestion"),
    ]
    .iter()
    .map(|(t, l)| Example::new(*t, *l))
    .collect();
    let predicted: Vec<&str> = test.iter().map(|e| m.predict(&e.text).label).collect();
    assert_eq!(
        predicted[..6],
        [
            "fault",
            "fault",
            "return",
            "return",
            "return",
            "consultation"
        ]
    );
    let e = text::evaluate(&m, &test);
    let p = predicted[6];
    assert_eq!(e.examples, 7);
    assert!((e.accuracy - 5.0 / 7.0).abs() < 1e-12);
    assert_eq!(
        e.confusion.labels,
        ["consultation", "fault", "return", "suggestion"]
    );
    let fault = e.labels["fault"];
    assert_eq!(fault.support, 3);
    assert!((fault.recall - 2.0 / 3.0).abs() < 1e-12);
    let ret = e.labels["return"];
    assert!((ret.precision - 2.0 / 3.0).abs() < 1e-12 && ret.recall == 1.0);
    let sug = e.labels["suggestion"];
    assert_eq!((sug.support, sug.recall, sug.f1), (1, 0.0, 0.0));
    // Rows true, columns predicted; the suggestion went wherever the model put it.
    let col = e.confusion.labels.iter().position(|l| l == p).unwrap();
    let mut last = vec![0; 4];
    last[col] = 1;
    assert_eq!(e.confusion.counts[3], last);
    assert_eq!(e.confusion.counts[1], [0, 2, 1, 0]);
    let f1s: Vec<f64> = e.labels.values().map(|s| s.f1).collect();
    assert!((e.macro_f1 - f1s.iter().sum::<f64>() / f1s.len() as f64).abs() < 1e-12);
}

/// A folder under the system temp folder, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("aftercare-text-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn bad_model_files_get_typed_errors() {
    let dir = Scratch::new("bad-files");
    let good = model().to_bytes();
    let load = |name: &str, bytes: &[u8]| {
        let p = dir.path(name);
        std::fs::write(&p, bytes).unwrap();
        Model::load(&p)
    };
    assert!(load("good.model", &good).is_ok());
    assert!(matches!(
        Model::load(dir.path("nothing.model")),
        Err(ModelError::Missing { .. })
    ));
    assert!(matches!(
        Model::load(&dir.0),
        Err(ModelError::NotAFile { .. })
    ));
    assert_eq!(load("empty.model", b"").unwrap_err(), ModelError::NotAModel);
    assert_eq!(
        load("toml.model", b"[models.x]\npath = 1\n").unwrap_err(),
        ModelError::NotAModel
    );
    assert!(matches!(
        load("short.model", &good[..5]).unwrap_err(),
        ModelError::Truncated { expected: None, .. }
    ));
    let cut = good.len() - 100;
    assert_eq!(
        load("cut.model", &good[..cut]).unwrap_err(),
        ModelError::Truncated {
            actual: cut as u64,
            expected: Some(good.len() as u64)
        }
    );
    // A file of the format before TF-IDF weighting (version 1), and one from the future.
    for old in [1u8, 3] {
        let mut other = good.clone();
        other[8] = old;
        let e = load("other.model", &other).unwrap_err();
        assert_eq!(
            e,
            ModelError::Version {
                found: u32::from(old),
                supported: text::FORMAT_VERSION
            }
        );
        assert!(e.hint().contains("train the model again"), "{}", e.hint());
    }
    assert_eq!(text::FORMAT_VERSION, 2);
    let mut flipped = good.clone();
    let mid = good.len() / 2;
    flipped[mid] ^= 0x40;
    assert_eq!(
        load("flip.model", &flipped).unwrap_err(),
        ModelError::Checksum
    );
    let mut longer = good.clone();
    longer.push(0);
    assert!(matches!(
        load("long.model", &longer).unwrap_err(),
        ModelError::Corrupt(_)
    ));
    for e in [ModelError::Checksum, ModelError::NotAModel] {
        assert!(!e.hint().is_empty());
    }
}

// ---------------------------------------------------------------------------------------
// `aftercare train`

fn aftercare(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aftercare"))
        .args(args)
        .output()
        .expect("aftercare runs")
}

fn jsonl(dir: &Scratch, name: &str, rows: &[(&str, Option<&str>)]) -> String {
    let lines: Vec<String> = rows
        .iter()
        .enumerate()
        .map(|(i, (text, label))| {
            let attrs = label.map_or(String::new(), |l| {
                format!(r#","attributes":{{"problem":"{l}"}}"#)
            });
            format!(
                r#"{{"id":"T{i}","created_at":"2025-10-09T09:00:00+08:00","description":"{text}","customer":{{"name":"王丽娟"}}{attrs}}}"#
            )
        })
        .collect();
    let p = dir.path(name);
    std::fs::write(&p, lines.join("\n") + "\n").unwrap();
    p.to_str().unwrap().to_string()
}

fn train_rows() -> Vec<(&'static str, Option<&'static str>)> {
    let mut rows: Vec<_> = TRAIN.iter().map(|(t, l)| (*t, Some(*l))).collect();
    rows.push(("没有标签的工单", None));
    rows
}

#[test]
fn cli_trains_and_measures_as_json() {
    let dir = Scratch::new("cli-json");
    let train = jsonl(&dir, "train.jsonl", &train_rows());
    let test = jsonl(
        &dir,
        "test.jsonl",
        &[
            ("空调不制冷", Some("fault")),
            ("我要退货", Some("return")),
            ("请问保修多久", Some("consultation")),
            ("无标签", None),
        ],
    );
    let out_path = dir.path("p.model");
    let out = out_path.to_str().unwrap();
    let args = [
        "train",
        &train,
        "--label",
        "attributes.problem",
        "--out",
        out,
        "--test",
        &test,
        "--format",
        "json",
        "--min-examples",
        "2",
    ];
    let run = aftercare(&args);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let v: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(v["trained"]["tickets"], 18);
    assert_eq!(v["trained"]["skipped"], 1);
    assert_eq!(v["trained"]["labels"]["return"], 6);
    assert_eq!(v["test"]["tickets"], 3);
    assert_eq!(v["test"]["skipped"], 1);
    assert_eq!(v["accuracy"], 1.0);
    assert_eq!(v["macro_f1"], 1.0);
    assert_eq!(v["labels"]["fault"]["support"], 1);
    for key in ["precision", "recall", "f1", "support"] {
        assert!(v["labels"]["return"].get(key).is_some(), "{key}");
    }
    assert_eq!(
        v["confusion"]["labels"],
        serde_json::json!(["consultation", "fault", "return"])
    );
    assert_eq!(
        v["confusion"]["counts"],
        serde_json::json!([[1, 0, 0], [0, 1, 0], [0, 0, 1]])
    );
    // Nothing personal in the output or the model.
    let bytes = std::fs::read(&out_path).unwrap();
    assert!(!String::from_utf8_lossy(&run.stdout).contains("王丽娟"));
    assert!(!bytes
        .windows("王丽娟".len())
        .any(|w| w == "王丽娟".as_bytes()));
    // The same tickets give the same file.
    let again = dir.path("again.model");
    let mut args2 = args;
    args2[5] = again.to_str().unwrap();
    assert_eq!(aftercare(&args2).status.code(), Some(0));
    assert_eq!(std::fs::read(&again).unwrap(), bytes);
    assert_eq!(
        Model::load(&out_path).unwrap().label_field(),
        "attributes.problem"
    );
}

#[test]
fn cli_text_output_has_the_table_and_the_matrix() {
    let dir = Scratch::new("cli-text");
    let train = jsonl(&dir, "train.jsonl", &train_rows());
    let out = dir.path("p.model");
    let run = aftercare(&[
        "train",
        &train,
        "--label",
        "attributes.problem",
        "--out",
        out.to_str().unwrap(),
        "--test",
        &train,
        "--min-examples",
        "2",
    ]);
    assert_eq!(run.status.code(), Some(0));
    let s = String::from_utf8(run.stdout).unwrap();
    assert!(
        s.starts_with("trained `attributes.problem` on 18 ticket(s) (1 without it skipped)"),
        "{s}"
    );
    assert!(s.contains("accuracy 1.0000  macro-F1 1.0000"), "{s}");
    assert!(
        s.contains("label         precision  recall      f1  support"),
        "{s}"
    );
    assert!(
        s.contains("confusion (rows: true label, columns: predicted"),
        "{s}"
    );
    // Not a terminal: no progress on stderr.
    assert!(
        run.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

#[test]
fn cli_refuses_what_it_cannot_learn() {
    let dir = Scratch::new("cli-bad");
    let one = jsonl(
        &dir,
        "one.jsonl",
        &[("a", Some("x")), ("b", Some("x")), ("c", None)],
    );
    let out = dir.path("m.model");
    let out = out.to_str().unwrap();
    let run = aftercare(&["train", &one, "--label", "attributes.problem", "--out", out]);
    assert_eq!(run.status.code(), Some(2));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains("at least two labels; the examples have only `x`"),
        "{err}"
    );
    assert!(err.contains("1 ticket(s) without it skipped"), "{err}");
    assert!(!std::path::Path::new(out).exists());

    let train = jsonl(&dir, "train.jsonl", &train_rows());
    let run = aftercare(&[
        "train",
        &train,
        "--label",
        "attributes.problem",
        "--out",
        out,
        "--min-examples",
        "7",
    ]);
    assert_eq!(run.status.code(), Some(2));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains("label `consultation` has 6 example(s); each label needs at least 7"),
        "{err}"
    );

    let run = aftercare(&["train", &train, "--label", "customer.name", "--out", out]);
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("personal data"));

    let run = aftercare(&["train", "no-such.jsonl", "--label", "kind", "--out", out]);
    assert_eq!(run.status.code(), Some(2));
}
