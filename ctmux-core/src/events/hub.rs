//! [`Hub`]: fans events out to any number of subscribers without ever waiting for one.
//!
//! Each subscriber has a bounded buffer. Publishing never blocks: when a subscriber's buffer
//! is full the event is dropped *for that subscriber only* and counted; as soon as it has room
//! again it first receives one [`EventBody::Lagged`] with the number it missed. A subscriber
//! whose receiving end is gone is removed at the next publish.

use super::{now_ms, CompiledFilter, Event, EventBody, EventFilter};
use crate::error::Result;
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Mutex, MutexGuard};

/// Default buffer of a subscriber, in events.
pub const DEFAULT_CAPACITY: usize = 8192;

struct Slot {
    id: u64,
    filter: CompiledFilter,
    tx: SyncSender<Event>,
    missed: u64,
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
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("subscribers", &self.subscriber_count())
            .finish()
    }
}

impl Hub {
    /// An empty hub.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Add a subscriber; events matching `filter` arrive on the receiver, at most `capacity`
    /// unread (see the module docs for what happens beyond).
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
        let mut inner = self.lock();
        inner.next_id += 1;
        let id = inner.next_id;
        inner.slots.push(Slot {
            id,
            filter,
            tx,
            missed: 0,
        });
        Ok((id, rx))
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

    /// Tell every subscriber that missed events and has room again how many, now, rather
    /// than with its next event (call it periodically: a quiet producer may have no next
    /// event for a long time).
    pub fn flush_lagged(&self) {
        let mut inner = self.lock();
        let seq = inner.next_seq;
        let time_ms = now_ms();
        inner.slots.retain_mut(|slot| {
            if slot.missed == 0 {
                return true;
            }
            let lagged = Event {
                seq,
                time_ms,
                body: EventBody::Lagged {
                    missed: slot.missed,
                },
            };
            match slot.tx.try_send(lagged) {
                Ok(()) => {
                    slot.missed = 0;
                    true
                }
                Err(TrySendError::Full(_)) => true,
                Err(TrySendError::Disconnected(_)) => false,
            }
        });
    }

    /// Stamp `body` with the next sequence number and the time, deliver it to every
    /// subscriber whose filter takes it, and return the stamped event.
    pub fn publish(&self, body: EventBody) -> Event {
        let mut inner = self.lock();
        inner.next_seq += 1;
        inner.published += 1;
        let event = Event {
            seq: inner.next_seq,
            time_ms: now_ms(),
            body,
        };
        inner.slots.retain_mut(|slot| deliver(slot, &event));
        event
    }
}

/// Deliver to one subscriber; `false` when it is gone.
fn deliver(slot: &mut Slot, event: &Event) -> bool {
    let Some(body) = slot.filter.apply(&event.body) else {
        return true;
    };
    if slot.missed > 0 {
        let lagged = Event {
            seq: event.seq,
            time_ms: event.time_ms,
            body: EventBody::Lagged {
                missed: slot.missed,
            },
        };
        match slot.tx.try_send(lagged) {
            Ok(()) => slot.missed = 0,
            Err(TrySendError::Full(_)) => {
                slot.missed += 1;
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
    match slot.tx.try_send(out) {
        Ok(()) => true,
        Err(TrySendError::Full(_)) => {
            slot.missed += 1;
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
}
