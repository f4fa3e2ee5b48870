//! A ticket store on SQLite that embeds aftercare the way a service team would: tickets and
//! their events are kept in tables, every new event re-evaluates the ticket, the decision is
//! stored next to it, and `next_change_at` becomes a row in a wake-up table, so a scheduler
//! re-evaluates a ticket exactly when its decision changes instead of polling all of them.
//!
//! Tables:
//! - `tickets`: the ticket JSON as received, without its events. It holds personal data (the
//!   team needs it to call back); nothing derived from it below does.
//! - `events`: one row per event, in arrival order.
//! - `decisions`: the latest decision per ticket (JSON, no personal data) plus columns to query:
//!   category, priority, department, status, and `overdue_since` (unix seconds, the earliest
//!   due instant of a clock that is breached and still running).
//! - `wakeups`: when each ticket's decision changes next with no new event (unix seconds).
//! - `notifications`: escalations that fired, keyed by the escalation's stable `key`, so a
//!   step is notified once however often the ticket is re-evaluated.

// The demo uses part of this API and `tests/sqlite_store.rs` the rest.
#![allow(dead_code)]

use std::fmt;
use std::path::Path;

use aftercare::report::{Granularity, Report, ReportBuilder};
use aftercare::{Decision, Policy, Ticket, TicketError};
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde_json::Value;

/// What can go wrong in the store.
#[derive(Debug)]
pub enum StoreError {
    /// SQLite said no.
    Sql(rusqlite::Error),
    /// The ticket or event is invalid, or the ticket cannot be evaluated with it.
    Ticket(TicketError),
    /// Text that should be JSON is not.
    Json(serde_json::Error),
    /// No ticket with this id.
    UnknownTicket(String),
    /// A ticket with this id already exists.
    Duplicate(String),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Sql(e) => write!(f, "database: {e}"),
            StoreError::Ticket(e) => write!(f, "{e}"),
            StoreError::Json(e) => write!(f, "invalid JSON: {e}"),
            StoreError::UnknownTicket(id) => write!(f, "no ticket `{id}`"),
            StoreError::Duplicate(id) => write!(f, "ticket `{id}` exists already"),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Sql(e)
    }
}

impl From<TicketError> for StoreError {
    fn from(e: TicketError) -> Self {
        StoreError::Ticket(e)
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Json(e)
    }
}

/// An escalation step that fired: who to tell about which ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// The escalation's stable key, `ticket/metric/cycle/step`.
    pub key: String,
    /// The ticket id.
    pub ticket: String,
    /// `first_response`, `resolution`, …
    pub metric: String,
    /// The step as written in the policy, e.g. `100%+4h`.
    pub step: String,
    /// Who to tell.
    pub notify: Vec<String>,
    /// When the step fell due (RFC 3339).
    pub at: String,
}

/// A ticket with a clock that is past due and still running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overdue {
    /// The ticket id.
    pub ticket: String,
    /// Where it is.
    pub department: String,
    /// Its priority.
    pub priority: String,
    /// The late metrics.
    pub metrics: Vec<String>,
    /// The earliest due instant among them.
    pub since: DateTime<Utc>,
}

