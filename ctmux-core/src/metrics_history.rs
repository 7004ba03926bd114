//! [`MetricsHistory`]: a bounded time series of pane figures, for `metrics-history`.
//!
//! The daemon owns one, pushes a reading of each pane every sampling interval, and answers
//! `metrics-history SESSION PANE [SECONDS]` from [`MetricsHistory::since`]. Each pane keeps
//! at most `max_samples` points, none older than `max_age` before its newest one, so memory
//! stays bounded however long the daemon runs. Pure: no tmux, no `/proc`.

use crate::error::{Error, Result};
use crate::metrics::PaneMetrics;
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// One reading of a pane, as kept in the history.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct HistoryPoint {
    /// When it was taken, Unix milliseconds.
    pub at_ms: u64,
    /// CPU of the tree, percent of one core.
    pub cpu_percent: f64,
    /// Resident memory of the tree, MiB.
    pub memory_mb: f64,
    /// Memory as a percent of RAM.
    pub memory_percent: f64,
    /// KiB read from storage so far.
    pub io_read_kb: f64,
    /// KiB written to storage so far.
    pub io_write_kb: f64,
    /// Threads over the tree.
    pub thread_count: u64,
    /// Processes in the tree.
    pub process_count: u64,
}

impl HistoryPoint {
    /// The point for reading `m` taken at `at`.
    pub fn new(m: &PaneMetrics, at: SystemTime) -> Self {
        HistoryPoint {
            at_ms: unix_ms(at),
            cpu_percent: m.cpu_percent,
            memory_mb: m.memory_mb,
            memory_percent: m.memory_percent,
            io_read_kb: m.io_read_kb,
            io_write_kb: m.io_write_kb,
            thread_count: m.thread_count,
            process_count: m.process_count,
        }
    }
}

/// Averages and peaks over a stretch of history.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct HistorySummary {
    /// Points summarised.
    pub samples: usize,
    /// Mean CPU, percent of one core.
    pub cpu_avg: f64,
    /// Highest CPU.
    pub cpu_max: f64,
    /// Mean memory, MiB.
    pub memory_avg_mb: f64,
    /// Highest memory, MiB.
    pub memory_max_mb: f64,
}

fn unix_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Bounded per-pane time series (by count and by age).
#[derive(Debug, Clone)]
pub struct MetricsHistory {
    max_samples: usize,
    max_age: Duration,
    panes: HashMap<String, VecDeque<HistoryPoint>>,
}

/// The longest history a pane may keep.
pub const MAX_AGE: Duration = Duration::from_secs(7 * 86_400);
/// The most points a pane may keep.
pub const MAX_SAMPLES: usize = 1_000_000;

impl Default for MetricsHistory {
    /// One hour at one point per 5 s (720 points per pane).
    fn default() -> Self {
        MetricsHistory {
            max_samples: 720,
            max_age: Duration::from_secs(3600),
            panes: HashMap::new(),
        }
    }
}

impl MetricsHistory {
    /// A history keeping at most `max_samples` points per pane, none older than `max_age`
    /// before the pane's newest point.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for 0 samples or more than [`MAX_SAMPLES`], or an age of 0 or
    /// over [`MAX_AGE`].
    pub fn new(max_samples: usize, max_age: Duration) -> Result<Self> {
        if max_samples == 0 || max_samples > MAX_SAMPLES {
            return Err(Error::invalid(
                "history size",
                format!("{max_samples} samples: must be 1..={MAX_SAMPLES}"),
            ));
        }
        if max_age.is_zero() || max_age > MAX_AGE {
            return Err(Error::invalid(
                "history age",
                format!(
                    "{} s: must be more than 0 and at most {} s",
                    max_age.as_secs_f64(),
                    MAX_AGE.as_secs()
                ),
            ));
        }
        Ok(MetricsHistory {
            max_samples,
            max_age,
            panes: HashMap::new(),
        })
    }

    /// Record reading `m` of `pane_id` taken at `at`.
    pub fn push(&mut self, pane_id: &str, m: &PaneMetrics, at: SystemTime) {
        self.push_point(pane_id, HistoryPoint::new(m, at));
    }

    /// Record a point. A point older than the pane's newest one is inserted in time order.
    pub fn push_point(&mut self, pane_id: &str, point: HistoryPoint) {
        let q = self.panes.entry(pane_id.to_owned()).or_default();
        let pos = q.partition_point(|p| p.at_ms <= point.at_ms);
        q.insert(pos, point);
        let newest = q.back().map_or(0, |p| p.at_ms);
        let age_ms = self.max_age.as_millis() as u64;
        while q.len() > self.max_samples
            || q.front()
                .is_some_and(|p| newest.saturating_sub(p.at_ms) > age_ms)
        {
            q.pop_front();
        }
    }

