//! UTC-offset history of a time zone as a flat table of constant-offset segments.
//!
//! chrono-tz does not expose its transition table, so it is rediscovered by probing the
//! offset at a fixed step and bisecting every change. Tables are cached per zone for the
//! life of the process, so only the first calendar in a zone pays for the probing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{DateTime, Offset, TimeZone};
use chrono_tz::Tz;

/// First instant with business time (1970-01-01T00:00:00Z); every calendar is closed before.
pub(super) const MIN_SECS: i64 = 0;
/// End of the supported range (10000-01-01T00:00:00Z, exclusive).
pub(super) const MAX_SECS: i64 = 253_402_300_800;
/// Offsets are probed up to here (2100-01-01T00:00:00Z). chrono-tz's rules end in 2099 and
/// it keeps the last offset forever after, so the table is exact beyond this point too.
pub(super) const PROBE_END_SECS: i64 = 4_102_444_800;
/// Probe step. It must be shorter than the shortest stretch between two offset changes,
/// otherwise a change and its reversal could both fall between two probes. The shortest
/// such stretch in the tz database is about 7 days (Brazil 2000, Gaza/Hebron rules).
const PROBE_STEP_SECS: i64 = 6 * 86_400;

/// Constant-offset segments covering `[MIN_SECS, ∞)`.
#[derive(Debug)]
pub(super) struct Zone {
    /// Start of each segment; `starts[0] == MIN_SECS`, strictly increasing.
    starts: Vec<i64>,
    /// UTC offset (local minus UTC, seconds) during each segment.
    offsets: Vec<i64>,
    /// For each segment, the largest local reading seen up to its end (exclusive bound);
    /// `i64::MAX` for the last segment. Used to map a local time back to an instant.
    local_reach: Vec<i64>,
}

impl Zone {
    /// Number of segments (at least 1).
    pub(super) fn len(&self) -> usize {
        self.starts.len()
    }

    /// Start instant and offset of segment `k`.
    pub(super) fn segment(&self, k: usize) -> (i64, i64) {
        (
            self.starts.get(k).copied().unwrap_or(MIN_SECS),
            self.offsets.get(k).copied().unwrap_or(0),
        )
    }

    /// Index of the segment containing instant `t` (segment 0 for anything before it).
    pub(super) fn segment_of(&self, t: i64) -> usize {
        // Most instants asked about are recent, after the zone's last change.
        if let Some(&last) = self.starts.last() {
            if t >= last {
                return self.starts.len() - 1;
            }
        }
        self.starts.partition_point(|&s| s <= t).saturating_sub(1)
    }

    /// UTC offset in force at instant `t`.
    pub(super) fn offset_at(&self, t: i64) -> i64 {
        self.segment(self.segment_of(t)).1
    }

    /// The first instant (at or after `MIN_SECS`) whose local reading is `>= local`.
    ///
    /// For a local time that occurs twice this is its first occurrence; for one that is
    /// skipped by a gap it is the instant the gap ends.
    pub(super) fn first_instant_reading(&self, local: i64) -> i64 {
        let k = self.local_reach.partition_point(|&r| r <= local);
        let (start, offset) = self.segment(k);
        start.max(local.saturating_sub(offset))
    }
}

fn probe(tz: Tz, t: i64) -> i64 {
    match DateTime::from_timestamp(t, 0) {
        Some(dt) => i64::from(
            tz.offset_from_utc_datetime(&dt.naive_utc())
                .fix()
                .local_minus_utc(),
        ),
        None => 0,
    }
}

/// Changes fall on a quarter hour almost always; bisecting on that grid first saves probes.
const GRID_SECS: i64 = 900;

/// The first instant in `(a, b]` whose offset is not `a_off`, given `offset(a) == a_off` and
/// `offset(b) != a_off`.
fn first_change(tz: Tz, mut a: i64, mut b: i64, a_off: i64) -> i64 {
    let split = |a: &mut i64, b: &mut i64, mid: i64| {
        if probe(tz, mid) == a_off {
            *a = mid;
        } else {
            *b = mid;
        }
    };
    while b - a > GRID_SECS {
        let half = a + (b - a) / 2;
        let on_grid = half.div_euclid(GRID_SECS) * GRID_SECS;
        let mid = if on_grid > a { on_grid } else { half };
        split(&mut a, &mut b, mid);
    }
    if b - a > 1 && b.rem_euclid(GRID_SECS) == 0 && probe(tz, b - 1) == a_off {
        return b;
    }
    while b - a > 1 {
        let half = a + (b - a) / 2;
        split(&mut a, &mut b, half);
    }
    b
}

/// Builds the segment table of `tz` from scratch (no cache).
pub(super) fn build(tz: Tz) -> Zone {
    build_with_step(tz, PROBE_STEP_SECS)
}