const SCHEMA: &str = "
PRAGMA foreign_keys = ON;
CREATE TABLE IF NOT EXISTS tickets (
    id         TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    body       TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    ticket_id TEXT NOT NULL REFERENCES tickets(id),
    seq       INTEGER NOT NULL,
    at        TEXT NOT NULL,
    body      TEXT NOT NULL,
    PRIMARY KEY (ticket_id, seq)
);
CREATE TABLE IF NOT EXISTS decisions (
    ticket_id     TEXT PRIMARY KEY REFERENCES tickets(id),
    evaluated_at  TEXT NOT NULL,
    category      TEXT NOT NULL,
    priority      TEXT NOT NULL,
    department    TEXT NOT NULL,
    status        TEXT NOT NULL,
    overdue_since INTEGER,
    overdue       TEXT,
    body          TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS decisions_overdue ON decisions(overdue_since);
CREATE TABLE IF NOT EXISTS wakeups (
    ticket_id TEXT PRIMARY KEY REFERENCES tickets(id),
    at        INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS wakeups_at ON wakeups(at);
CREATE TABLE IF NOT EXISTS notifications (
    key       TEXT PRIMARY KEY,
    ticket_id TEXT NOT NULL REFERENCES tickets(id),
    metric    TEXT NOT NULL,
    step      TEXT NOT NULL,
    notify    TEXT NOT NULL,
    at        TEXT NOT NULL,
    sent_at   TEXT
);
";

/// The store: an SQLite file and the policy its tickets are decided with.
pub struct Store {
    conn: Connection,
    policy: Policy,
}

impl Store {
    /// Opens (or creates) the store in the SQLite file at `path`.
    pub fn open(path: &Path, policy: Policy) -> Result<Store, StoreError> {
        let conn = Connection::open(path)?;
        conn.execute_batch(SCHEMA)?;
        Ok(Store { conn, policy })
    }

    /// Stores a new ticket (with any events it already has) and evaluates it as of `now`;
    /// returns its decision and the escalations that have already fired.
    pub fn add_ticket(
        &mut self,
        json: &str,
        now: DateTime<Utc>,
    ) -> Result<(Decision, Vec<Notification>), StoreError> {
        let mut value: Value = serde_json::from_str(json)?;
        // Validate before storing anything: a bad ticket never enters the tables.
        let ticket = Ticket::from_value(value.clone())?;
        let events = match value.as_object_mut().and_then(|o| o.remove("events")) {
            Some(Value::Array(events)) => events,
            _ => Vec::new(),
        };
        let tx = self.conn.transaction()?;
        let exists: Option<i64> = tx
            .query_row("SELECT 1 FROM tickets WHERE id = ?1", [&ticket.id], |r| {
                r.get(0)
            })
            .optional()?;
        if exists.is_some() {
            return Err(StoreError::Duplicate(ticket.id));
        }
        tx.execute(
            "INSERT INTO tickets (id, created_at, body) VALUES (?1, ?2, ?3)",
            params![ticket.id, ticket.created_at.to_rfc3339(), value.to_string()],
        )?;
        for (seq, event) in events.iter().enumerate() {
            insert_event(&tx, &ticket.id, seq as i64, event)?;
        }
        let result = evaluate_in(&tx, &self.policy, &ticket.id, now)?;
        tx.commit()?;
        Ok(result)
    }

    /// Appends an event (`{"at": …, "type": …}`) to a ticket and re-evaluates it as of `now`.
    /// An event that makes the ticket impossible (e.g. resolved twice) is refused and not
    /// stored.
    pub fn add_event(
        &mut self,
        ticket_id: &str,
        event_json: &str,
        now: DateTime<Utc>,
    ) -> Result<(Decision, Vec<Notification>), StoreError> {
        let event: Value = serde_json::from_str(event_json)?;
        let tx = self.conn.transaction()?;
        let seq: Option<i64> = tx
            .query_row(
                "SELECT (SELECT COALESCE(MAX(seq) + 1, 0) FROM events WHERE ticket_id = ?1)
                 FROM tickets WHERE id = ?1",
                [ticket_id],
                |r| r.get(0),
            )
            .optional()?;
        let Some(seq) = seq else {
            return Err(StoreError::UnknownTicket(ticket_id.to_string()));
        };
        insert_event(&tx, ticket_id, seq, &event)?;
        // Dropping the transaction on an error rolls the event back.
        let result = evaluate_in(&tx, &self.policy, ticket_id, now)?;
        tx.commit()?;
        Ok(result)
    }

    /// Re-evaluates one ticket as of `now`; returns its decision and the escalations that
    /// fired since the last evaluation.
    pub fn evaluate(
        &mut self,
        ticket_id: &str,
        now: DateTime<Utc>,
    ) -> Result<(Decision, Vec<Notification>), StoreError> {
        let tx = self.conn.transaction()?;
        let result = evaluate_in(&tx, &self.policy, ticket_id, now)?;
        tx.commit()?;
        Ok(result)
    }

    /// Tickets whose wake-up is due at `now`, earliest first.
    pub fn due_wakeups(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<(String, DateTime<Utc>)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT ticket_id, at FROM wakeups WHERE at <= ?1 ORDER BY at, ticket_id")?;
        let rows = stmt.query_map([now.timestamp()], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, at) = row?;
            out.push((id, DateTime::from_timestamp(at, 0).unwrap_or_default()));
        }
        Ok(out)
    }

    /// The next wake-up of a ticket, if its decision will change with no new event.
    pub fn wakeup(&self, ticket_id: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        let at: Option<i64> = self
            .conn
            .query_row(
                "SELECT at FROM wakeups WHERE ticket_id = ?1",
                [ticket_id],
                |r| r.get(0),
            )
            .optional()?;
        Ok(at.and_then(|a| DateTime::from_timestamp(a, 0)))
    }

    /// What a scheduler calls when the earliest wake-up is due: re-evaluates every ticket whose
    /// wake-up is at or before `now` and returns the escalations that fired.
    pub fn run_wakeups(&mut self, now: DateTime<Utc>) -> Result<Vec<Notification>, StoreError> {
        let mut fired = Vec::new();
        for (id, _) in self.due_wakeups(now)? {
            let (_, mut new) = self.evaluate(&id, now)?;
            fired.append(&mut new);
        }
        Ok(fired)
    }

    /// Tickets with a clock past due and still running as of `now`, longest overdue first.
    /// Due wake-ups run first, so the stored decisions are current.
    pub fn overdue(&mut self, now: DateTime<Utc>) -> Result<Vec<Overdue>, StoreError> {
        self.run_wakeups(now)?;
        let mut stmt = self.conn.prepare(
            "SELECT ticket_id, department, priority, overdue, overdue_since FROM decisions
             WHERE overdue_since IS NOT NULL ORDER BY overdue_since, ticket_id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (ticket, department, priority, metrics, since) = row?;
            out.push(Overdue {
                ticket,
                department,
                priority,
                metrics: metrics.split(',').map(str::to_string).collect(),
                since: DateTime::from_timestamp(since, 0).unwrap_or_default(),
            });
        }
        Ok(out)
    }

    /// Notifications not yet marked sent, oldest first.
    pub fn unsent_notifications(&self) -> Result<Vec<Notification>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT key, ticket_id, metric, step, notify, at FROM notifications
             WHERE sent_at IS NULL ORDER BY at, key",
        )?;
        let rows = stmt.query_map([], notification_row)?;
        let mut out = Vec::new();
        for row in rows {
            out.push(row?);
        }
        Ok(out)
    }

    /// Marks a notification as sent.
    pub fn mark_sent(&mut self, key: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE notifications SET sent_at = ?2 WHERE key = ?1",
            params![key, now.to_rfc3339()],
        )?;
        Ok(())
    }

    /// How many events a ticket has.
    pub fn event_count(&self, ticket_id: &str) -> Result<i64, StoreError> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM events WHERE ticket_id = ?1",
            [ticket_id],
            |r| r.get(0),
        )?)
    }

    /// The stored decision of a ticket (JSON, as of its last evaluation).
    pub fn decision_json(&self, ticket_id: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT body FROM decisions WHERE ticket_id = ?1",
                [ticket_id],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// The service report over every stored ticket, evaluated as of `now`.
    pub fn report(&self, now: DateTime<Utc>, by: Granularity) -> Result<Report, StoreError> {
        let mut builder = ReportBuilder::new(&self.policy, now, by);
        let mut stmt = self.conn.prepare("SELECT id FROM tickets ORDER BY id")?;
        let ids = stmt.query_map([], |r| r.get::<_, String>(0))?;
        for id in ids {
            let ticket = load_ticket(&self.conn, &id?)?;
            match self.policy.evaluate(&ticket, now) {
                Ok(decision) => builder.add(&ticket, &decision),
                Err(_) => builder.add_error(),
            }
        }
        Ok(builder.finish())
    }
}

