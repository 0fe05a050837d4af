//! Evaluation of one flag against a context: conditions in order, rollout, variants,
//! holdouts, cohorts and flag dependencies. Nothing here re-reads JSON.

use crate::cohort::Node;
use crate::context::ContextRef;
use crate::definitions::{Aggregation, Compiled, Condition, Definitions, Dependency, Filter};
use crate::error::{Inconclusive, InconclusiveReason as R};
use crate::evaluate::Evaluation;
use crate::matching::PropertyFilter;
use crate::matching::text;
use crate::rollout;
use crate::value::FlagValue;
use serde_json::Value;
use std::borrow::Cow;
use std::cell::{Cell, OnceCell, RefCell};

/// How deep flag dependencies and cohorts may nest while one flag is decided. Definitions in
/// dependency order never recurse (each flag of a chain is decided once, from the cache); only a
/// hostile or broken definition goes deeper, and it must never take the host's stack down.
pub const MAX_NESTING: usize = 32;

/// Why a filter, condition or flag could not be decided. `fatal` stops the flag at once;
/// `detail` replaces the reason's usual text.
#[derive(Debug, Clone, Copy)]
struct Why {
    reason: R,
    fatal: bool,
    detail: Option<&'static str>,
}

impl From<R> for Why {
    fn from(reason: R) -> Why {
        Why {
            reason,
            fatal: false,
            detail: None,
        }
    }
}

impl Why {
    /// A definition that cannot be evaluated at all (a cycle, too deep): stops the flag.
    fn broken(detail: &'static str) -> Why {
        Why {
            reason: R::UnsupportedDefinition,
            fatal: true,
            detail: Some(detail),
        }
    }
}

const CYCLE: &str = "a cohort of the definition refers to itself";
const TOO_DEEP: &str = "flag dependencies or cohorts nest deeper than 32 levels";

fn rank(r: R) -> u8 {
    match r {
        R::ExperienceContinuity => 0,
        R::UnsupportedDefinition => 1,
        R::UnresolvedDependency => 2,
        R::MissingContext => 3,
        R::UnknownFlag => 4,
    }
}

/// Keeps the first cause in the reason order.
fn worst(best: Option<R>, r: R) -> Option<R> {
    match best {
        Some(b) if rank(b) <= rank(r) => Some(b),
        _ => Some(r),
    }
}

/// A flag's value, borrowing the definitions.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Val<'a> {
    Bool(bool),
    Variant(&'a str),
}

struct Decided<'a> {
    value: Val<'a>,
    condition_index: Option<usize>,
    reason: &'static str,
}

#[derive(Clone, Copy)]
enum Scope<'a> {
    Person,
    Group(&'a str),
}

#[derive(Clone, Copy)]
enum Cached<'a> {
    InProgress,
    Done(Result<Val<'a>, ()>),
}

struct State<'a> {
    defs: &'a Definitions,
    ctx: ContextRef<'a>,
    distinct_id: OnceCell<Value>,
    cache: RefCell<Vec<Option<Cached<'a>>>>,
    /// Set while a flag without its device id is examined: cohorts look at every member.
    exhaustive: Cell<bool>,
    /// The cohorts being evaluated (by index), to refuse a cohort that contains itself.
    cohorts_active: RefCell<Vec<usize>>,
    /// Flag dependencies and cohorts entered and not yet left.
    nesting: Cell<usize>,
}

/// Evaluates the flag at `index`.
pub(crate) fn evaluate(
    defs: &Definitions,
    index: usize,
    ctx: ContextRef<'_>,
) -> Result<Evaluation, Inconclusive> {
    let state = State {
        defs,
        ctx,
        distinct_id: OnceCell::new(),
        cache: RefCell::new(Vec::new()),
        exhaustive: Cell::new(false),
        cohorts_active: RefCell::new(Vec::new()),
        nesting: Cell::new(0),
    };
    let flag = &defs.flags[index];
    match state.flag(index) {
        Ok(d) => {
            let (value, payload_key) = match d.value {
                Val::Bool(b) => (FlagValue::Bool(b), if b { Some("true") } else { None }),
                Val::Variant(v) => (FlagValue::Variant(v.to_string()), Some(v)),
            };
            let payload = payload_key
                .and_then(|k| flag.compiled.payloads.get(k))
                .cloned();
            Ok(Evaluation {
                key: flag.key.clone(),
                value,
                payload,
                condition_index: d.condition_index,
                reason: d.reason.to_string(),
                flag_id: flag.id,
                version: flag.version,
            })
        }
        Err(why) => Err(Inconclusive {
            reason: why.reason,
            detail: why.detail.unwrap_or_else(|| detail(why.reason)).to_string(),
        }),
    }
}

