//! CFPB-style complaint rows → aftercare tickets (JSON).
//!
//! | CSV column | ticket field |
//! |---|---|
//! | Complaint ID | `id` |
//! | Date received | `created_at`: 09:00 New York time that day |
//! | Submitted via | `channel`, lower case (`postal_mail`) |
//! | Product | `kind` |
//! | Issue, Sub-issue | `subject` (`Issue: Sub-issue`) |
//! | Consumer complaint narrative | `description` |
//! | State | `customer.region` |
//! | Sub-product, Company, Tags, Company response to consumer, Timely response?, Consumer disputed?, Consumer consent provided? | `attributes` |
//! | Date sent to company | a `first_response` event at 09:00 New York time that day |
//! | Company response to consumer, Timely response? | a `resolved` event when the company closed the complaint (below) |
//! | ZIP code | dropped: with the state it narrows a consumer down too far |
//!
//! The export has dates, not times. Every date becomes 09:00 New York time, the opening of the
//! business day, so the business time between two dates is a whole number of business days.
//! The complaint reaching the company is its first response.
//!
//! The export says whether the company answered ("Closed…" in "Company response to consumer";
//! "In progress" and "Untimely response" are not answers) and whether it answered within the
//! 15 days the CFPB allows after sending ("Timely response?"), but not on which day. The answer
//! becomes a `resolved` event on a day the export allows: a timely answer 15 days after the day
//! received (or on the day sent, if that is later), an untimely one 16 days after the day sent.
//! So the statuses the example policy gives (met within 15 days of receipt, breached, open) are
//! the export's; the times to resolution are bounds set here, not measurements.

use chrono::{Days, NaiveDate, NaiveTime, TimeZone};
use chrono_tz::America::New_York;
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// One row of the export. Columns not named here (such as `ZIP code`) are never read.
#[derive(Debug, Deserialize)]
pub struct Complaint {
    /// `Date received`, `YYYY-MM-DD`.
    #[serde(rename = "Date received")]
    pub date_received: String,
    /// `Product`.
    #[serde(rename = "Product", default)]
    pub product: String,
    /// `Sub-product`.
    #[serde(rename = "Sub-product", default)]
    pub sub_product: String,
    /// `Issue`.
    #[serde(rename = "Issue", default)]
    pub issue: String,
    /// `Sub-issue`.
    #[serde(rename = "Sub-issue", default)]
    pub sub_issue: String,
    /// `Consumer complaint narrative` (personal details are masked as `XXXX` in the export).
    #[serde(rename = "Consumer complaint narrative", default)]
    pub narrative: String,
    /// `Company`.
    #[serde(rename = "Company", default)]
    pub company: String,
    /// `State`.
    #[serde(rename = "State", default)]
    pub state: String,
    /// `Tags`, e.g. `Older American, Servicemember`.
    #[serde(rename = "Tags", default)]
    pub tags: String,
    /// `Consumer consent provided?`.
    #[serde(rename = "Consumer consent provided?", default)]
    pub consent: String,
    /// `Submitted via`.
    #[serde(rename = "Submitted via", default)]
    pub submitted_via: String,
    /// `Date sent to company`, `YYYY-MM-DD`.
    #[serde(rename = "Date sent to company", default)]
    pub date_sent: String,
    /// `Company response to consumer`.
    #[serde(rename = "Company response to consumer", default)]
    pub company_response: String,
    /// `Timely response?`: `Yes` or `No`.
    #[serde(rename = "Timely response?", default)]
    pub timely: String,
    /// `Consumer disputed?`: `Yes`, `No` or `N/A`.
    #[serde(rename = "Consumer disputed?", default)]
    pub disputed: String,
    /// `Complaint ID`.
    #[serde(rename = "Complaint ID", default)]
    pub complaint_id: String,
}

/// A row that was not converted, or converted with a caveat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The line of the CSV file where the row starts.
    pub line: u64,
    /// What was wrong.
    pub message: String,
}

/// The tickets made from a CSV export.
#[derive(Debug, Default)]
pub struct Conversion {
    /// One ticket (JSON) per usable row, in file order.
    pub tickets: Vec<Value>,
    /// Rows left out, with the reason.
    pub skipped: Vec<Note>,
    /// Rows converted with a caveat.
    pub warnings: Vec<Note>,
}

/// 09:00 New York time on a `YYYY-MM-DD` date, as RFC 3339.
fn opening(date: &str) -> Option<String> {
    opening_of(day(date)?)
}

fn day(date: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d").ok()
}

/// 09:00 New York time on `day`, as RFC 3339.
fn opening_of(day: NaiveDate) -> Option<String> {
    let nine = NaiveTime::from_hms_opt(9, 0, 0)?;
    // 09:00 is never inside a daylight-saving jump in New York.
    let at = New_York
        .from_local_datetime(&day.and_time(nine))
        .earliest()?;
    Some(at.to_rfc3339())
}

fn non_empty(s: &str) -> Option<&str> {
    let s = s.trim();
    (!s.is_empty() && s != "N/A").then_some(s)
}