fn notification_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Notification> {
    let notify: String = r.get(4)?;
    Ok(Notification {
        key: r.get(0)?,
        ticket: r.get(1)?,
        metric: r.get(2)?,
        step: r.get(3)?,
        notify: serde_json::from_str(&notify).unwrap_or_default(),
        at: r.get(5)?,
    })
}

fn insert_event(
    tx: &Transaction<'_>,
    ticket_id: &str,
    seq: i64,
    event: &Value,
) -> Result<(), StoreError> {
    let at = event.get("at").and_then(Value::as_str).unwrap_or_default();
    tx.execute(
        "INSERT INTO events (ticket_id, seq, at, body) VALUES (?1, ?2, ?3, ?4)",
        params![ticket_id, seq, at, event.to_string()],
    )?;
    Ok(())
}

/// The ticket with all its stored events.
fn load_ticket(conn: &Connection, ticket_id: &str) -> Result<Ticket, StoreError> {
    let body: Option<String> = conn
        .query_row("SELECT body FROM tickets WHERE id = ?1", [ticket_id], |r| {
            r.get(0)
        })
        .optional()?;
    let Some(body) = body else {
        return Err(StoreError::UnknownTicket(ticket_id.to_string()));
    };
    let mut value: Value = serde_json::from_str(&body)?;
    let mut stmt = conn.prepare("SELECT body FROM events WHERE ticket_id = ?1 ORDER BY seq")?;
    let rows = stmt.query_map([ticket_id], |r| r.get::<_, String>(0))?;
    let mut events = Vec::new();
    for row in rows {
        events.push(serde_json::from_str::<Value>(&row?)?);
    }
    if let Some(obj) = value.as_object_mut() {
        obj.insert("events".to_string(), Value::Array(events));
    }
    Ok(Ticket::from_value(value)?)
}

