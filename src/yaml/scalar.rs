//! Typing scalars.
//!
//! Two readers matter and they disagree. The YAML 1.2 core schema (what the
//! YAML test suite expects) reads `yes` as a string; Kubernetes reads YAML
//! through Go's `yaml.v2` rules, where `yes`, `on`, `y` are booleans, `0777`
//! is octal and `1_000` is an integer. Schema checks must see what Kubernetes
//! sees, so [`Typing::Kubernetes`] is the default everywhere except the YAML
//! conformance tests.

/// How a scalar was written; it decides how it is typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarStyle {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

impl ScalarStyle {
    pub fn is_plain(self) -> bool {
        self == ScalarStyle::Plain
    }
}

/// A scalar's text and style. Its explicit tag, if any, is kept by the
/// document ([`super::NodeRef::tag`]): tags are rare, and every byte of a node
/// counts (a run keeps millions).
#[derive(Debug, Clone)]
pub struct Scalar {
    pub value: compact_str::CompactString,
    pub style: ScalarStyle,
}

/// A scalar's value once typed.
#[derive(Debug, Clone, PartialEq)]
pub enum Typed {
    Null,
    Bool(bool),
    Int(i64),
    /// An integer beyond i64 (Go reads these as uint64 or float64).
    UInt(u64),
    Float(f64),
    Str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Typing {
    /// YAML 1.2 core schema.
    Core,
    /// Go `yaml.v2`, as `sigs.k8s.io/yaml` (kubectl, Flux, Helm) reads it.
    Kubernetes,
}

pub const TAG_PREFIX: &str = "tag:yaml.org,2002:";

pub fn is_null(s: &str) -> bool {
    matches!(s, "" | "~" | "null" | "Null" | "NULL")
}

/// The YAML 1.1 booleans Go reads but YAML 1.2 does not.
pub fn yaml11_bool(s: &str) -> Option<bool> {
    match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => Some(true),
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => Some(false),
        _ => None,
    }
}

impl Scalar {
    /// The value typed as `typing` reads it, given the scalar's explicit tag
    /// ([`crate::yaml::NodeRef::typed`] finds it).
    pub fn typed(&self, tag: Option<&str>, typing: Typing) -> Typed {
        if let Some(tag) = tag {
            return typed_by_tag(&self.value, tag, typing);
        }
        if self.style != ScalarStyle::Plain {
            return Typed::Str;
        }
        match typing {
            Typing::Core => core(&self.value),
            Typing::Kubernetes => go_yaml_v2(&self.value),
        }
    }
}

fn typed_by_tag(value: &str, tag: &str, typing: Typing) -> Typed {
    let Some(short) = tag.strip_prefix(TAG_PREFIX) else {
        // A custom tag: Go keeps the value as a string.
        return Typed::Str;
    };
    match short {
        "str" | "binary" | "timestamp" => Typed::Str,
        "null" => Typed::Null,
        "bool" | "int" | "float" => match (short, plain(value, typing)) {
            ("bool", t @ Typed::Bool(_)) => t,
            ("int", t @ (Typed::Int(_) | Typed::UInt(_))) => t,
            ("float", Typed::Int(i)) => Typed::Float(i as f64),
            ("float", t @ Typed::Float(_)) => t,
            _ => Typed::Str,
        },
        _ => plain(value, typing),
    }
}

fn plain(value: &str, typing: Typing) -> Typed {
    match typing {
        Typing::Core => core(value),
        Typing::Kubernetes => go_yaml_v2(value),
    }
}

/// The literals both readers agree on: null, the `true`/`false` spellings,
/// and `.nan`.
fn common_literal(s: &str) -> Option<Typed> {
    if is_null(s) {
        return Some(Typed::Null);
    }
    match s {
        "true" | "True" | "TRUE" => Some(Typed::Bool(true)),
        "false" | "False" | "FALSE" => Some(Typed::Bool(false)),
        ".nan" | ".NaN" | ".NAN" => Some(Typed::Float(f64::NAN)),
        _ => None,
    }
}

/// YAML 1.2.2 core schema, section 10.3.2.
fn core(s: &str) -> Typed {
    if let Some(t) = common_literal(s) {
        return t;
    }
    if let Some(inf) = parse_inf(s) {
        return Typed::Float(inf);
    }
    let b = s.as_bytes();
    if !b.is_empty() && is_dec_int(s.strip_prefix(['-', '+']).unwrap_or(s)) {
        return int_or_float(s);
    }
    if let Some(oct) = s.strip_prefix("0o") {
        if let Ok(v) = i64::from_str_radix(oct, 8) {
            return Typed::Int(v);
        }
    }
    if let Some(hex) = s.strip_prefix("0x") {
        if let Ok(v) = i64::from_str_radix(hex, 16) {
            return Typed::Int(v);
        }
    }
    if is_float_syntax(s) {
        if let Ok(f) = s.parse::<f64>() {
            return Typed::Float(f);
        }
    }
    Typed::Str
}

