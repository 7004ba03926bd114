//! [`Hub`]: fans events out to any number of subscribers.
//!
//! Two kinds of subscriber buffers:
//!
//! - [`Hub::subscribe`]: a channel of a fixed number of events. Publishing never waits for
//!   it: when it is full the event is dropped *for that subscriber only* and counted; as
//!   soon as it has room again it first receives one [`EventBody::Lagged`] with the number
//!   it missed. A subscriber whose receiving end is gone is removed at the next publish.
//! - [`Hub::subscribe_bounded`]: a [`BoundedReceiver`], a buffer bounded in *bytes*
//!   ([`Budget::max_bytes`], each event counted as [`event_cost`] says) and allocated as
//!   events arrive. A subscriber that keeps reading loses
//!   nothing: while its buffer is full the publisher waits for it. A subscriber whose
//!   oldest unread event has waited longer than [`Budget::stall`] while its buffer is full
//!   is *lagging*: from then on its events are dropped and counted, the publisher no longer
//!   waits for it, and once it has read everything it had it receives one
//!   [`EventBody::Lagged`] with the number it missed, then new events again. Memory per
//!   subscriber stays within its budget however far behind it is.
//!
//! Publishes are serialised (one at a time), so every subscriber sees events in `seq`
//! order; waiting for a full reader never holds the lock that subscribing, unsubscribing
//! and counting take.

use super::{now_ms, CompiledFilter, Event, EventBody, EventFilter};
use crate::error::Result;
use std::collections::VecDeque;
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Default buffer of a channel subscriber ([`Hub::subscribe`]), in events.
pub const DEFAULT_CAPACITY: usize = 8192;

/// How much a [`BoundedReceiver`] may hold, and how long its publisher waits for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Bytes of events it may have unread or being handled (at least one event is always
    /// accepted, whatever its size).
    pub max_bytes: usize,
    /// How long the oldest unread event of a full buffer may wait before the subscriber is
    /// lagging.
    pub stall: Duration,
}

impl Default for Budget {
    /// 256 KiB, 5 s.
    fn default() -> Self {
        Budget {
            max_bytes: 256 * 1024,
            stall: Duration::from_secs(5),
        }
    }
}

/// What an event costs in a [`BoundedReceiver`]'s budget, meant to cover what it really
/// takes in memory: its in-memory header plus a quarter (the buffer's growth slack) and
/// twice its encoded (JSON) size (its strings, with the allocator's rounding and
/// bookkeeping). An output line of a few characters costs about 360 bytes.
pub fn event_cost(body: &EventBody) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0 += b.len();
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut c = Count(0);
    let _ = serde_json::to_writer(&mut c, body);
    let header = std::mem::size_of::<(Event, usize)>();
    header + header / 4 + 2 * c.0
}

struct QState {
    events: VecDeque<(Event, usize)>,
    /// Cost of `events` plus `in_flight`.
    bytes: usize,
    /// Cost of the batch the reader took last (released at its next `recv`).
    in_flight: usize,
    /// Events dropped since it started lagging (0: not lagging).
    missed: u64,
    /// `seq` of the last dropped event.
    missed_seq: u64,
    /// Since when the oldest unread event has waited (the later of its arrival and the
    /// reader's last take).
    head_since: Instant,
    receiver_gone: bool,
    publisher_gone: bool,
}

struct Queue {
    state: Mutex<QState>,
    readable: Condvar,
    room: Condvar,
    budget: Budget,
}

impl Queue {
    fn lock(&self) -> MutexGuard<'_, QState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Whether an event of `cost` fits (anything fits an empty buffer).
fn fits(q: &Queue, st: &QState, cost: usize) -> bool {
    st.bytes == 0 || st.bytes + cost <= q.budget.max_bytes
}

/// Push `event` (the caller checked [`fits`]).
fn push(q: &Queue, st: &mut QState, event: Event, cost: usize) {
    if st.events.is_empty() {
        st.head_since = Instant::now();
    }
    if st.events.len() == st.events.capacity() {
        // Grow by a quarter, not double: the slack of a full buffer stays small.
        let more = (st.events.len() / 4).max(8);
        st.events.reserve_exact(more);
    }
    st.events.push_back((event, cost));
    st.bytes += cost;
    q.readable.notify_one();
}

fn drop_event(st: &mut QState, seq: u64) {
    st.missed += 1;
    st.missed_seq = seq;
}

/// The receiving end of [`Hub::subscribe_bounded`]. Dropping it unsubscribes (at the next
/// publish; [`Hub::unsubscribe`] does it at once).
pub struct BoundedReceiver {
    id: u64,
    queue: Arc<Queue>,
}

impl std::fmt::Debug for BoundedReceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoundedReceiver")
            .field("id", &self.id)
            .field("budget", &self.queue.budget)
            .finish()
    }
}

