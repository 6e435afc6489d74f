//! The Terraform functions the templates call in resource arguments, for computing
//! planned attribute values without Terraform. Each follows the function's documented
//! behaviour for the argument types the templates pass; anything else is an error, which
//! the caller turns into an unknown value, the same outcome as a value Terraform only
//! learns during apply.
//!
//! Functions that are not here (`yamlencode`, `base64encode`, `regex`, `can`, `try`, ...)
//! leave the argument that calls them unknown.

use hcl::eval::{Context, FuncArgs, FuncDef, ParamType};
use hcl::{Map, Value};

/// The count-deciding functions of `plan.rs` plus the string, collection and encoding
/// functions resource arguments use.
pub(crate) fn value_context() -> Context<'static> {
    let mut context = crate::plan::base_context();
    let any = || ParamType::Any;
    let string = || ParamType::String;
    let number = || ParamType::Number;
    context.declare_func("merge", FuncDef::builder().variadic_param(any()).build(merge));
    context.declare_func("concat", FuncDef::builder().variadic_param(any()).build(concat));
    context.declare_func("substr", FuncDef::new(substr, [string(), number(), number()]));
    context.declare_func("replace", FuncDef::new(replace, [string(), string(), string()]));
    context.declare_func("trim", FuncDef::new(trim, [string(), string()]));
    context.declare_func("trimprefix", FuncDef::new(trimprefix, [string(), string()]));
    context.declare_func("trimspace", FuncDef::new(trimspace, [string()]));
    context.declare_func("lower", FuncDef::new(lower, [string()]));
    context.declare_func("upper", FuncDef::new(upper, [string()]));
    context.declare_func("join", FuncDef::new(join, [string(), any()]));
    context.declare_func("split", FuncDef::new(split, [string(), string()]));
    context.declare_func("contains", FuncDef::new(contains, [any(), any()]));
    context.declare_func("keys", FuncDef::new(keys, [any()]));
    context.declare_func("values", FuncDef::new(values, [any()]));
    context.declare_func("sort", FuncDef::new(sort, [any()]));
    context.declare_func("distinct", FuncDef::new(distinct, [any()]));
    context.declare_func("compact", FuncDef::new(compact, [any()]));
    context.declare_func("slice", FuncDef::new(slice, [any(), number(), number()]));
    context.declare_func("lookup", FuncDef::builder().params([any(), string()]).variadic_param(any()).build(lookup));
    context.declare_func("tonumber", FuncDef::new(tonumber, [any()]));
    context.declare_func("floor", FuncDef::new(floor, [number()]));
    context.declare_func("jsonencode", FuncDef::new(jsonencode, [any()]));
    context.declare_func("cidrsubnet", FuncDef::new(cidrsubnet, [string(), number(), number()]));
    context
}

fn text(value: &Value) -> Result<&str, String> {
    value.as_str().ok_or_else(|| "expected a string".to_owned())
}

fn whole(value: &Value) -> Result<i64, String> {
    value.as_i64().ok_or_else(|| "expected a whole number".to_owned())
}

fn list(value: &Value) -> Result<&Vec<Value>, String> {
    match value {
        Value::Array(items) => Ok(items),
        _ => Err("expected a list".to_owned()),
    }
}

fn object(value: &Value) -> Result<&Map<String, Value>, String> {
    match value {
        Value::Object(map) => Ok(map),
        _ => Err("expected a map or object".to_owned()),
    }
}

/// Later arguments win; null arguments are skipped, as in Terraform.
fn merge(args: FuncArgs) -> Result<Value, String> {
    let mut merged = Map::new();
    for arg in args.iter() {
        if arg.is_null() {
            continue;
        }
        for (key, value) in object(arg)? {
            merged.insert(key.clone(), value.clone());
        }
    }
    Ok(Value::Object(merged))
}

fn concat(args: FuncArgs) -> Result<Value, String> {
    let mut joined = Vec::new();
    for arg in args.iter() {
        joined.extend(list(arg)?.iter().cloned());
    }
    Ok(Value::Array(joined))
}

