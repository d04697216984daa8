//! The garbage-collection (budget) plan for a set of dumps: a pure, deterministic
//! function, shared by `nx crash purge` on the host and crashd in the OS.
//!
//! Rules (see the format document): entries are ordered oldest first by
//! `(created_ns, id)`, or by `(seq, id)` when every entry has a `seq` (dumps one crashd
//! stored: their times count from different boots, their `seq` from the store); an entry is deleted if any active criterion selects it:
//! `all`; `older_than` (its age `now - created` is strictly greater; entries from the
//! future have age 0); `keep` (it is not among the `keep` newest); then `max_bytes`
//! (the oldest survivors are deleted until the survivors' total size is at most
//! `max_bytes`). A policy with no criterion deletes nothing.

use alloc::vec::Vec;

/// One dump as the plan sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GcEntry<'a> {
    /// The dump's id (tie-breaker between equal times).
    pub id: &'a str,
    /// Creation time, nanoseconds since the Unix epoch.
    pub created_ns: u64,
    /// Bytes the dump occupies.
    pub size: u64,
    /// The dump's store sequence number (its header's `seq`), if it has one.
    pub seq: Option<u64>,
}

/// What to delete. Criteria combine: an entry is deleted if any of them selects it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GcPolicy {
    /// Delete entries older than this many nanoseconds before `now`.
    pub older_than_ns: Option<u64>,
    /// Keep at most this many newest entries.
    pub keep: Option<usize>,
    /// Delete oldest entries until the rest total at most this many bytes.
    pub max_bytes: Option<u64>,
    /// Delete everything.
    pub all: bool,
}

impl GcPolicy {
    /// Whether any criterion is set.
    pub fn is_active(&self) -> bool {
        self.all || self.older_than_ns.is_some() || self.keep.is_some() || self.max_bytes.is_some()
    }
}

/// The outcome of [`plan_gc`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GcPlan {
    /// Indices into the input of the entries to delete, oldest first.
    pub delete: Vec<usize>,
    /// Indices into the input of the entries to keep, oldest first.
    pub keep: Vec<usize>,
    /// Total size of the deleted entries.
    pub freed_bytes: u64,
    /// Total size of the kept entries.
    pub kept_bytes: u64,
}

