//! A rule set's conditions compiled to one flat program of jumps.

use super::condition::{Cond, Scan, Subject};
use super::Keywords;

/// A rule set's conditions as one flat program: each step tests one leaf and names the step
/// to go to when it holds and when it does not, so finding the first matching rule walks an
/// array with no call per rule or group. `and`, `or` and `not` become jumps.
#[derive(Debug, Default)]
pub(crate) struct Program {
    steps: Vec<Step>,
    rules: usize,
}

#[derive(Debug)]
struct Step {
    leaf: Cond,
    yes: u32,
    no: u32,
}

/// A jump target at or above this is an outcome, not a step: `DONE + i` is "rule `i`
/// matched", `DONE + rules` is "no rule matched".
const DONE: u32 = 1 << 31;

impl Program {
    /// The program of a rule set's conditions, in order.
    pub(crate) fn build<'c>(conds: impl ExactSizeIterator<Item = &'c Cond>) -> Option<Program> {
        let rules = u32::try_from(conds.len()).ok().filter(|n| *n < DONE)?;
        let mut b = Builder {
            steps: Vec::new(),
            labels: Vec::new(),
        };
        // Label `i` starts rule `i`; label `rules` means "no rule matched".
        b.labels.resize(rules as usize + 1, None);
        if let Some(none) = b.labels.last_mut() {
            *none = Some(DONE + rules);
        }
        for (i, cond) in conds.enumerate() {
            b.place(i);
            let rule = u32::try_from(i).ok()?;
            b.emit(cond, Target::Out(DONE + rule), Target::Label(i + 1));
        }
        let steps = b.finish()?;
        Some(Program {
            steps,
            rules: rules as usize,
        })
    }

    /// The index of the first rule whose condition holds.
    pub(crate) fn first_match(
        &self,
        subject: &Subject<'_>,
        kw: &Keywords,
        scan: &mut Scan,
    ) -> Option<usize> {
        let mut at = 0u32;
        loop {
            // No steps at all: there are no rules.
            let step = self.steps.get(at as usize)?;
            at = if step.leaf.step(subject, kw, scan) {
                step.yes
            } else {
                step.no
            };
            if at >= DONE {
                let rule = (at - DONE) as usize;
                return (rule < self.rules).then_some(rule);
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Target {
    /// A label, resolved to a step or an outcome once the program is complete.
    Label(usize),
    Out(u32),
}

struct Builder {
    steps: Vec<(Cond, Target, Target)>,
    labels: Vec<Option<u32>>,
}

impl Builder {
    fn label(&mut self) -> usize {
        self.labels.push(None);
        self.labels.len() - 1
    }

    fn place(&mut self, label: usize) {
        let here = u32::try_from(self.steps.len()).unwrap_or(DONE);
        if let Some(slot) = self.labels.get_mut(label) {
            *slot = Some(here);
        }
    }

    /// Code that goes to `yes` when `cond` holds and to `no` when it does not.
    fn emit(&mut self, cond: &Cond, yes: Target, no: Target) {
        match cond {
            Cond::All(parts) => match parts.split_last() {
                None => self.steps.push((Cond::True, yes, no)),
                Some((last, rest)) => {
                    for part in rest {
                        let next = self.label();
                        self.emit(part, Target::Label(next), no);
                        self.place(next);
                    }
                    self.emit(last, yes, no);
                }
            },
            Cond::Any(options) => match options.split_last() {
                // No option can hold.
                None => self.steps.push((Cond::Not(Box::new(Cond::True)), yes, no)),
                Some((last, rest)) => {
                    for option in rest {
                        let next = self.label();
                        self.emit(option, yes, Target::Label(next));
                        self.place(next);
                    }
                    self.emit(last, yes, no);
                }
            },
            Cond::Not(inner) => self.emit(inner, no, yes),
            leaf => self.steps.push((leaf.clone(), yes, no)),
        }
    }

    fn finish(self) -> Option<Vec<Step>> {
        let labels = self.labels;
        let resolve = |t: Target| match t {
            Target::Out(o) => Some(o),
            Target::Label(l) => labels.get(l).copied().flatten(),
        };
        self.steps
            .into_iter()
            .map(|(leaf, yes, no)| {
                Some(Step {
                    leaf,
                    yes: resolve(yes)?,
                    no: resolve(no)?,
                })
            })
            .collect()
    }
}
