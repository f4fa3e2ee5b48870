//! Ticket generation for benchmarks and allocation tests: the issue's mix, from a fixed seed.
//!
//! kind: complaint 30 % | consultation 15 % | suggestion 10 % | fault 45 %;
//! channel: phone, email, chat, wechat, store; tier: vip 12 % | regular;
//! safety_hazard and batch_issue ≈ 2 % each.

#![allow(dead_code)] // each bench uses a different part

/// A small xorshift generator: deterministic, no dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    /// Uniform in 0..100.
    pub fn percent(&mut self) -> u64 {
        self.next() % 100
    }
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

const CHANNELS: [&str; 5] = ["phone", "email", "chat", "wechat", "store"];
const REGIONS: [&str; 4] = ["north", "east", "south", "west"];
const PRODUCTS: [&str; 4] = ["KFR-35GW", "JSQ25-13", "XQG100", "BCD-520"];
const TEXTS: [&str; 6] = [
    "空调制冷效果差,联系售后未得到解决",
    "热水器出水不热,需要上门维修",
    "想咨询一下保修政策和延保价格",
    "建议App增加远程控制功能",
    "The washing machine is leaking water and shows error E21",
    "Installer was rude and the problem is still unresolved",
];

/// One ticket as JSON text. `events` adds a realistic history (first response, a pause,
/// resolution) so that clocks have something to count.
pub fn ticket_json(rng: &mut Rng, n: usize, events: bool) -> String {
    let p = rng.percent();
    let kind = match p {
        0..=29 => "complaint",
        30..=44 => "consultation",
        45..=54 => "suggestion",
        _ => "fault",
    };
    let tier = if rng.percent() < 12 { "vip" } else { "regular" };
    let safety = rng.percent() < 2;
    let batch = rng.percent() < 2;
    let channel = rng.pick(&CHANNELS);
    let region = rng.pick(&REGIONS);
    let product = rng.pick(&PRODUCTS);
    let text = rng.pick(&TEXTS);
    let day = 1 + rng.next() % 28;
    let hour = 8 + rng.next() % 11;
    let history = if events {
        format!(
            r#","events":[{{"at":"2025-09-{day:02}T{h1:02}:30:00+08:00","type":"first_response"}},{{"at":"2025-09-{day:02}T{h1:02}:45:00+08:00","type":"status","status":"waiting_customer"}},{{"at":"2025-09-{d2:02}T10:00:00+08:00","type":"status","status":"in_progress"}},{{"at":"2025-09-{d2:02}T15:00:00+08:00","type":"resolved"}}]"#,
            h1 = hour,
            d2 = day + 1,
        )
    } else {
        String::new()
    };
    format!(
        r#"{{"id":"B{n:07}","created_at":"2025-09-{day:02}T{hour:02}:10:00+08:00","channel":"{channel}","kind":"{kind}","subject":"{text}","description":"{text}","customer":{{"id":"C{n}","name":"Customer {n}","contact":"+86 138 0000 {n:04}","tier":"{tier}","region":"{region}"}},"product":{{"model":"{product}","order_no":"O{n}","serial_no":"S{n}"}},"attributes":{{"safety_hazard":{safety},"batch_issue":{batch}}}{history}}}"#
    )
}