/// Offsets and lengths count characters; a length of -1 means "to the end".
fn substr(args: FuncArgs) -> Result<Value, String> {
    let chars: Vec<char> = text(&args[0])?.chars().collect();
    let offset = whole(&args[1])?;
    let length = whole(&args[2])?;
    let start = if offset < 0 { chars.len() as i64 + offset } else { offset }.clamp(0, chars.len() as i64) as usize;
    let end = if length < 0 { chars.len() } else { (start + length as usize).min(chars.len()) };
    Ok(Value::String(chars[start..end].iter().collect()))
}

/// A search string wrapped in slashes is a regular expression, as in Terraform.
fn replace(args: FuncArgs) -> Result<Value, String> {
    let (subject, search, replacement) = (text(&args[0])?, text(&args[1])?, text(&args[2])?);
    if search.len() >= 2 && search.starts_with('/') && search.ends_with('/') {
        let pattern = regex::Regex::new(&search[1..search.len() - 1]).map_err(|error| error.to_string())?;
        return Ok(Value::String(pattern.replace_all(subject, replacement).into_owned()));
    }
    Ok(Value::String(subject.replace(search, replacement)))
}

fn trim(args: FuncArgs) -> Result<Value, String> {
    let cutset: Vec<char> = text(&args[1])?.chars().collect();
    Ok(Value::String(text(&args[0])?.trim_matches(|c| cutset.contains(&c)).to_owned()))
}

fn trimprefix(args: FuncArgs) -> Result<Value, String> {
    let subject = text(&args[0])?;
    Ok(Value::String(subject.strip_prefix(text(&args[1])?).unwrap_or(subject).to_owned()))
}

fn trimspace(args: FuncArgs) -> Result<Value, String> {
    Ok(Value::String(text(&args[0])?.trim().to_owned()))
}

fn lower(args: FuncArgs) -> Result<Value, String> {
    Ok(Value::String(text(&args[0])?.to_lowercase()))
}

fn upper(args: FuncArgs) -> Result<Value, String> {
    Ok(Value::String(text(&args[0])?.to_uppercase()))
}

fn join(args: FuncArgs) -> Result<Value, String> {
    let parts: Result<Vec<&str>, String> = list(&args[1])?.iter().map(text).collect();
    Ok(Value::String(parts?.join(text(&args[0])?)))
}

fn split(args: FuncArgs) -> Result<Value, String> {
    let parts = text(&args[1])?.split(text(&args[0])?).map(|part| Value::String(part.to_owned()));
    Ok(Value::Array(parts.collect()))
}

fn contains(args: FuncArgs) -> Result<Value, String> {
    Ok(Value::Bool(list(&args[0])?.contains(&args[1])))
}

/// Terraform returns map keys in lexicographical order.
fn keys(args: FuncArgs) -> Result<Value, String> {
    let mut keys: Vec<&String> = object(&args[0])?.keys().collect();
    keys.sort();
    Ok(Value::Array(keys.into_iter().map(|key| Value::String(key.clone())).collect()))
}

/// In the order of the sorted keys, as Terraform does.
fn values(args: FuncArgs) -> Result<Value, String> {
    let map = object(&args[0])?;
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort();
    Ok(Value::Array(keys.into_iter().filter_map(|key| map.get(key).cloned()).collect()))
}

fn sort(args: FuncArgs) -> Result<Value, String> {
    let mut items: Vec<String> =
        list(&args[0])?.iter().map(|item| text(item).map(str::to_owned)).collect::<Result<_, _>>()?;
    items.sort();
    Ok(Value::Array(items.into_iter().map(Value::String).collect()))
}

fn distinct(args: FuncArgs) -> Result<Value, String> {
    let mut seen = Vec::new();
    for item in list(&args[0])? {
        if !seen.contains(item) {
            seen.push(item.clone());
        }
    }
    Ok(Value::Array(seen))
}

fn compact(args: FuncArgs) -> Result<Value, String> {
    let kept = list(&args[0])?.iter().filter(|item| !item.is_null() && item.as_str() != Some("")).cloned();
    Ok(Value::Array(kept.collect()))
}

fn slice(args: FuncArgs) -> Result<Value, String> {
    let items = list(&args[0])?;
    let (start, end) = (whole(&args[1])?, whole(&args[2])?);
    if start < 0 || end < start || end as usize > items.len() {
        return Err("slice indices out of range".to_owned());
    }
    Ok(Value::Array(items[start as usize..end as usize].to_vec()))
}