pub(super) fn build_with_step(tz: Tz, step: i64) -> Zone {
    let mut starts = vec![MIN_SECS];
    let mut offsets = vec![probe(tz, MIN_SECS)];
    let mut lo = MIN_SECS;
    let mut lo_off = probe(tz, lo);
    while lo < PROBE_END_SECS {
        let hi = (lo + step).min(PROBE_END_SECS);
        let hi_off = probe(tz, hi);
        // Several changes may hide between two probes (A→B→C); peel them off one by one.
        while hi_off != lo_off {
            let b = first_change(tz, lo, hi, lo_off);
            lo = b;
            lo_off = probe(tz, b);
            starts.push(b);
            offsets.push(lo_off);
        }
        lo = hi;
    }
    let mut local_reach = Vec::with_capacity(starts.len());
    let mut reach = i64::MIN;
    for k in 0..starts.len() {
        let end = match (starts.get(k + 1), offsets.get(k)) {
            (Some(next), Some(off)) => next + off,
            _ => i64::MAX,
        };
        reach = reach.max(end);
        local_reach.push(reach);
    }
    Zone {
        starts,
        offsets,
        local_reach,
    }
}

/// The (cached) segment table of `tz`.
pub(super) fn zone(tz: Tz) -> Arc<Zone> {
    static CACHE: OnceLock<Mutex<HashMap<Tz, Arc<Zone>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let cached = match cache.lock() {
        Ok(map) => map.get(&tz).cloned(),
        Err(poisoned) => poisoned.into_inner().get(&tz).cloned(),
    };
    if let Some(zone) = cached {
        return zone;
    }
    // Built outside the lock: two threads may race to build the same zone, which is harmless.
    let built = Arc::new(build(tz));
    let mut map = match cache.lock() {
        Ok(map) => map,
        Err(poisoned) => poisoned.into_inner(),
    };
    map.entry(tz).or_insert(built).clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_york_has_two_changes_a_year() {
        let z = zone(chrono_tz::America::New_York);
        // 1970..2100 with DST every year (and the 1974/75 energy-crisis oddities).
        assert!(z.len() > 250, "{}", z.len());
        // 2025-03-09T07:00Z spring forward, 2025-11-02T06:00Z fall back.
        assert_eq!(z.offset_at(1_741_503_599), -5 * 3600);
        assert_eq!(z.offset_at(1_741_503_600), -4 * 3600);
        assert_eq!(z.offset_at(1_762_063_199), -4 * 3600);
        assert_eq!(z.offset_at(1_762_063_200), -5 * 3600);
    }

    #[test]
    fn fixed_zone_has_one_segment() {
        assert_eq!(zone(chrono_tz::UTC).len(), 1);
        assert_eq!(
            zone(chrono_tz::Etc::GMTMinus8).offset_at(1_000_000_000),
            8 * 3600
        );
    }

    #[test]
    fn table_matches_chrono_tz_at_every_segment_edge() {
        for tz in [
            chrono_tz::America::New_York,
            chrono_tz::Europe::Berlin,
            chrono_tz::Australia::Sydney,
            chrono_tz::Asia::Gaza,
            chrono_tz::America::Noronha,
            chrono_tz::Australia::Lord_Howe,
        ] {
            let z = zone(tz);
            for k in 0..z.len() {
                let (start, off) = z.segment(k);
                assert_eq!(probe(tz, start), off, "{tz} {start}");
                if k > 0 {
                    assert_ne!(probe(tz, start - 1), off, "{tz} {start}");
                }
            }
        }
    }

    #[test]
    fn a_finer_probe_step_finds_nothing_more() {
        // Zones with the shortest stretches between changes in the tz database.
        for tz in [
            chrono_tz::America::Noronha,
            chrono_tz::Asia::Gaza,
            chrono_tz::Africa::Casablanca,
        ] {
            let coarse = build(tz);
            let fine = build_with_step(tz, 86_400);
            assert_eq!(coarse.starts, fine.starts, "{tz}");
            assert_eq!(coarse.offsets, fine.offsets, "{tz}");
        }
    }

    #[test]
    fn offsets_are_constant_after_the_probed_range() {
        // If a newer chrono-tz ever extends its rules past 2100, this trips.
        let later = [PROBE_END_SECS + 86_400 * 200, 16_725_225_600, MAX_SECS - 1];
        for tz in chrono_tz::TZ_VARIANTS {
            let end = probe(tz, PROBE_END_SECS);
            for t in later {
                assert_eq!(probe(tz, t), end, "{tz}");
            }
        }
    }

    #[test]
    fn local_readings_map_back_to_instants() {
        let z = zone(chrono_tz::America::New_York);
        // 2025-03-09 02:30 local does not exist: the gap ends at 07:00Z.
        let gap_local = 1_741_487_400; // 2025-03-09T02:30 as if UTC
        assert_eq!(z.first_instant_reading(gap_local), 1_741_503_600);
        // 2025-11-02 01:30 local happens twice: first at 05:30Z (EDT).
        let fold_local = 1_762_047_000; // 2025-11-02T01:30 as if UTC
        assert_eq!(z.first_instant_reading(fold_local), 1_762_061_400);
        // An ordinary reading.
        assert_eq!(
            z.first_instant_reading(1_750_000_000),
            1_750_000_000 + 4 * 3600
        );
    }
}