/// What [`BoundedReceiver::recv`] got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    /// Events were appended.
    Events,
    /// Nothing came in time.
    Timeout,
    /// The hub dropped this subscriber (unsubscribed, or the hub is gone).
    Closed,
}

impl BoundedReceiver {
    /// Its subscriber id (for [`Hub::unsubscribe`]).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Wait at most `timeout` for events and append up to `max_batch_bytes` of them to
    /// `out` (at least one). The batch stays counted in the budget until the next call, so
    /// what the caller still holds is bounded too. After a lag, the [`EventBody::Lagged`]
    /// event comes once the events it had are read.
    pub fn recv(
        &self,
        timeout: Duration,
        max_batch_bytes: usize,
        out: &mut Vec<Event>,
    ) -> Received {
        let q = &*self.queue;
        let mut st = q.lock();
        if st.in_flight > 0 {
            st.bytes -= st.in_flight;
            st.in_flight = 0;
            q.room.notify_all();
        }
        let deadline = Instant::now() + timeout;
        loop {
            if !st.events.is_empty() {
                let mut taken = 0;
                while let Some((_, cost)) = st.events.front() {
                    if taken > 0 && taken + cost > max_batch_bytes {
                        break;
                    }
                    let Some((e, cost)) = st.events.pop_front() else {
                        break;
                    };
                    taken += cost;
                    out.push(e);
                }
                st.in_flight = taken;
                st.head_since = Instant::now();
                if st.events.is_empty() && st.events.capacity() > 256 {
                    st.events = VecDeque::new();
                }
                return Received::Events;
            }
            if st.missed > 0 {
                out.push(Event {
                    seq: st.missed_seq,
                    time_ms: now_ms(),
                    body: EventBody::Lagged { missed: st.missed },
                });
                st.missed = 0;
                st.head_since = Instant::now();
                return Received::Events;
            }
            if st.publisher_gone {
                return Received::Closed;
            }
            let now = Instant::now();
            if now >= deadline {
                return Received::Timeout;
            }
            st = q
                .readable
                .wait_timeout(st, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Bytes of its budget in use (unread events plus the batch being handled).
    pub fn queued_bytes(&self) -> usize {
        self.queue.lock().bytes
    }
}

impl Drop for BoundedReceiver {
    fn drop(&mut self) {
        let mut st = self.queue.lock();
        st.receiver_gone = true;
        st.events.clear();
        self.queue.room.notify_all();
    }
}

/// The hub's end of a bounded subscriber; tells the receiver when it is dropped.
struct QueueSink(Arc<Queue>);

impl Drop for QueueSink {
    fn drop(&mut self) {
        self.0.lock().publisher_gone = true;
        self.0.readable.notify_all();
    }
}

enum Sink {
    Channel { tx: SyncSender<Event>, missed: u64 },
    Queue(QueueSink),
}

struct Slot {
    id: u64,
    filter: CompiledFilter,
    sink: Sink,
}

#[derive(Default)]
struct Inner {
    slots: Vec<Slot>,
    next_seq: u64,
    next_id: u64,
    published: u64,
}

/// The fan-out point. `Send + Sync`.
#[derive(Default)]
pub struct Hub {
    inner: Mutex<Inner>,
    /// Held for a whole publish, waits included.
    publishing: Mutex<()>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("subscribers", &self.subscriber_count())
            .finish()
    }
}

/// An event a full bounded subscriber gets once it has room.
struct Pending {
    queue: Arc<Queue>,
    event: Event,
    cost: usize,
}

impl Hub {
    /// An empty hub.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn add(&self, filter: CompiledFilter, sink: Sink) -> u64 {
        let mut inner = self.lock();
        inner.next_id += 1;
        let id = inner.next_id;
        inner.slots.push(Slot { id, filter, sink });
        id
    }

    /// Add a channel subscriber; events matching `filter` arrive on the receiver, at most
    /// `capacity` unread (see the module docs for what happens beyond). The channel's
    /// slots are allocated up front.
    ///
    /// # Errors
    /// [`crate::Error::InvalidInput`] for a filter that does not compile.
    pub fn subscribe(
        &self,
        filter: &EventFilter,
        capacity: usize,
    ) -> Result<(u64, Receiver<Event>)> {
        let filter = filter.compile()?;
        let (tx, rx) = mpsc::sync_channel(capacity.max(2));
        let id = self.add(filter, Sink::Channel { tx, missed: 0 });
        Ok((id, rx))
    }

    /// Add a subscriber with a buffer bounded in bytes, allocated as events arrive (see
    /// the module docs: a reader is waited for, a stalled one lags).
    ///
    /// # Errors
    /// [`crate::Error::InvalidInput`] for a filter that does not compile.
    pub fn subscribe_bounded(
        &self,
        filter: &EventFilter,
        budget: Budget,
    ) -> Result<BoundedReceiver> {
        let filter = filter.compile()?;
        let queue = Arc::new(Queue {
            state: Mutex::new(QState {
                events: VecDeque::new(),
                bytes: 0,
                in_flight: 0,
                missed: 0,
                missed_seq: 0,
                head_since: Instant::now(),
                receiver_gone: false,
                publisher_gone: false,
            }),
            readable: Condvar::new(),
            room: Condvar::new(),
            budget,
        });
        let id = self.add(filter, Sink::Queue(QueueSink(Arc::clone(&queue))));
        Ok(BoundedReceiver { id, queue })
    }

    /// Remove a subscriber now (it is also removed once its receiver is dropped).
    pub fn unsubscribe(&self, id: u64) {
        self.lock().slots.retain(|s| s.id != id);
    }

    /// How many subscribers are attached.
    pub fn subscriber_count(&self) -> usize {
        self.lock().slots.len()
    }

    /// Events published so far.
    pub fn published(&self) -> u64 {
        self.lock().published
    }

    /// Whether any subscriber would take output lines (lets producers skip building them).
    pub fn wants_output(&self) -> bool {
        self.lock().slots.iter().any(|s| s.filter.wants_output())
    }

    /// Tell every channel subscriber that missed events and has room again how many, now,
    /// rather than with its next event (call it periodically: a quiet producer may have no
    /// next event for a long time). Bounded subscribers need no call.
    pub fn flush_lagged(&self) {
        let mut inner = self.lock();
        let seq = inner.next_seq;
        let time_ms = now_ms();
        inner.slots.retain_mut(|slot| {
            let Sink::Channel { tx, missed } = &mut slot.sink else {
                return true;
            };
            if *missed == 0 {
                return true;
            }
            let lagged = Event {
                seq,
                time_ms,
                body: EventBody::Lagged { missed: *missed },
            };
            match tx.try_send(lagged) {
                Ok(()) => {
                    *missed = 0;
                    true
                }
                Err(TrySendError::Full(_)) => true,
                Err(TrySendError::Disconnected(_)) => false,
            }
        });
    }

    /// Stamp `body` with the next sequence number and the time, deliver it to every
    /// subscriber whose filter takes it, and return the stamped event. Waits while a
    /// bounded subscriber that keeps reading is full (module docs).
    pub fn publish(&self, body: EventBody) -> Event {
        let _one_at_a_time = self.publishing.lock().unwrap_or_else(|e| e.into_inner());
        let mut pending = Vec::new();
        let event = {
            let mut inner = self.lock();
            inner.next_seq += 1;
            inner.published += 1;
            let event = Event {
                seq: inner.next_seq,
                time_ms: now_ms(),
                body,
            };
            let mut cost = None;
            inner.slots.retain_mut(|slot| match &mut slot.sink {
                Sink::Channel { tx, missed } => deliver(tx, missed, &slot.filter, &event),
                Sink::Queue(q) => offer(&q.0, &slot.filter, &event, &mut cost, &mut pending),
            });
            event
        };
        for p in pending {
            wait_for_room(p);
        }
        event
    }
}

/// Whether `filter` takes `body`, without building anything; `None` when only
/// [`CompiledFilter::apply`] can tell (a pattern).
fn takes(filter: &CompiledFilter, body: &EventBody) -> Option<bool> {
    let f = filter.filter();
    if f.pattern.is_some() {
        return None;
    }
    let kind = body.kind();
    if kind.always_delivered() {
        return Some(true);
    }
    if f.session
        .as_deref()
        .is_some_and(|s| body.session() != Some(s))
    {
        return Some(false);
    }
    if f.pane.as_deref().is_some_and(|p| body.pane() != Some(p)) {
        return Some(false);
    }
    Some(f.kinds.is_empty() || f.kinds.contains(&kind))
}

/// Offer `event` to a bounded subscriber; `false` when it is gone. A full one that is not
/// lagging is added to `pending`.
fn offer(
    q: &Arc<Queue>,
    filter: &CompiledFilter,
    event: &Event,
    shared_cost: &mut Option<usize>,
    pending: &mut Vec<Pending>,
) -> bool {
    let mut st = q.lock();
    if st.receiver_gone {
        return false;
    }
    let (body, cost) = match takes(filter, &event.body) {
        Some(false) => return true,
        Some(true) => {
            if st.missed > 0 {
                drop_event(&mut st, event.seq);
                return true;
            }
            let cost = *shared_cost.get_or_insert_with(|| event_cost(&event.body));
            (event.body.clone(), cost)
        }
        None => {
            let Some(body) = filter.apply(&event.body) else {
                return true;
            };
            if st.missed > 0 {
                drop_event(&mut st, event.seq);
                return true;
            }
            let cost = event_cost(&body);
            (body, cost)
        }
    };
    let out = Event {
        seq: event.seq,
        time_ms: event.time_ms,
        body,
    };
    if fits(q, &st, cost) {
        push(q, &mut st, out, cost);
    } else {
        pending.push(Pending {
            queue: Arc::clone(q),
            event: out,
            cost,
        });
    }
    true
}

/// Wait until a full bounded subscriber has room for `p`, or mark it lagging when its
/// oldest unread event has waited longer than its stall time.
fn wait_for_room(p: Pending) {
    let q = &*p.queue;
    let mut st = q.lock();
    loop {
        if st.receiver_gone {
            return;
        }
        if st.missed > 0 {
            drop_event(&mut st, p.event.seq);
            return;
        }
        if fits(q, &st, p.cost) {
            push(q, &mut st, p.event, p.cost);
            return;
        }
        let deadline = st.head_since + q.budget.stall;
        let now = Instant::now();
        if now >= deadline {
            drop_event(&mut st, p.event.seq);
            return;
        }
        st = q
            .room
            .wait_timeout(st, deadline - now)
            .unwrap_or_else(|e| e.into_inner())
            .0;
    }
}

/// Deliver to one channel subscriber; `false` when it is gone.
fn deliver(
    tx: &SyncSender<Event>,
    missed: &mut u64,
    filter: &CompiledFilter,
    event: &Event,
) -> bool {
    let Some(body) = filter.apply(&event.body) else {
        return true;
    };
    if *missed > 0 {
        let lagged = Event {
            seq: event.seq,
            time_ms: event.time_ms,
            body: EventBody::Lagged { missed: *missed },
        };
        match tx.try_send(lagged) {
            Ok(()) => *missed = 0,
            Err(TrySendError::Full(_)) => {
                *missed += 1;
                return true;
            }
            Err(TrySendError::Disconnected(_)) => return false,
        }
    }
    let out = Event {
        seq: event.seq,
        time_ms: event.time_ms,
        body,
    };
    match tx.try_send(out) {
        Ok(()) => true,
        Err(TrySendError::Full(_)) => {
            *missed += 1;
            true
        }
        Err(TrySendError::Disconnected(_)) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::EventKind;

    fn warn(i: u64) -> EventBody {
        EventBody::SessionCreated {
            session: format!("s{i}"),
            session_id: format!("${i}"),
        }
    }

    #[test]
    fn slow_subscriber_lags_without_blocking_others() {
        let hub = Hub::new();
        let (_, slow) = hub.subscribe(&EventFilter::default(), 4).unwrap();
        let (_, fast) = hub.subscribe(&EventFilter::default(), 1000).unwrap();
        for i in 0..100 {
            hub.publish(warn(i));
        }
        assert_eq!(fast.try_iter().count(), 100);
        let got: Vec<Event> = slow.try_iter().collect();
        assert_eq!(got.len(), 4);
        hub.flush_lagged();
        assert_eq!(
            slow.try_recv().unwrap().body,
            EventBody::Lagged { missed: 96 }
        );
        for i in 0..10 {
            hub.publish(warn(i));
        }
        let _ = slow.try_iter().count();
        hub.publish(warn(100));
        let next: Vec<Event> = slow.try_iter().collect();
        assert_eq!(next[0].body, EventBody::Lagged { missed: 6 });
        assert_eq!(next[1].body, warn(100));
        // Seq numbers stay increasing.
        assert!(next[1].seq > got[3].seq);
    }

    #[test]
    fn dropped_receivers_are_removed_and_filters_apply() {
        let hub = Hub::new();
        let (_, rx) = hub.subscribe(&EventFilter::default(), 8).unwrap();
        let filter = EventFilter {
            kinds: vec![EventKind::SessionClosed],
            ..Default::default()
        };
        let (_, only_closed) = hub.subscribe(&filter, 8).unwrap();
        drop(rx);
        hub.publish(warn(1));
        assert_eq!(hub.subscriber_count(), 1);
        assert!(only_closed.try_recv().is_err());
        assert!(hub
            .subscribe(
                &EventFilter {
                    pattern: Some("(".into()),
                    ..Default::default()
                },
                8
            )
            .is_err());
    }

    fn line(n: u64) -> EventBody {
        EventBody::Output {
            session: "s".into(),
            pane: "%1".into(),
            text: format!("line {n}"),
            line_seq: n,
        }
    }

    fn tiny(stall_ms: u64) -> Budget {
        Budget {
            max_bytes: 2048,
            stall: Duration::from_millis(stall_ms),
        }
    }

    #[test]
    fn a_bounded_reader_gets_everything_in_order_within_its_budget() {
        let hub = Arc::new(Hub::new());
        // A stall time no scheduler delay reaches: the reader is never taken for stalled.
        let rx = hub
            .subscribe_bounded(&EventFilter::default(), tiny(60_000))
            .unwrap();
        let publisher = {
            let hub = Arc::clone(&hub);
            std::thread::spawn(move || {
                for n in 1..=20_000 {
                    hub.publish(line(n));
                }
            })
        };
        let mut next = 1;
        let mut batch = Vec::new();
        let mut peak = 0;
        while next <= 20_000 {
            peak = peak.max(rx.queued_bytes());
            batch.clear();
            assert_eq!(
                rx.recv(Duration::from_secs(20), 512, &mut batch),
                Received::Events
            );
            for e in &batch {
                assert_eq!(e.body, line(next), "{e:?}");
                next += 1;
            }
        }
        publisher.join().unwrap();
        assert!(peak <= 2048, "{peak}");
    }

    #[test]
    fn a_stalled_bounded_subscriber_lags_and_stays_within_its_budget() {
        let hub = Hub::new();
        let rx = hub
            .subscribe_bounded(&EventFilter::default(), tiny(20))
            .unwrap();
        let only_other = hub
            .subscribe_bounded(
                &EventFilter {
                    pane: Some("%2".into()),
                    ..Default::default()
                },
                tiny(20),
            )
            .unwrap();
        for n in 1..=10_000 {
            hub.publish(line(n));
        }
        assert!(rx.queued_bytes() <= 2048);
        let mut got = Vec::new();
        while got.last().map(|e: &Event| e.body.kind()) != Some(EventKind::Lagged) {
            assert_eq!(
                rx.recv(Duration::from_secs(5), 1 << 20, &mut got),
                Received::Events
            );
        }
        let lagged = got.pop().unwrap();
        let kept = got.len() as u64;
        assert!(kept > 0);
        for (i, e) in got.iter().enumerate() {
            assert_eq!(e.body, line(i as u64 + 1));
        }
        assert_eq!(
            lagged.body,
            EventBody::Lagged {
                missed: 10_000 - kept
            }
        );
        assert_eq!(lagged.seq, 10_000);
        // Caught up: new events arrive again.
        hub.publish(line(10_001));
        got.clear();
        assert_eq!(
            rx.recv(Duration::from_secs(5), 1 << 20, &mut got),
            Received::Events
        );
        assert_eq!(got[0].body, line(10_001));
        // The filtered-out subscriber counted nothing.
        got.clear();
        assert_eq!(
            only_other.recv(Duration::ZERO, 1 << 20, &mut got),
            Received::Timeout
        );
        drop(rx);
        hub.publish(line(1));
        assert_eq!(hub.subscriber_count(), 1);
        hub.unsubscribe(only_other.id());
        assert_eq!(
            only_other.recv(Duration::from_secs(5), 1, &mut got),
            Received::Closed
        );
    }

    #[test]
    fn the_cheap_filter_check_agrees_with_apply() {
        let bodies = [
            line(1),
            warn(1),
            EventBody::Lagged { missed: 3 },
            EventBody::PaneExited {
                session: "t".into(),
                pane: "%2".into(),
                exit_status: None,
            },
        ];
        let filters = [
            EventFilter::default(),
            EventFilter {
                session: Some("s".into()),
                ..Default::default()
            },
            EventFilter {
                pane: Some("%2".into()),
                ..Default::default()
            },
            EventFilter {
                kinds: vec![EventKind::Output, EventKind::PaneExited],
                session: Some("t".into()),
                ..Default::default()
            },
        ];
        for f in &filters {
            let c = f.compile().unwrap();
            for b in &bodies {
                assert_eq!(takes(&c, b), Some(c.apply(b).is_some()), "{f:?} {b:?}");
            }
        }
    }
}