fn lookup(args: FuncArgs) -> Result<Value, String> {
    let map = object(&args[0])?;
    match map.get(text(&args[1])?) {
        Some(value) => Ok(value.clone()),
        None => args.get(2).cloned().ok_or_else(|| "lookup: key not found and no default".to_owned()),
    }
}

fn tonumber(args: FuncArgs) -> Result<Value, String> {
    match &args[0] {
        Value::Number(number) => Ok(Value::Number(*number)),
        Value::String(digits) => {
            digits.parse::<i64>().map(Value::from).map_err(|_| format!("cannot convert {digits:?} to a number"))
        }
        _ => Err("tonumber needs a number or a string".to_owned()),
    }
}

fn floor(args: FuncArgs) -> Result<Value, String> {
    let number = args[0].as_f64().ok_or("floor needs a number")?;
    Ok(Value::from(number.floor() as i64))
}

/// Compact JSON with object keys sorted and `<`, `>`, `&` escaped, as Terraform's
/// `jsonencode` writes it.
fn jsonencode(args: FuncArgs) -> Result<Value, String> {
    let json = serde_json::to_value(&args[0]).map_err(|error| error.to_string())?;
    let encoded = serde_json::to_string(&json).map_err(|error| error.to_string())?;
    let escaped = encoded
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029");
    Ok(Value::String(escaped))
}

/// IPv4 only: the templates' address spaces are IPv4.
fn cidrsubnet(args: FuncArgs) -> Result<Value, String> {
    let prefix = text(&args[0])?;
    let (newbits, netnum) = (whole(&args[1])?, whole(&args[2])?);
    let (address, length) = prefix.split_once('/').ok_or("cidrsubnet needs a CIDR prefix")?;
    let address: std::net::Ipv4Addr = address.parse().map_err(|_| format!("{prefix} is not an IPv4 prefix"))?;
    let length: i64 = length.parse().map_err(|_| format!("{prefix} has no prefix length"))?;
    let new_length = length + newbits;
    if !(0..=32).contains(&length) || newbits < 0 || new_length > 32 || netnum < 0 || netnum >= 1 << newbits {
        return Err(format!("cannot take subnet {netnum} of {newbits} extra bits from {prefix}"));
    }
    let mask = if length == 0 { 0 } else { u32::MAX << (32 - length) };
    let base = u32::from(address) & mask;
    let subnet = base | ((netnum as u32) << (32 - new_length));
    Ok(Value::String(format!("{}/{new_length}", std::net::Ipv4Addr::from(subnet))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hcl::eval::Evaluate;

    fn eval(source: &str) -> Value {
        let expr: hcl::Expression = source.parse().expect("test expression parses");
        expr.evaluate(&value_context()).expect("evaluates")
    }

    #[test]
    fn string_functions_follow_terraform() {
        assert_eq!(
            eval(r#"trim(replace(substr("corner--shop-", 0, 14), "/-+/", "-"), "-")"#),
            Value::from("corner-shop")
        );
        assert_eq!(eval(r#"substr("0192f5e4-7b1c-7cc3-9a51-3f7d2c8e4b10", 28, 8)"#), Value::from("2c8e4b10"));
        assert_eq!(eval(r#"jsonencode({ b = 1, a = "<x>" })"#), Value::from(r#"{"a":"\u003cx\u003e","b":1}"#));
    }

    #[test]
    fn cidrsubnet_numbers_subnets_from_the_prefix() {
        assert_eq!(eval(r#"cidrsubnet("10.0.0.0/16", 4, 9)"#), Value::from("10.0.144.0/20"));
        assert_eq!(eval(r#"cidrsubnet("10.20.0.0/16", 8, 1)"#), Value::from("10.20.1.0/24"));
    }

    #[test]
    fn keys_and_merge_behave_like_terraform() {
        assert_eq!(eval(r#"keys({ b = 1, a = 2 })"#), eval(r#"["a", "b"]"#));
        assert_eq!(eval(r#"merge({ a = 1 }, null, { a = 2, b = 3 })"#), eval(r#"{ a = 2, b = 3 }"#));
    }
}