/// The day the company's answer is recorded on, when it closed the complaint (see the module
/// documentation): within the allowed 15 days, or the earliest day after them.
fn answered(c: &Complaint, received: NaiveDate, sent: NaiveDate) -> Option<NaiveDate> {
    if !c.company_response.trim().starts_with("Closed") {
        return None;
    }
    match c.timely.trim() {
        "Yes" => Some(received.checked_add_days(Days::new(15))?.max(sent)),
        "No" => sent.checked_add_days(Days::new(16)),
        _ => None,
    }
}

/// `Postal mail` → `postal_mail`.
fn channel(via: &str) -> String {
    via.trim().to_lowercase().replace([' ', '-'], "_")
}

/// Converts one row; `Err` says why the row cannot be a ticket.
pub fn ticket(c: &Complaint) -> Result<(Value, Option<String>), String> {
    let id = non_empty(&c.complaint_id).ok_or("no Complaint ID")?;
    let created_at = opening(&c.date_received).ok_or_else(|| {
        format!(
            "Date received `{}` is not a YYYY-MM-DD date",
            c.date_received.trim()
        )
    })?;
    let mut t = Map::new();
    t.insert("id".into(), json!(id));
    t.insert("created_at".into(), json!(created_at));
    if let Some(via) = non_empty(&c.submitted_via) {
        t.insert("channel".into(), json!(channel(via)));
    }
    if let Some(product) = non_empty(&c.product) {
        t.insert("kind".into(), json!(product));
    }
    let subject = match (non_empty(&c.issue), non_empty(&c.sub_issue)) {
        (Some(i), Some(s)) => Some(format!("{i}: {s}")),
        (Some(i), None) => Some(i.to_string()),
        (None, s) => s.map(str::to_string),
    };
    if let Some(subject) = subject {
        t.insert("subject".into(), json!(subject));
    }
    if let Some(narrative) = non_empty(&c.narrative) {
        t.insert("description".into(), json!(narrative));
    }
    if let Some(state) = non_empty(&c.state) {
        t.insert("customer".into(), json!({ "region": state }));
    }

    let mut attrs = Map::new();
    let mut text_attr = |key: &str, value: &str| {
        if let Some(v) = non_empty(value) {
            attrs.insert(key.into(), json!(v));
        }
    };
    text_attr("sub_product", &c.sub_product);
    text_attr("company", &c.company);
    text_attr("company_response", &c.company_response);
    text_attr("consumer_disputed", &c.disputed);
    text_attr("consent", &c.consent);
    match c.timely.trim() {
        "Yes" => {
            attrs.insert("timely_response".into(), json!(true));
        }
        "No" => {
            attrs.insert("timely_response".into(), json!(false));
        }
        _ => {}
    }
    let tags: Vec<&str> = c
        .tags
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if !tags.is_empty() {
        attrs.insert("tags".into(), json!(tags));
    }
    if !attrs.is_empty() {
        t.insert("attributes".into(), Value::Object(attrs));
    }

    let mut warning = None;
    match opening(&c.date_sent) {
        // Compare instants, not text: the offset changes with daylight saving.
        Some(sent) if parsed(&sent) >= parsed(&created_at) => {
            let mut events = vec![json!({ "at": sent, "type": "first_response" })];
            let answer = match (day(&c.date_received), day(&c.date_sent)) {
                (Some(received), Some(sent)) => answered(c, received, sent).and_then(opening_of),
                _ => None,
            };
            if let Some(at) = answer {
                events.push(json!({ "at": at, "type": "resolved" }));
            }
            t.insert("events".into(), Value::Array(events));
        }
        Some(_) => {
            warning = Some(format!(
                "Date sent to company {} is before Date received {}; no first response recorded",
                c.date_sent.trim(),
                c.date_received.trim()
            ))
        }
        None if non_empty(&c.date_sent).is_some() => {
            warning = Some(format!(
                "Date sent to company `{}` is not a YYYY-MM-DD date; no first response recorded",
                c.date_sent.trim()
            ))
        }
        None => {}
    }
    Ok((Value::Object(t), warning))
}

fn parsed(rfc3339: &str) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    chrono::DateTime::parse_from_rfc3339(rfc3339).ok()
}

/// Converts a whole export. Unreadable or unusable rows are skipped and listed; only an
/// unreadable header fails the whole file.
pub fn convert<R: std::io::Read>(reader: R) -> Result<Conversion, csv::Error> {
    let mut rdr = csv::ReaderBuilder::new().from_reader(reader);
    let headers = rdr.headers()?.clone();
    let mut out = Conversion::default();
    let mut record = csv::StringRecord::new();
    loop {
        let line = rdr.position().line();
        match rdr.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                out.skipped.push(Note {
                    line,
                    message: format!("unreadable row: {e}"),
                });
                continue;
            }
        }
        let line = record.position().map_or(line, |p| p.line());
        let complaint: Complaint = match record.deserialize(Some(&headers)) {
            Ok(c) => c,
            Err(e) => {
                out.skipped.push(Note {
                    line,
                    message: format!("unusable row: {e}"),
                });
                continue;
            }
        };
        match ticket(&complaint) {
            Ok((t, warning)) => {
                if let Some(message) = warning {
                    out.warnings.push(Note { line, message });
                }
                out.tickets.push(t);
            }
            Err(message) => out.skipped.push(Note { line, message }),
        }
    }
    Ok(out)
}