    /// The points of `pane_id` from the last `seconds` before `now` (all kept points with
    /// `None`), oldest first.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for negative, NaN or infinite seconds; [`Error::NotFound`] if
    /// the history has nothing for the pane.
    pub fn since(
        &self,
        pane_id: &str,
        seconds: Option<f64>,
        now: SystemTime,
    ) -> Result<Vec<HistoryPoint>> {
        let q = self
            .panes
            .get(pane_id)
            .ok_or_else(|| Error::not_found("metrics history of pane", pane_id))?;
        let from = match seconds {
            None => 0,
            Some(s) if s.is_finite() && s >= 0.0 => {
                unix_ms(now).saturating_sub((s * 1000.0).min(u64::MAX as f64 / 2.0) as u64)
            }
            Some(s) => {
                return Err(Error::invalid(
                    "seconds",
                    format!("{s}: must be a non-negative number"),
                ))
            }
        };
        let start = q.partition_point(|p| p.at_ms < from);
        Ok(q.iter().skip(start).copied().collect())
    }

    /// Averages and peaks over `points` (`None` when empty).
    pub fn summarize(points: &[HistoryPoint]) -> Option<HistorySummary> {
        if points.is_empty() {
            return None;
        }
        let n = points.len() as f64;
        Some(HistorySummary {
            samples: points.len(),
            cpu_avg: points.iter().map(|p| p.cpu_percent).sum::<f64>() / n,
            cpu_max: points.iter().map(|p| p.cpu_percent).fold(0.0, f64::max),
            memory_avg_mb: points.iter().map(|p| p.memory_mb).sum::<f64>() / n,
            memory_max_mb: points.iter().map(|p| p.memory_mb).fold(0.0, f64::max),
        })
    }

    /// Drop the history of panes not in `live` (the daemon calls this with the panes it
    /// just listed, so dead panes do not accumulate).
    pub fn retain_panes<S: AsRef<str>>(&mut self, live: &[S]) {
        let live: std::collections::HashSet<&str> = live.iter().map(|s| s.as_ref()).collect();
        self.panes.retain(|k, _| live.contains(k.as_str()));
    }

    /// Panes with history, sorted.
    pub fn panes(&self) -> Vec<String> {
        let mut v: Vec<String> = self.panes.keys().cloned().collect();
        v.sort();
        v
    }

    /// Points kept for `pane_id`.
    pub fn len(&self, pane_id: &str) -> usize {
        self.panes.get(pane_id).map_or(0, VecDeque::len)
    }

    /// Whether nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.panes.values().all(VecDeque::is_empty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn point(at_ms: u64, cpu: f64) -> HistoryPoint {
        HistoryPoint {
            at_ms,
            cpu_percent: cpu,
            memory_mb: cpu * 2.0,
            memory_percent: 0.0,
            io_read_kb: 0.0,
            io_write_kb: 0.0,
            thread_count: 1,
            process_count: 1,
        }
    }

    fn at(ms: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(ms)
    }

    #[test]
    fn bounded_by_count_and_age() {
        let mut h = MetricsHistory::new(5, Duration::from_secs(10)).unwrap();
        for i in 0..20 {
            h.push_point("%1", point(1_000_000 + i * 1000, i as f64));
        }
        assert_eq!(h.len("%1"), 5);
        let all = h.since("%1", None, at(2_000_000)).unwrap();
        assert_eq!(all.first().unwrap().cpu_percent, 15.0);
        let mut h = MetricsHistory::new(100, Duration::from_secs(10)).unwrap();
        for i in 0..20 {
            h.push_point("%1", point(1_000_000 + i * 1000, i as f64));
        }
        // Newest is at +19 s: points older than +9 s are gone.
        assert_eq!(h.len("%1"), 11);
    }

    #[test]
    fn since_window_and_order() {
        let mut h = MetricsHistory::default();
        for ms in [5_000, 1_000, 3_000, 4_000, 2_000] {
            h.push_point("%2", point(ms, ms as f64 / 1000.0));
        }
        let last = h.since("%2", Some(2.5), at(5_000)).unwrap();
        let times: Vec<u64> = last.iter().map(|p| p.at_ms).collect();
        assert_eq!(times, [3_000, 4_000, 5_000]);
        assert_eq!(h.since("%2", Some(0.0), at(9_000)).unwrap().len(), 0);
        let s = MetricsHistory::summarize(&last).unwrap();
        assert_eq!((s.samples, s.cpu_avg, s.cpu_max), (3, 4.0, 5.0));
        assert!(MetricsHistory::summarize(&[]).is_none());
    }

    #[test]
    fn bad_input() {
        assert!(MetricsHistory::new(0, Duration::from_secs(1)).is_err());
        assert!(MetricsHistory::new(10, Duration::ZERO).is_err());
        assert!(MetricsHistory::new(10, MAX_AGE * 2).is_err());
        let mut h = MetricsHistory::default();
        assert_eq!(
            h.since("%9", None, SystemTime::now()).unwrap_err().kind(),
            ErrorKind::NotFound
        );
        h.push_point("%9", point(1, 1.0));
        for s in [-1.0, f64::NAN, f64::INFINITY] {
            assert_eq!(
                h.since("%9", Some(s), SystemTime::now())
                    .unwrap_err()
                    .kind(),
                ErrorKind::InvalidInput
            );
        }
        h.retain_panes(&["%1"]);
        assert!(h.is_empty());
        assert!(h.panes().is_empty());
    }
}
