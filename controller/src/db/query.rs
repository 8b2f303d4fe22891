//! The MongoDB-style filter of `db_request`, compiled once per query and then run over the
//! records.
//!
//! A query maps record keys to a test. A plain value (or an object with no `$` keys) means
//! equality; an object of `$` operators means every operator must hold. The operators are
//! MongoDB's: `$lt $gt $lte $gte $eq $ne $in $nin $all $mod $exists`, plus `$glob`
//! (shell patterns). Where stock's in-memory DB strays from MongoDB we follow MongoDB: `$gt`
//! means greater-than (stock's is inverted); `$all` means the record's list holds every given
//! value; an ordering test between values that do not order (a date and `null`, a number
//! and a string) does not match instead of failing the whole query.
//!
//! Two ISO-8601 strings compare as instants, because the stock client sends the dates of a
//! query as strings and stock's hub turns every date-like string back into a datetime.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use px_wire::python_truthy;
use serde_json::{Map, Value};

use super::error::QueryError;
use super::glob::Glob;
use super::record::{is_buffer_key, Record};

/// One operator with its argument checked.
#[derive(Debug, Clone)]
enum Test {
    Eq(Value),
    Ne(Value),
    Lt(Value),
    Gt(Value),
    Lte(Value),
    Gte(Value),
    In(Vec<Value>),
    Nin(Vec<Value>),
    All(Vec<Value>),
    Mod { divisor: f64, remainder: f64 },
    Exists(bool),
    Glob(Glob),
}

/// A compiled query.
#[derive(Debug, Clone, Default)]
pub(crate) struct Filter {
    /// Per record key, every test it must pass.
    tests: Vec<(String, Vec<Test>)>,
}

impl Filter {
    /// Compiles a query. `null` (or a missing query) matches every record.
    pub fn parse(query: &Value) -> Result<Filter, QueryError> {
        let map = match query {
            Value::Null => return Ok(Filter::default()),
            Value::Object(map) => map,
            other => {
                return Err(QueryError::type_error(format!(
                    "query must be a dict, not {}",
                    type_name(other)
                )))
            }
        };
        let mut tests = Vec::with_capacity(map.len());
        for (key, value) in map {
            if is_buffer_key(key) {
                return Err(QueryError::value(format!(
                    "cannot filter on {key}: buffers are binary"
                )));
            }
            tests.push((key.clone(), parse_tests(value)?));
        }
        Ok(Filter { tests })
    }

    /// Whether `record` passes every test. A name that is not a record key reads as `null`,
    /// as a missing key does in stock's DB.
    pub fn matches(&self, record: &Record) -> bool {
        self.tests.iter().all(|(key, tests)| {
            let value = record.field(key).unwrap_or(Value::Null);
            tests.iter().all(|test| test.passes(&value))
        })
    }
}

fn parse_tests(value: &Value) -> Result<Vec<Test>, QueryError> {
    let Value::Object(ops) = value else {
        return Ok(vec![Test::Eq(value.clone())]);
    };
    let operators = ops.keys().filter(|k| k.starts_with('$')).count();
    if operators == 0 && !ops.is_empty() {
        // A sub-document without operators is matched whole, as in MongoDB.
        return Ok(vec![Test::Eq(value.clone())]);
    }
    if operators != ops.len() {
        return Err(QueryError::value(
            "a query object mixes $operators and plain keys".to_owned(),
        ));
    }
    ops.iter().map(|(op, arg)| parse_op(op, arg)).collect()
}

fn parse_op(op: &str, arg: &Value) -> Result<Test, QueryError> {
    let list = |arg: &Value| match arg {
        Value::Array(items) => Ok(items.clone()),
        other => Err(QueryError::type_error(format!(
            "{op} needs a list, not {}",
            type_name(other)
        ))),
    };
    Ok(match op {
        "$eq" => Test::Eq(arg.clone()),
        "$ne" => Test::Ne(arg.clone()),
        "$lt" => Test::Lt(arg.clone()),
        "$gt" => Test::Gt(arg.clone()),
        "$lte" => Test::Lte(arg.clone()),
        "$gte" => Test::Gte(arg.clone()),
        "$in" => Test::In(list(arg)?),
        "$nin" => Test::Nin(list(arg)?),
        "$all" => Test::All(list(arg)?),
        "$mod" => {
            let items = list(arg)?;
            let number = |v: Option<&Value>| v.and_then(Value::as_f64);
            match (items.len(), number(items.first()), number(items.get(1))) {
                (2, Some(divisor), Some(remainder)) => {
                    if divisor == 0.0 {
                        return Err(QueryError::zero_division());
                    }
                    Test::Mod { divisor, remainder }
                }
                _ => {
                    return Err(QueryError::value(
                        "$mod needs [divisor, remainder], two numbers".to_owned(),
                    ))
                }
            }
        }
        "$exists" => Test::Exists(python_truthy(arg)),
        "$glob" => match arg {
            Value::String(pattern) => Test::Glob(Glob::new(pattern)),
            other => {
                return Err(QueryError::type_error(format!(
                    "$glob needs a string pattern, not {}",
                    type_name(other)
                )))
            }
        },
        // Stock looks operators up in a dict, so an unknown one is a KeyError.
        unknown => return Err(QueryError::key(unknown)),
    })
}

