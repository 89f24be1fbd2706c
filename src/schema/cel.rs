//! CEL validation rules (`x-kubernetes-validations`), evaluated with the
//! `cel` crate.
//!
//! A rule is only ever allowed to report when it evaluates cleanly to
//! `false`. Transition rules (`oldSelf`) have no old object to compare in a
//! repository and are skipped; so is any rule the crate cannot compile, and
//! any evaluation that errors (an absent field the API server would have
//! defaulted, a function the crate lacks): a linter that cannot tell must
//! stay silent.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use serde_json::Value;

/// A compiled rule.
pub struct CelProgram {
    program: cel::Program,
    /// The only fields of `self` the rule can read, when it reads `self`
    /// solely as `self.<field>`: the rest of the object is not converted
    /// (a HelmRelease's `spec.values` can be large).
    fields: Option<Vec<String>>,
}

impl std::fmt::Debug for CelProgram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CelProgram")
    }
}

/// Why a rule will not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// The rule reads `oldSelf`: it checks an update, not an object.
    Transition,
    /// The crate could not compile it.
    Unsupported(String),
    /// Too large or too deeply nested to parse and evaluate safely (the
    /// parser and evaluator recurse per operator); the API server's cost
    /// limit would reject it too.
    TooComplex(String),
}

/// Operators (and operands) a rule may chain: far above any real rule,
/// far below what exhausts a worker's stack.
pub const MAX_OPERATORS: usize = 1000;
/// Brackets a rule may nest.
pub const MAX_NESTING: usize = 64;

/// Why `rule` is too complex to evaluate, if it is: counted on its text
/// (outside string literals) before the recursive parser sees it.
pub fn complexity(rule: &str) -> Option<String> {
    let mut operators = 0usize;
    let (mut depth, mut deepest) = (0usize, 0usize);
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in rule.chars() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' => quote = Some(c),
            '(' | '[' | '{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            '+' | '-' | '*' | '/' | '%' | '&' | '|' | '=' | '<' | '>' | '!' | '?' | ':' | '.'
            | ',' => operators += 1,
            _ => {}
        }
    }
    if operators > MAX_OPERATORS {
        Some(format!(
            "{operators} operators, more than the {MAX_OPERATORS} gitops-lint evaluates"
        ))
    } else if deepest > MAX_NESTING {
        Some(format!(
            "brackets nested {deepest} deep, more than the {MAX_NESTING} gitops-lint evaluates"
        ))
    } else {
        None
    }
}

/// Compiles a rule, or says why it is skipped.
pub fn compile(rule: &str) -> Result<CelProgram, Skip> {
    if let Some(why) = complexity(rule) {
        return Err(Skip::TooComplex(why));
    }
    let program = std::panic::catch_unwind(|| cel::Program::compile(rule))
        .map_err(|_| Skip::Unsupported("the CEL parser panicked".into()))?
        .map_err(|e| Skip::Unsupported(e.to_string()))?;
    if program.references().has_variable("oldSelf") {
        return Err(Skip::Transition);
    }
    Ok(CelProgram {
        program,
        fields: self_fields(rule),
    })
}

/// The names `x` of every `self.x` in `rule`, when `self` occurs only in
/// that form (never bare, indexed, or as `self.?x`); `None` otherwise.
/// Names inside string literals are kept too: a superset is harmless.
fn self_fields(rule: &str) -> Option<Vec<String>> {
    let bytes = rule.as_bytes();
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut fields: Vec<String> = Vec::new();
    let mut from = 0;
    while let Some(i) = rule[from..].find("self").map(|i| from + i) {
        from = i + 4;
        let before_ok = i == 0 || !is_ident(bytes[i - 1]);
        let after_ok = bytes.get(i + 4).is_none_or(|b| !is_ident(*b));
        if !(before_ok && after_ok) {
            continue;
        }
        if bytes.get(i + 4) != Some(&b'.') {
            return None;
        }
        let start = i + 5;
        let len = bytes[start..].iter().take_while(|b| is_ident(**b)).count();
        if len == 0 || bytes[start].is_ascii_digit() {
            return None;
        }
        let name = &rule[start..start + len];
        if !fields.iter().any(|f| f == name) {
            fields.push(name.to_string());
        }
    }
    Some(fields)
}