/// Evaluates a stored ticket, stores the decision and its wake-up, and records newly fired
/// escalations.
fn evaluate_in(
    tx: &Transaction<'_>,
    policy: &Policy,
    ticket_id: &str,
    now: DateTime<Utc>,
) -> Result<(Decision, Vec<Notification>), StoreError> {
    let ticket = load_ticket(tx, ticket_id)?;
    let decision = policy.evaluate_with(&ticket, now, aftercare::EvalOptions { trace: false })?;

    let mut late: Vec<&str> = Vec::new();
    let mut since: Option<DateTime<Utc>> = None;
    for (metric, clock) in decision.sla.clocks() {
        if clock.status == aftercare::decision::ClockStatus::Breached && clock.stopped_at.is_none()
        {
            late.push(metric);
            let due = clock.due.map(|d| d.utc());
            since = match (since, due) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
    }
    tx.execute(
        "INSERT INTO decisions (ticket_id, evaluated_at, category, priority, department, status,
                                overdue_since, overdue, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT(ticket_id) DO UPDATE SET
           evaluated_at = excluded.evaluated_at, category = excluded.category,
           priority = excluded.priority, department = excluded.department,
           status = excluded.status, overdue_since = excluded.overdue_since,
           overdue = excluded.overdue, body = excluded.body",
        params![
            ticket_id,
            now.to_rfc3339(),
            &*decision.category,
            &*decision.priority,
            &*decision.route.department,
            decision.status,
            since.map(|s| s.timestamp()),
            (!late.is_empty()).then(|| late.join(",")),
            serde_json::to_string(&decision)?,
        ],
    )?;
    match decision.next_change_at {
        Some(at) => tx.execute(
            "INSERT INTO wakeups (ticket_id, at) VALUES (?1, ?2)
             ON CONFLICT(ticket_id) DO UPDATE SET at = excluded.at",
            params![ticket_id, at.utc().timestamp()],
        )?,
        None => tx.execute("DELETE FROM wakeups WHERE ticket_id = ?1", [ticket_id])?,
    };

    let mut fired = Vec::new();
    for e in decision.escalations.iter().filter(|e| e.fired) {
        let n = Notification {
            key: e.key.to_string(),
            ticket: ticket_id.to_string(),
            metric: e.metric.to_string(),
            step: e.step.to_string(),
            notify: e.notify.iter().map(|s| s.to_string()).collect(),
            at: e.at.map(|a| a.to_string()).unwrap_or_default(),
        };
        // The key is the primary key: a step already recorded is not recorded (or sent) again.
        let inserted = tx.execute(
            "INSERT OR IGNORE INTO notifications (key, ticket_id, metric, step, notify, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                n.key,
                n.ticket,
                n.metric,
                n.step,
                serde_json::to_string(&n.notify)?,
                n.at
            ],
        )?;
        if inserted > 0 {
            fired.push(n);
        }
    }
    Ok((decision, fired))
}