fn detail(r: R) -> &'static str {
    match r {
        R::ExperienceContinuity => "the flag has experience continuity enabled",
        R::UnsupportedDefinition => "the definition uses something only the server can evaluate",
        R::UnresolvedDependency => "a flag this flag depends on cannot be decided locally",
        R::MissingContext => "the context lacks a property, group or device id the flag needs",
        R::UnknownFlag => "no definition with this key is loaded",
    }
}

enum CondResult<'a> {
    Match(Val<'a>),
    NotTargeted,
    OutOfRollout,
}

impl<'a> State<'a> {
    fn group_key(&self, name: &str) -> Option<Cow<'a, str>> {
        self.ctx.groups.get(name).map(text::text)
    }

    fn lookup(&self, scope: Scope<'_>, key: &str) -> Option<&Value> {
        match scope {
            Scope::Person => self.ctx.person_properties.get(key).or_else(|| {
                (key == "distinct_id").then(|| {
                    self.distinct_id
                        .get_or_init(|| Value::String(self.ctx.distinct_id.to_string()))
                })
            }),
            Scope::Group(name) => self
                .ctx
                .group_properties
                .get(name)
                .and_then(Value::as_object)
                .and_then(|m| m.get(key))
                .or_else(|| {
                    if key == "$group_key" {
                        self.ctx.groups.get(name)
                    } else {
                        None
                    }
                }),
        }
    }

    fn flag(&self, index: usize) -> Result<Decided<'a>, Why> {
        let flag = &self.defs.flags[index];
        if !flag.active {
            return Ok(Decided {
                value: Val::Bool(false),
                condition_index: None,
                reason: "flag_disabled",
            });
        }
        if flag.ensure_experience_continuity {
            return Err(R::ExperienceContinuity.into());
        }
        let c = &flag.compiled;
        let no_match = Decided {
            value: Val::Bool(false),
            condition_index: None,
            reason: "no_condition_match",
        };
        let mut best: Option<R> = None;
        // `None`: the flag buckets by device and no device id was passed; only conditions
        // that need no hash can still decide.
        let (scope, bucket): (Scope<'a>, Option<Cow<'a, str>>) = match &c.aggregation {
            Aggregation::UnknownGroup => return Err(R::UnsupportedDefinition.into()),
            Aggregation::Group(name) => match self.group_key(name) {
                Some(k) => (Scope::Group(name.as_str()), Some(k)),
                None => return Ok(no_match),
            },
            Aggregation::Person if c.bucket_by_device => match self.ctx.device_id {
                Some(d) if !d.is_empty() => (Scope::Person, Some(Cow::Borrowed(d))),
                _ => {
                    best = Some(R::MissingContext);
                    (Scope::Person, None)
                }
            },
            Aggregation::Person => (Scope::Person, Some(Cow::Borrowed(self.ctx.distinct_id))),
        };
        if let (Some(h), Some(bucket)) = (&c.holdout, &bucket)
            && h.holds_out(bucket)
        {
            return Ok(Decided {
                value: Val::Variant(&h.value),
                condition_index: None,
                reason: "holdout",
            });
        }
        let mut out_of_rollout = false;
        for (i, cond) in c.conditions.iter().enumerate() {
            let (cscope, cbucket) = match &cond.aggregation {
                None => (scope, bucket.clone()),
                Some(Aggregation::Person) => (Scope::Person, bucket.clone()),
                // A condition on a group type the mapping does not know never matches.
                Some(Aggregation::UnknownGroup) => continue,
                Some(Aggregation::Group(name)) => match self.group_key(name) {
                    Some(k) => (Scope::Group(name.as_str()), Some(k)),
                    None => continue,
                },
            };
            match self.condition(&flag.key, c, cond, cscope, cbucket.as_deref()) {
                // Without the device id the flag buckets by, no condition may decide.
                Ok(CondResult::Match(_)) if bucket.is_none() => {
                    best = worst(best, R::MissingContext)
                }
                Ok(CondResult::Match(value)) => {
                    return Ok(Decided {
                        value,
                        condition_index: Some(i),
                        reason: "condition_match",
                    });
                }
                Ok(CondResult::NotTargeted) => {}
                Ok(CondResult::OutOfRollout) => {
                    out_of_rollout = true;
                    if c.early_exit {
                        break;
                    }
                }
                Err(why) if why.fatal => return Err(why),
                Err(why) => best = worst(best, why.reason),
            }
        }
        match best {
            Some(r) => Err(r.into()),
            None if out_of_rollout => Ok(Decided {
                reason: "out_of_rollout_bound",
                ..no_match
            }),
            None => Ok(no_match),
        }
    }

    fn condition(
        &self,
        key: &str,
        c: &'a Compiled,
        cond: &'a Condition,
        scope: Scope<'_>,
        bucket: Option<&str>,
    ) -> Result<CondResult<'a>, Why> {
        // Without the device id the flag buckets by, every filter (and every cohort member)
        // is looked at so that the first cause in the reason order is reported.
        let exhaustive = bucket.is_none();
        let outer = self.exhaustive.replace(exhaustive);
        let targeted = self.targeted(cond, scope, exhaustive);
        self.exhaustive.set(outer);
        if !targeted? {
            return Ok(CondResult::NotTargeted);
        }
        match bucket {
            Some(bucket) => Ok(self.rollout_and_variant(key, c, cond, bucket)),
            None => Err(R::MissingContext.into()),
        }
    }

    /// Whether the condition's filters all match. A false filter settles the condition
    /// whatever the others say (so the first one ends it); an undecided filter keeps a static
    /// cohort from stopping the whole flag.
    fn targeted(
        &self,
        cond: &'a Condition,
        scope: Scope<'_>,
        exhaustive: bool,
    ) -> Result<bool, Why> {
        let mut best: Option<R> = None;
        let mut fatal: Option<Why> = None;
        for f in &cond.filters {
            match self.filter(f, scope) {
                Ok(true) => {}
                Ok(false) if !exhaustive => return Ok(false),
                Ok(false) => {}
                Err(why) if why.fatal => fatal = fatal.or(Some(why)),
                Err(why) => best = worst(best, why.reason),
            }
        }
        if exhaustive {
            let r = fatal.map_or(best, |f| worst(best, f.reason));
            return Err(worst(r, R::MissingContext)
                .unwrap_or(R::MissingContext)
                .into());
        }
        match (best, fatal) {
            (Some(r), Some(f)) => Err(worst(Some(r), f.reason).unwrap_or(r).into()),
            (Some(r), None) => Err(r.into()),
            (None, Some(f)) => Err(f),
            (None, None) => Ok(true),
        }
    }

    fn rollout_and_variant(
        &self,
        key: &str,
        c: &'a Compiled,
        cond: &'a Condition,
        bucket: &str,
    ) -> CondResult<'a> {
        if let Some(pct) = cond.rollout
            && !rollout::in_rollout(key, bucket, pct)
        {
            return CondResult::OutOfRollout;
        }
        let value = match &cond.variant {
            Some(v) => Val::Variant(v.as_str()),
            None => match rollout::pick_variant(&c.variants, key, bucket) {
                Some(v) => Val::Variant(v),
                None => Val::Bool(true),
            },
        };
        CondResult::Match(value)
    }

    fn property(&self, f: &PropertyFilter, scope: Scope<'_>) -> Result<bool, Why> {
        f.matches(self.lookup(scope, &f.key)).map_err(Why::from)
    }

    fn filter(&self, f: &'a Filter, scope: Scope<'_>) -> Result<bool, Why> {
        match f {
            Filter::Person(p) => self.property(p, scope),
            Filter::Group(agg, p) => match agg {
                Aggregation::Group(name) => self.property(p, Scope::Group(name.as_str())),
                Aggregation::Person => self.property(p, Scope::Person),
                Aggregation::UnknownGroup => Err(R::UnsupportedDefinition.into()),
            },
            Filter::Cohort { cohort: None, .. } => Err(Why {
                reason: R::UnsupportedDefinition,
                fatal: true,
                detail: None,
            }),
            Filter::Cohort {
                cohort: Some(i),
                negate,
            } => {
                if self.cohorts_active.borrow().contains(i) {
                    return Err(Why::broken(CYCLE));
                }
                self.cohorts_active.borrow_mut().push(*i);
                let inside = self.nested(|| self.node(&self.defs.cohorts[*i], scope));
                self.cohorts_active.borrow_mut().pop();
                Ok(inside? != *negate)
            }
            Filter::Flag(dep) => self.dependency(dep),
            Filter::Unsupported => Err(R::UnsupportedDefinition.into()),
        }
    }

    fn node(&self, node: &'a Node<Filter>, scope: Scope<'_>) -> Result<bool, Why> {
        match node {
            Node::Leaf { filter, negation } => Ok(self.filter(filter, scope)? != *negation),
            Node::Group { all, children } => {
                let mut best: Option<R> = None;
                let exhaustive = self.exhaustive.get();
                let mut decided: Option<bool> = None;
                for child in children {
                    match self.node(child, scope) {
                        Ok(m) if *all != m && !exhaustive => return Ok(m),
                        Ok(m) if *all != m => decided = decided.or(Some(m)),
                        Ok(_) => {}
                        Err(why) if why.fatal => return Err(why),
                        Err(why) => best = worst(best, why.reason),
                    }
                }
                match best {
                    Some(r) if !children.is_empty() => Err(r.into()),
                    _ if decided.is_some() => Ok(decided.unwrap_or(*all)),
                    _ => Ok(*all || children.is_empty()),
                }
            }
        }
    }

    /// Runs `f` one nesting level deeper, refusing past [`MAX_NESTING`].
    fn nested<T>(&self, f: impl FnOnce() -> Result<T, Why>) -> Result<T, Why> {
        let depth = self.nesting.get();
        if depth >= MAX_NESTING {
            return Err(Why::broken(TOO_DEEP));
        }
        self.nesting.set(depth + 1);
        let out = f();
        self.nesting.set(depth);
        out
    }

    fn flag_value(&self, index: usize) -> Result<Val<'a>, Why> {
        {
            let mut cache = self.cache.borrow_mut();
            if cache.is_empty() {
                cache.resize(self.defs.flags.len(), None);
            }
            match cache[index] {
                Some(Cached::InProgress) => return Err(R::UnsupportedDefinition.into()),
                Some(Cached::Done(Ok(v))) => return Ok(v),
                Some(Cached::Done(Err(()))) => return Err(R::UnresolvedDependency.into()),
                None => cache[index] = Some(Cached::InProgress),
            }
        }
        let result = self.nested(|| self.flag(index));
        if let Err(why) = result
            && why.detail == Some(TOO_DEEP)
        {
            self.cache.borrow_mut()[index] = Some(Cached::Done(Err(())));
            return Err(why);
        }
        let stored = match &result {
            Ok(d) => Ok(d.value),
            Err(_) => Err(()),
        };
        self.cache.borrow_mut()[index] = Some(Cached::Done(stored));
        match result {
            Ok(d) => Ok(d.value),
            Err(_) => Err(R::UnresolvedDependency.into()),
        }
    }

    fn dependency(&self, dep: &'a Dependency) -> Result<bool, Why> {
        let chain = dep
            .chain
            .as_ref()
            .map_err(|_| Why::from(R::UnsupportedDefinition))?;
        for &j in chain {
            self.flag_value(j)?;
        }
        let target = dep.target.ok_or(Why::from(R::UnsupportedDefinition))?;
        let actual = self.flag_value(target)?;
        Ok(match (actual, &dep.expected) {
            (Val::Variant(v), Value::Bool(b)) if !v.is_empty() => *b,
            (Val::Variant(v), Value::String(e)) => !v.is_empty() && v == e,
            (Val::Bool(a), Value::Bool(b)) => a == *b,
            _ => false,
        })
    }
}