/// The outcome of one evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    Fail,
    /// The rule could not be evaluated (error, or a non-boolean result).
    Unknown,
}

impl CelProgram {
    /// Evaluates the rule with `self` bound to `value`.
    pub fn eval(&self, value: &Value) -> Outcome {
        // Building the standard environment costs more than most rules do:
        // build it once and share it.
        static ENV: OnceLock<Arc<cel::Env>> = OnceLock::new();
        let env = ENV.get_or_init(|| Arc::new(cel::Env::stdlib()));
        let mut cx = cel::Context::with_env(env.clone());
        let this = match (value, &self.fields) {
            (Value::Object(m), Some(fields)) => {
                let map: HashMap<cel::objects::Key, cel::Value> = fields
                    .iter()
                    .filter_map(|f| {
                        let (k, v) = m.get_key_value(f.as_str())?;
                        Some((cel::objects::Key::from(k.clone()), to_cel(v, 1)))
                    })
                    .collect();
                cel::Value::Map(cel::objects::Map { map: Arc::new(map) })
            }
            _ => to_cel(value, 0),
        };
        cx.add_variable_from_value("self", this);
        let result =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.program.execute(&cx)));
        match result {
            Ok(Ok(cel::Value::Bool(true))) => Outcome::Pass,
            Ok(Ok(cel::Value::Bool(false))) => Outcome::Fail,
            _ => Outcome::Unknown,
        }
    }
}