/// Decides which entries to delete under `policy`, with `now_ns` as the current time.
///
/// Deterministic: the result depends only on the entries' contents, except that entries
/// identical in both time and id are ordered by their input position.
pub fn plan_gc(entries: &[GcEntry<'_>], policy: &GcPolicy, now_ns: u64) -> GcPlan {
    let mut order: Vec<usize> = (0..entries.len()).collect();
    let by_seq = !entries.is_empty() && entries.iter().all(|e| e.seq.is_some());
    let when = |e: &GcEntry<'_>| {
        if by_seq {
            e.seq.unwrap_or(0)
        } else {
            e.created_ns
        }
    };
    order.sort_by(|&a, &b| {
        let (ea, eb) = (&entries[a], &entries[b]);
        (when(ea), ea.id, a).cmp(&(when(eb), eb.id, b))
    });
    let count = order.len();
    let mut doomed: Vec<bool> = Vec::with_capacity(count);
    for (rank, &i) in order.iter().enumerate() {
        let e = &entries[i];
        let too_old = policy
            .older_than_ns
            .is_some_and(|limit| now_ns.saturating_sub(e.created_ns) > limit);
        // `rank` counts from the oldest; the newest `keep` have rank >= count - keep.
        let beyond_keep = policy
            .keep
            .is_some_and(|keep| rank < count.saturating_sub(keep));
        doomed.push(policy.all || too_old || beyond_keep);
    }
    if let Some(max_bytes) = policy.max_bytes {
        let mut remaining: u64 = order
            .iter()
            .zip(&doomed)
            .filter(|(_, d)| !**d)
            .map(|(&i, _)| entries[i].size)
            .fold(0, u64::saturating_add);
        for (&i, d) in order.iter().zip(doomed.iter_mut()) {
            if remaining <= max_bytes {
                break;
            }
            if !*d {
                *d = true;
                remaining = remaining.saturating_sub(entries[i].size);
            }
        }
    }
    let mut plan = GcPlan::default();
    for (&i, d) in order.iter().zip(&doomed) {
        let size = entries[i].size;
        if *d {
            plan.delete.push(i);
            plan.freed_bytes = plan.freed_bytes.saturating_add(size);
        } else {
            plan.keep.push(i);
            plan.kept_bytes = plan.kept_bytes.saturating_add(size);
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: u64 = 86_400 * 1_000_000_000;

    fn entries() -> Vec<GcEntry<'static>> {
        // Deliberately not in time order; "b" and "c" share a time.
        alloc::vec![
            GcEntry {
                id: "d",
                created_ns: 4 * DAY,
                size: 400,
                seq: None,
            },
            GcEntry {
                id: "a",
                created_ns: DAY,
                size: 100,
                seq: None,
            },
            GcEntry {
                id: "c",
                created_ns: 2 * DAY,
                size: 300,
                seq: None,
            },
            GcEntry {
                id: "b",
                created_ns: 2 * DAY,
                size: 200,
                seq: None,
            },
            GcEntry {
                id: "e",
                created_ns: 5 * DAY,
                size: 500,
                seq: None,
            },
        ]
    }

    fn ids(plan: &GcPlan, entries: &[GcEntry<'_>]) -> Vec<&'static str> {
        plan.delete
            .iter()
            .map(|&i| match entries[i].id {
                "a" => "a",
                "b" => "b",
                "c" => "c",
                "d" => "d",
                _ => "e",
            })
            .collect()
    }

    #[test]
    fn plans_deletions_oldest_first_with_ties_broken_by_id() {
        let now = 6 * DAY;
        let none = GcPolicy::default();
        let cases: &[(&str, GcPolicy, &[&str])] = &[
            ("no criterion deletes nothing", none, &[]),
            (
                "all",
                GcPolicy { all: true, ..none },
                &["a", "b", "c", "d", "e"],
            ),
            (
                "older than 3 days",
                GcPolicy {
                    older_than_ns: Some(3 * DAY),
                    ..none
                },
                &["a", "b", "c"],
            ),
            (
                "older than exactly the age keeps it",
                GcPolicy {
                    older_than_ns: Some(5 * DAY),
                    ..none
                },
                &[],
            ),
            (
                "older than 0 deletes all past",
                GcPolicy {
                    older_than_ns: Some(0),
                    ..none
                },
                &["a", "b", "c", "d", "e"],
            ),
            (
                "keep 2 newest",
                GcPolicy {
                    keep: Some(2),
                    ..none
                },
                &["a", "b", "c"],
            ),
            (
                "keep 0",
                GcPolicy {
                    keep: Some(0),
                    ..none
                },
                &["a", "b", "c", "d", "e"],
            ),
            (
                "keep more than exist",
                GcPolicy {
                    keep: Some(10),
                    ..none
                },
                &[],
            ),
            (
                "max bytes 1000",
                GcPolicy {
                    max_bytes: Some(1000),
                    ..none
                },
                &["a", "b", "c"],
            ),
            (
                "max bytes 1200",
                GcPolicy {
                    max_bytes: Some(1200),
                    ..none
                },
                &["a", "b"],
            ),
            (
                "max bytes equal total",
                GcPolicy {
                    max_bytes: Some(1500),
                    ..none
                },
                &[],
            ),
            (
                "max bytes 0",
                GcPolicy {
                    max_bytes: Some(0),
                    ..none
                },
                &["a", "b", "c", "d", "e"],
            ),
            (
                "criteria combine",
                GcPolicy {
                    older_than_ns: Some(4 * DAY),
                    keep: Some(3),
                    max_bytes: Some(500),
                    all: false,
                },
                &["a", "b", "c", "d"],
            ),
        ];
        let entries = entries();
        for (name, policy, want) in cases {
            let plan = plan_gc(&entries, policy, now);
            assert_eq!(ids(&plan, &entries), *want, "{name}");
            assert_eq!(plan.delete.len() + plan.keep.len(), entries.len(), "{name}");
            assert_eq!(plan.freed_bytes + plan.kept_bytes, 1500, "{name}");
        }
    }

    #[test]
    fn dumps_one_store_numbered_are_ordered_by_seq_not_by_their_boot_relative_times() {
        // Boot 1 wrote "a" late in its boot; boot 2 wrote "b" early in its own: b is newer.
        let mut e = [
            GcEntry {
                id: "a",
                created_ns: 900,
                size: 10,
                seq: Some(1),
            },
            GcEntry {
                id: "b",
                created_ns: 100,
                size: 10,
                seq: Some(2),
            },
        ];
        let keep_one = GcPolicy {
            keep: Some(1),
            ..GcPolicy::default()
        };
        assert_eq!(ids(&plan_gc(&e, &keep_one, 0), &e), ["a"]);
        // One entry without a seq: the times order them again.
        e[1].seq = None;
        assert_eq!(ids(&plan_gc(&e, &keep_one, 0), &e), ["b"]);
    }

    #[test]
    fn future_entries_are_not_old() {
        let e = [GcEntry {
            id: "x",
            created_ns: 10 * DAY,
            size: 1,
            seq: None,
        }];
        let policy = GcPolicy {
            older_than_ns: Some(0),
            ..GcPolicy::default()
        };
        assert!(plan_gc(&e, &policy, DAY).delete.is_empty());
    }

    #[test]
    fn plan_does_not_depend_on_input_order() {
        let mut entries = entries();
        let policy = GcPolicy {
            max_bytes: Some(900),
            ..GcPolicy::default()
        };
        let first = ids(&plan_gc(&entries, &policy, 0), &entries);
        entries.reverse();
        assert_eq!(ids(&plan_gc(&entries, &policy, 0), &entries), first);
    }
}