fn parse_inf(s: &str) -> Option<f64> {
    match s {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => Some(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

fn is_dec_int(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit())
}

fn int_or_float(s: &str) -> Typed {
    if let Ok(v) = s.parse::<i64>() {
        return Typed::Int(v);
    }
    if let Ok(v) = s.trim_start_matches('+').parse::<u64>() {
        return Typed::UInt(v);
    }
    s.parse::<f64>().map(Typed::Float).unwrap_or(Typed::Str)
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
fn is_float_syntax(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (mantissa, exp) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => {
            (int.is_empty() && is_dec_int(frac))
                || (is_dec_int(int) && (frac.is_empty() || is_dec_int(frac)))
        }
        None => is_dec_int(mantissa),
    };
    let exp_ok = match exp {
        Some(e) => is_dec_int(e.strip_prefix(['-', '+']).unwrap_or(e)),
        None => true,
    };
    mantissa_ok && exp_ok
}

/// Go `yaml.v2` `resolve()` for an untagged plain scalar.
fn go_yaml_v2(s: &str) -> Typed {
    // Every word with a meaning is at most five characters (`false`);
    // a longer one starting with a letter is text, as most values are.
    if s.len() > 5 && s.as_bytes()[0].is_ascii_alphabetic() {
        return Typed::Str;
    }
    if let Some(t) = common_literal(s) {
        return t;
    }
    if let Some(b) = yaml11_bool(s) {
        return Typed::Bool(b);
    }
    if let Some(inf) = parse_inf(s) {
        return Typed::Float(inf);
    }
    let first = s.as_bytes()[0];
    if !(first.is_ascii_digit() || first == b'-' || first == b'+' || first == b'.') {
        return Typed::Str;
    }
    let plain = s.replace('_', "");
    if let Some(v) = go_parse_int(&plain) {
        return v;
    }
    if is_float_syntax(&plain) {
        if let Ok(f) = plain.parse::<f64>() {
            return Typed::Float(f);
        }
    }
    Typed::Str
}

/// `strconv.ParseInt(s, 0, 64)`, then `ParseUint`: sign, then `0x`, `0o`,
/// `0b` or a leading `0` (octal), else decimal.
fn go_parse_int(s: &str) -> Option<Typed> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (radix, digits) = if let Some(d) = body.strip_prefix("0x").or(body.strip_prefix("0X")) {
        (16, d)
    } else if let Some(d) = body.strip_prefix("0o").or(body.strip_prefix("0O")) {
        (8, d)
    } else if let Some(d) = body.strip_prefix("0b").or(body.strip_prefix("0B")) {
        (2, d)
    } else if body.len() > 1 && body.starts_with('0') {
        (8, &body[1..])
    } else {
        (10, body)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = u64::from_str_radix(digits, radix).ok()?;
    if neg {
        if magnitude <= i64::MAX as u64 + 1 {
            return Some(Typed::Int((magnitude as i128).wrapping_neg() as i64));
        }
        return None;
    }
    Some(match i64::try_from(magnitude) {
        Ok(v) => Typed::Int(v),
        Err(_) => Typed::UInt(magnitude),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(s: &str) -> Scalar {
        Scalar {
            value: s.into(),
            style: ScalarStyle::Plain,
        }
    }

    #[test]
    fn kubernetes_reads_yaml_1_1_forms() {
        let k = |s: &str| plain(s).typed(None, Typing::Kubernetes);
        assert_eq!(k("yes"), Typed::Bool(true));
        assert_eq!(k("Off"), Typed::Bool(false));
        // The longest words with a meaning, and words just longer.
        assert_eq!(k("FALSE"), Typed::Bool(false));
        assert_eq!(k("False!"), Typed::Str);
        assert_eq!(k("nginx"), Typed::Str);
        assert_eq!(k("falsey"), Typed::Str);
        assert_eq!(k("123456"), Typed::Int(123456));
        assert_eq!(k("-.inf"), Typed::Float(f64::NEG_INFINITY));
        assert_eq!(k("0777"), Typed::Int(511));
        assert_eq!(k("1_000"), Typed::Int(1000));
        assert_eq!(k("0x1F"), Typed::Int(31));
        assert_eq!(k("1.10"), Typed::Float(1.1));
        assert_eq!(k("-5"), Typed::Int(-5));
        assert_eq!(k("="), Typed::Str);
        assert_eq!(k("1.2.3"), Typed::Str);
        assert_eq!(k("08"), Typed::Float(8.0));
        assert_eq!(k("~"), Typed::Null);
    }

    #[test]
    fn core_schema_keeps_yaml_1_1_forms_as_strings() {
        let c = |s: &str| plain(s).typed(None, Typing::Core);
        assert_eq!(c("yes"), Typed::Str);
        assert_eq!(c("0777"), Typed::Int(777));
        assert_eq!(c("0o17"), Typed::Int(15));
        assert_eq!(c("1_000"), Typed::Str);
        assert_eq!(c(".5"), Typed::Float(0.5));
        assert_eq!(c("-.inf"), Typed::Float(f64::NEG_INFINITY));
    }

    #[test]
    fn quoted_scalars_are_strings() {
        let s = Scalar {
            value: "yes".into(),
            style: ScalarStyle::DoubleQuoted,
        };
        assert_eq!(s.typed(None, Typing::Kubernetes), Typed::Str);
    }
}