/// JSON to a CEL value the way the API server types it: whole numbers are
/// `int`, others `double`.
fn to_cel(v: &Value, depth: usize) -> cel::Value {
    if depth > 128 {
        return cel::Value::Null;
    }
    match v {
        Value::Null => cel::Value::Null,
        Value::Bool(b) => cel::Value::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => cel::Value::Int(i),
            None => match n.as_u64() {
                Some(u) => cel::Value::UInt(u),
                None => cel::Value::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
        },
        Value::String(s) => cel::Value::String(Arc::new(s.clone())),
        Value::Array(items) => cel::Value::List(Arc::new(
            items.iter().map(|i| to_cel(i, depth + 1)).collect(),
        )),
        Value::Object(m) => {
            let map: HashMap<cel::objects::Key, cel::Value> = m
                .iter()
                .map(|(k, v)| (cel::objects::Key::from(k.clone()), to_cel(v, depth + 1)))
                .collect();
            cel::Value::Map(cel::objects::Map { map: Arc::new(map) })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The largest rule allowed compiles and evaluates on a 2 MiB stack
    /// (a test thread's; workers have 16 MiB); larger ones are refused
    /// before the recursive parser sees them.
    #[test]
    fn rules_at_the_bounds_evaluate_and_larger_ones_are_refused() {
        let at_limit = vec!["1"; MAX_OPERATORS / 2].join(" + ") + " > 0";
        let nested = "(".repeat(MAX_NESTING) + "true" + &")".repeat(MAX_NESTING);
        let outcome = std::thread::Builder::new()
            .stack_size(2 * 1024 * 1024)
            .spawn(move || {
                let a = compile(&at_limit).unwrap().eval(&json!({}));
                let b = compile(&nested).unwrap().eval(&json!({}));
                (a, b)
            })
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(outcome, (Outcome::Pass, Outcome::Pass));
        for terms in [10_000, 100_000] {
            let rule = vec!["1"; terms].join("+") + " > 0";
            assert!(matches!(compile(&rule), Err(Skip::TooComplex(_))));
        }
        let deep = "(".repeat(MAX_NESTING + 1) + "true" + &")".repeat(MAX_NESTING + 1);
        assert!(matches!(compile(&deep), Err(Skip::TooComplex(_))));
        assert_eq!(complexity("self.a == 'x+y+z(((('"), None);
    }

    #[test]
    fn reads_only_the_fields_a_rule_names() {
        assert_eq!(
            self_fields("(has(self.chart) && !has(self.chartRef)) || self.chart == 'x'"),
            Some(vec!["chart".to_string(), "chartRef".to_string()])
        );
        assert_eq!(self_fields("size(self) > 0"), None);
        assert_eq!(self_fields("self.?a.orValue(1) == 1"), None);
        assert_eq!(self_fields("self['a'] == 1"), None);
        assert_eq!(self_fields("myself.a == itself_b"), Some(vec![]));
        let p = compile("has(self.a) || !has(self.b)").unwrap();
        assert!(p.fields.is_some());
        assert_eq!(p.eval(&json!({"a": 1, "big": [1, 2, 3]})), Outcome::Pass);
        assert_eq!(p.eval(&json!({"b": 1, "big": {"x": 1}})), Outcome::Fail);
        assert_eq!(p.eval(&json!({"big": 1})), Outcome::Pass);
    }

    #[test]
    fn evaluates_flux_rules() {
        let p = compile("!has(self.serviceAccountName) || (has(self.provider) && (self.provider == 'azure' || self.provider == 'aws'))").unwrap();
        assert_eq!(
            p.eval(&json!({"provider": "azure", "serviceAccountName": "x"})),
            Outcome::Pass
        );
        assert_eq!(
            p.eval(&json!({"provider": "generic", "serviceAccountName": "x"})),
            Outcome::Fail
        );
        assert_eq!(p.eval(&json!({"interval": "1m"})), Outcome::Pass);
        let p = compile(
            "self.artifacts.all(a, a.name.matches('^[a-z]+$')) && size(self.artifacts) > 0",
        )
        .unwrap();
        assert_eq!(
            p.eval(&json!({"artifacts": [{"name": "ok"}]})),
            Outcome::Pass
        );
        assert_eq!(
            p.eval(&json!({"artifacts": [{"name": "NO"}]})),
            Outcome::Fail
        );
    }

    /// Cost of one evaluation, for the record:
    /// `cargo test --release --lib schema::cel -- --ignored --nocapture`
    #[test]
    #[ignore = "measurement, not a check"]
    fn measure() {
        let rule = "!has(self.serviceAccountName) || (has(self.provider) && (self.provider == 'azure' || self.provider == 'aws'))";
        let t = std::time::Instant::now();
        let p = compile(rule).unwrap();
        let compiled = t.elapsed();
        let spec = json!({"interval": "1m", "url": "https://x/y", "provider": "azure", "serviceAccountName": "sa", "ref": {"branch": "dev"}});
        let t = std::time::Instant::now();
        for _ in 0..10_000 {
            assert_eq!(p.eval(&spec), Outcome::Pass);
        }
        println!("compile {compiled:?}, evaluate {:?}", t.elapsed() / 10_000);
    }

    #[test]
    fn unknowns_never_fail() {
        assert_eq!(compile("self == oldSelf").err(), Some(Skip::Transition));
        assert!(matches!(
            compile("self.a ==== 1"),
            Err(Skip::Unsupported(_))
        ));
        // A missing field is an evaluation error, not a failure.
        let p = compile("self.provider != 'aws'").unwrap();
        assert_eq!(p.eval(&json!({})), Outcome::Unknown);
        // A non-boolean result.
        let p = compile("self.x").unwrap();
        assert_eq!(p.eval(&json!({"x": 1})), Outcome::Unknown);
        // Numbers compare as the API server types them.
        let p = compile("self.n > 0").unwrap();
        assert_eq!(p.eval(&json!({"n": 3})), Outcome::Pass);
    }
}