impl Test {
    fn passes(&self, value: &Value) -> bool {
        match self {
            Test::Eq(arg) => equal(value, arg),
            Test::Ne(arg) => !equal(value, arg),
            Test::Lt(arg) => order(value, arg) == Some(Ordering::Less),
            Test::Gt(arg) => order(value, arg) == Some(Ordering::Greater),
            Test::Lte(arg) => matches!(order(value, arg), Some(Ordering::Less | Ordering::Equal)),
            Test::Gte(arg) => {
                matches!(order(value, arg), Some(Ordering::Greater | Ordering::Equal))
            }
            Test::In(items) => items.iter().any(|item| equal(value, item)),
            Test::Nin(items) => !items.iter().any(|item| equal(value, item)),
            Test::All(items) => {
                !items.is_empty()
                    && match value {
                        Value::Array(held) => {
                            items.iter().all(|item| held.iter().any(|h| equal(h, item)))
                        }
                        scalar => items.iter().all(|item| equal(scalar, item)),
                    }
            }
            Test::Mod { divisor, remainder } => match value.as_f64() {
                // Python's `%`: the result takes the divisor's sign.
                Some(n) => (n - divisor * (n / divisor).floor()) == *remainder,
                None => false,
            },
            Test::Exists(wanted) => value.is_null() != *wanted,
            Test::Glob(glob) => value.as_str().is_some_and(|s| glob.matches(s)),
        }
    }
}

fn as_date(value: &Value) -> Option<DateTime<Utc>> {
    value.as_str().and_then(|s| px_wire::parse_iso(s).ok())
}

/// Equality as Python sees the decoded values (`1 == 1.0`), with dates compared as instants.
fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(_), Value::Number(_)) => order(a, b) == Some(Ordering::Equal),
        (Value::String(x), Value::String(y)) => {
            x == y || matches!((as_date(a), as_date(b)), (Some(p), Some(q)) if p == q)
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| equal(p, q))
        }
        (Value::Object(x), Value::Object(y)) => objects_equal(x, y),
        _ => a == b,
    }
}

fn objects_equal(x: &Map<String, Value>, y: &Map<String, Value>) -> bool {
    x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| equal(v, w)))
}

/// The order of two values, or `None` when Python could not order them either (or would
/// order them by rules nobody queries with, such as lists).
fn order(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(p), Some(q)) => Some(p.cmp(&q)),
            _ => x.as_f64()?.partial_cmp(&y.as_f64()?),
        },
        (Value::String(x), Value::String(y)) => match (as_date(a), as_date(b)) {
            (Some(p), Some(q)) => Some(p.cmp(&q)),
            _ => Some(x.cmp(y)),
        },
        _ => None,
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "None",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// The names in a `keys` list, checked: a list of record-key strings.
pub(crate) fn parse_keys(keys: &Value) -> Result<Option<Vec<String>>, QueryError> {
    let items = match keys {
        Value::Null => return Ok(None),
        Value::Array(items) => items,
        other => {
            return Err(QueryError::type_error(format!(
                "keys must be a list of str, not {}",
                type_name(other)
            )))
        }
    };
    // An empty list asks for whole records, as stock's falsy check has it.
    if items.is_empty() {
        return Ok(None);
    }
    let mut names = Vec::with_capacity(items.len());
    for item in items {
        let Value::String(name) = item else {
            return Err(QueryError::type_error(format!(
                "keys must be a list of str, not a list holding {}",
                type_name(item)
            )));
        };
        if !super::record::RECORD_KEYS.contains(&name.as_str()) {
            return Err(QueryError::key(name));
        }
        names.push(name.clone());
    }
    Ok(Some(names))
}
