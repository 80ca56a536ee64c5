//! The future-event list.
//!
//! Events are ordered by (time, insertion number), so events at equal times
//! come out first-in first-out and a run is deterministic. Times are exact
//! `f64` seconds compared with `total_cmp`. Scheduling into the past is an
//! error value, not a panic.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::order::{from_ordered, ordered};

/// Scheduling an event before the current time.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("event scheduled at {at} s, before the current time {now} s")]
pub struct PastEvent {
    /// The current time.
    pub now: f64,
    /// The requested time.
    pub at: f64,
}

/// An event with its key: the time's bits in `total_cmp` order above the
/// sequence number, so that one comparison orders by time, then sequence.
struct Entry<E> {
    key: u128,
    ev: E,
}

impl<E> Entry<E> {
    #[inline]
    fn new(t: f64, seq: u64, ev: E) -> Entry<E> {
        Entry {
            key: u128::from(ordered(t)) << 64 | u128::from(seq),
            ev,
        }
    }

    #[inline]
    fn t(&self) -> f64 {
        from_ordered((self.key >> 64) as u64)
    }

    #[inline]
    fn seq(&self) -> u64 {
        self.key as u64
    }
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, o: &Self) -> bool {
        self.key == o.key
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl<E> Ord for Entry<E> {
    #[inline]
    fn cmp(&self, o: &Self) -> Ordering {
        // BinaryHeap is a max-heap: reverse for earliest first.
        o.key.cmp(&self.key)
    }
}

/// A priority queue of events keyed by (time, sequence number).
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    next_seq: u64,
    now: f64,
}

impl<E> EventQueue<E> {
    /// An empty queue at time 0 whose sequence numbers start at `first_seq`
    /// (numbers below it are reserved for events merged in from elsewhere).
    pub fn new(first_seq: u64) -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            next_seq: first_seq,
            now: 0.0,
        }
    }

    /// The current time: that of the last event popped.
    pub fn now(&self) -> f64 {
        self.now
    }

    /// Schedule `ev` at time `t` (not before [`EventQueue::now`]).
    pub fn schedule(&mut self, t: f64, ev: E) -> Result<(), PastEvent> {
        if t.total_cmp(&self.now) == Ordering::Less || t.is_nan() {
            return Err(PastEvent {
                now: self.now,
                at: t,
            });
        }
        self.heap.push(Entry::new(t, self.next_seq, ev));
        self.next_seq += 1;
        Ok(())
    }

    /// Key of the earliest event.
    pub fn peek_key(&self) -> Option<(f64, u64)> {
        self.heap.peek().map(|e| (e.t(), e.seq()))
    }

    /// The earliest event, left in the queue.
    pub fn peek(&self) -> Option<&E> {
        self.heap.peek().map(|e| &e.ev)
    }

    /// Remove the earliest event and advance the clock to it.
    pub fn pop(&mut self) -> Option<(f64, E)> {
        let e = self.heap.pop()?;
        self.now = e.t();
        Some((self.now, e.ev))
    }

    /// Advance the clock to `t` for an event merged in from outside the heap.
    pub fn advance(&mut self, t: f64) -> Result<(), PastEvent> {
        if t.total_cmp(&self.now) == Ordering::Less {
            return Err(PastEvent {
                now: self.now,
                at: t,
            });
        }
        self.now = t;
        Ok(())
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// True when no event is pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_times_are_fifo_and_past_is_an_error() {
        let mut q = EventQueue::new(0);
        q.schedule(5.0, "b").unwrap();
        q.schedule(1.0, "a").unwrap();
        q.schedule(5.0, "c").unwrap();
        assert_eq!(q.peek(), Some(&"a"));
        assert_eq!(q.pop(), Some((1.0, "a")));
        // Peeking leaves the event where it is.
        assert_eq!(q.peek(), Some(&"b"));
        assert_eq!(q.len(), 2);
        assert_eq!(q.pop(), Some((5.0, "b")));
        assert_eq!(
            q.schedule(4.0, "late"),
            Err(PastEvent { now: 5.0, at: 4.0 })
        );
        q.schedule(5.0, "d").unwrap();
        assert_eq!(q.pop(), Some((5.0, "c")));
        assert_eq!(q.pop(), Some((5.0, "d")));
        assert!(q.pop().is_none());
    }

    proptest::proptest! {
        /// Keys order as `(t.total_cmp, seq)` do, and give their time back
        /// bit for bit (negative and signed zero times included).
        #[test]
        fn keys_order_as_time_then_sequence(
            a in proptest::num::f64::ANY, b in proptest::num::f64::ANY,
            sa in 0u64..4, sb in 0u64..4,
        ) {
            for (x, y) in [(a, b), (a, a), (a, -a)] {
                let (ex, ey) = (Entry::new(x, sa, ()), Entry::new(y, sb, ()));
                proptest::prop_assert_eq!(ex.t().to_bits(), x.to_bits());
                proptest::prop_assert_eq!(ex.seq(), sa);
                proptest::prop_assert_eq!(ey.cmp(&ex), x.total_cmp(&y).then(sa.cmp(&sb)));
            }
        }
    }
}
