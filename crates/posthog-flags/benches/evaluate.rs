//! Benchmarks of local evaluation over `tests/data/flag_definitions.json`: one multivariate
//! flag, one flag with a property filter, and every flag, for a realistic context.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use posthog_flags::{Definitions, EvalContext};
use serde_json::json;
use std::hint::black_box;

fn context() -> EvalContext {
    let mut ctx = EvalContext::new("user-4242");
    let person = json!({
        "email": "jane.doe@example.com",
        "plan": "pro",
        "country": "US",
        "age": 34,
        "platform": "web",
        "app_version": "2.4.1",
        "signup_date": "2023-06-01T12:00:00Z",
        "sessions_30d": 42,
        "is_beta": true,
        "company_name": "Acme",
    });
    ctx.person_properties = person.as_object().unwrap().clone();
    ctx.groups = json!({"company": "acme"}).as_object().unwrap().clone();
    ctx.group_properties = json!({"company": {"plan": "enterprise", "employees": 250}})
        .as_object()
        .unwrap()
        .clone();
    ctx
}

fn bench(c: &mut Criterion) {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/flag_definitions.json"
    ))
    .unwrap();
    let defs = Definitions::from_slice(&bytes).unwrap();
    let ctx = context();
    c.bench_function("parse flag_definitions.json", |b| {
        b.iter(|| Definitions::from_slice(black_box(&bytes)).unwrap())
    });
    c.bench_function("evaluate multivariate (exp-checkout-flow)", |b| {
        b.iter(|| defs.evaluate(black_box("exp-checkout-flow"), black_box(&ctx)))
    });
    c.bench_function("evaluate property filter (pro-us-adults)", |b| {
        b.iter(|| defs.evaluate(black_box("pro-us-adults"), black_box(&ctx)))
    });
    c.bench_function("evaluate_all (53 flags)", |b| {
        b.iter(|| defs.evaluate_all(black_box(&ctx)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
