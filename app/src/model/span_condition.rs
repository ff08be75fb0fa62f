//! The span query's filter condition (`POST /v1/spans`, `filter.condition`):
//! Phoenix clients write it as a Python expression such as
//! `span_kind == 'LLM' and annotations['quality'].label == 'bad'`.
//!
//! The text is parsed by a real Python parser (`rustpython-parser`) and the
//! tree is converted into the small [`Condition`] below, which holds only
//! what Plume can answer; anything else is refused with a message naming the
//! construct. The store turns a [`Condition`] into SQL with bound parameters
//! (`store/span_query.rs`), so nothing of the text ever reaches SQL itself.

/// The longest condition accepted, in bytes.
pub const MAX_CONDITION_LEN: usize = 4_000;
/// How deeply conditions may nest (`and`/`or`/`not`, comparisons).
pub const MAX_DEPTH: usize = 24;
/// How many comparisons one condition may hold.
pub const MAX_TERMS: usize = 64;
/// How many values one list literal (`x in [...]`) may hold.
pub const MAX_LIST: usize = 500;
/// How many keys one attribute path may have (`a['b']['c']` has three).
pub const MAX_PATH: usize = 8;

/// A checked filter condition.
#[derive(Clone, Debug, PartialEq)]
pub enum Condition {
    /// Every one holds.
    And(Vec<Condition>),
    /// At least one holds.
    Or(Vec<Condition>),
    /// It does not hold.
    Not(Box<Condition>),
    /// `left op right` (SQL semantics: a missing value compares as unknown).
    Compare(Operand, CompareOp, Operand),
    /// `needle in haystack`: membership in a list literal, else substring.
    In { needle: Operand, haystack: Operand, negated: bool },
    /// `operand is None` / `is not None`.
    IsNone { operand: Operand, negated: bool },
}

/// One of Python's six comparisons.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareOp {
    /// `==`
    Eq,
    /// `!=`
    NotEq,
    /// `<`
    Lt,
    /// `<=`
    LtE,
    /// `>`
    Gt,
    /// `>=`
    GtE,
}

/// A value in a condition: a span's field or a literal.
#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    /// A column or attribute of the span.
    Field(Field),
    /// A constant.
    Literal(Literal),
    /// A list or tuple of constants (only as the right side of `in`).
    List(Vec<Literal>),
}

/// A constant of the condition.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// `'text'`
    Text(String),
    /// `42`
    Integer(i64),
    /// `4.2`
    Float(f64),
    /// `True` / `False`
    Bool(bool),
}

/// What of a span a condition can read.
#[derive(Clone, Debug, PartialEq)]
pub enum Field {
    /// `name`
    Name,
    /// `span_kind`
    SpanKind,
    /// `status_code`
    StatusCode,
    /// `status_message`
    StatusMessage,
    /// `span_id` (or `context.span_id`)
    SpanId,
    /// `trace_id` (or `context.trace_id`)
    TraceId,
    /// `parent_id`
    ParentId,
    /// `latency_ms`: end minus start, in milliseconds.
    LatencyMs,
    /// `start_time`, compared with an ISO 8601 text.
    StartTime,
    /// `end_time`, compared with an ISO 8601 text.
    EndTime,
    /// `cumulative_token_count.*`: the tokens of the span and its descendants.
    CumulativeTokens(TokenCount),
    /// An attribute: `keys` are the path's parts (`llm.model_name` is
    /// `["llm", "model_name"]`, `metadata['topic']` is `["metadata", "topic"]`).
    Attribute(Vec<String>),
    /// `annotations['name'].label|score|explanation` (`evals[...]` alike).
    Annotation { name: String, part: AnnotationPart },
}

/// Which token count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenCount {
    /// prompt + completion
    Total,
    /// prompt
    Prompt,
    /// completion
    Completion,
}

/// Which part of an annotation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnnotationPart {
    /// `.label`
    Label,
    /// `.score`
    Score,
    /// `.explanation`
    Explanation,
}

impl Field {
    /// Whether the field holds a time (its literals are ISO 8601 texts).
    pub fn is_time(&self) -> bool {
        matches!(self, Field::StartTime | Field::EndTime)
    }
}

/// Why a condition was refused: the message names the construct.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ConditionError(pub String);

#[cfg(feature = "ssr")]
fn refuse<T>(message: impl Into<String>) -> Result<T, ConditionError> {
    Err(ConditionError(message.into()))
}

/// The field a bare dotted name means (`span_kind`, `llm.model_name`, …): the
/// span's own fields by name, anything else an attribute path.
#[cfg(feature = "ssr")]
fn named_field(parts: &[String]) -> Result<Field, ConditionError> {
    let joined = parts.join(".");
    let field = match joined.as_str() {
        "name" => Field::Name,
        "span_kind" => Field::SpanKind,
        "status_code" => Field::StatusCode,
        "status_message" => Field::StatusMessage,
        "span_id" | "context.span_id" => Field::SpanId,
        "trace_id" | "context.trace_id" => Field::TraceId,
        "parent_id" => Field::ParentId,
        "latency_ms" => Field::LatencyMs,
        "start_time" => Field::StartTime,
        "end_time" => Field::EndTime,
        // The client rewrites `cumulative_token_count.x` to these.
        "cumulative_token_count.total" | "cumulative_llm_token_count_total" => {
            Field::CumulativeTokens(TokenCount::Total)
        }
        "cumulative_token_count.prompt" | "cumulative_llm_token_count_prompt" => {
            Field::CumulativeTokens(TokenCount::Prompt)
        }
        "cumulative_token_count.completion" | "cumulative_llm_token_count_completion" => {
            Field::CumulativeTokens(TokenCount::Completion)
        }
        _ => return attribute(parts.to_vec()),
    };
    Ok(field)
}

/// An attribute path, its keys checked: not empty, no `"` or control
/// characters (they could not be named in a JSON path), not too deep.
#[cfg(feature = "ssr")]
fn attribute(mut keys: Vec<String>) -> Result<Field, ConditionError> {
    if keys.first().is_some_and(|k| k == "attributes") {
        keys.remove(0);
    }
    if keys.is_empty() {
        return refuse("`attributes` needs a key, e.g. attributes['input.value']");
    }
    if keys.len() > MAX_PATH {
        return refuse(format!("attribute paths may have at most {MAX_PATH} keys"));
    }
    if let Some(bad) = keys.iter().find(|k| k.is_empty() || k.contains('"') || k.chars().any(char::is_control)) {
        return refuse(format!(
            "unsupported attribute key {bad:?}: keys may not be empty or hold '\"' or control characters"
        ));
    }
    Ok(Field::Attribute(keys))
}

#[cfg(feature = "ssr")]
pub use parse::parse_condition;

#[cfg(feature = "ssr")]
mod parse {
    use rustpython_parser::Parse;
    use rustpython_parser::ast::{self, Constant, Expr};

    use super::*;

    /// Parses a Python expression into a [`Condition`], or says which part
    /// of it is outside the supported subset.
    pub fn parse_condition(source: &str) -> Result<Condition, ConditionError> {
        if source.len() > MAX_CONDITION_LEN {
            return refuse(format!("the condition is longer than {MAX_CONDITION_LEN} bytes"));
        }
        if source.trim().is_empty() {
            return refuse("the condition is empty");
        }
        // Multi-line text is fine in parentheses; a statement is not an expression.
        let expr = Expr::parse(source.trim(), "<condition>")
            .map_err(|error| ConditionError(format!("invalid Python expression: {}", error.error)))?;
        let mut terms = 0;
        condition(&expr, 0, &mut terms)
    }

    fn condition(expr: &Expr, depth: usize, terms: &mut usize) -> Result<Condition, ConditionError> {
        if depth > MAX_DEPTH {
            return refuse(format!("the condition nests deeper than {MAX_DEPTH} levels"));
        }
        match expr {
            Expr::BoolOp(op) => {
                let parts = op.values.iter().map(|v| condition(v, depth + 1, terms)).collect::<Result<Vec<_>, _>>()?;
                Ok(match op.op {
                    ast::BoolOp::And => Condition::And(parts),
                    ast::BoolOp::Or => Condition::Or(parts),
                })
            }
            Expr::UnaryOp(op) if op.op == ast::UnaryOp::Not => {
                Ok(Condition::Not(Box::new(condition(&op.operand, depth + 1, terms)?)))
            }
            Expr::Compare(compare) => {
                // `a < b < c` is `a < b and b < c`.
                let mut left = &*compare.left;
                let mut parts = Vec::new();
                for (op, right) in compare.ops.iter().zip(&compare.comparators) {
                    *terms += 1;
                    if *terms > MAX_TERMS {
                        return refuse(format!("the condition has more than {MAX_TERMS} comparisons"));
                    }
                    parts.push(comparison(left, *op, right)?);
                    left = right;
                }
                Ok(if parts.len() == 1 { parts.remove(0) } else { Condition::And(parts) })
            }
            other => refuse(format!(
                "unsupported construct: {} is not a condition (use a comparison such as `x == 'a'`, `x is None`, `'a' in x`, joined with and/or/not)",
                describe(other)
            )),
        }
    }

    fn comparison(left: &Expr, op: ast::CmpOp, right: &Expr) -> Result<Condition, ConditionError> {
        use ast::CmpOp as C;
        let compare = |op| Ok(Condition::Compare(operand(left)?, op, operand(right)?));
        match op {
            C::Eq => compare(CompareOp::Eq),
            C::NotEq => compare(CompareOp::NotEq),
            C::Lt => compare(CompareOp::Lt),
            C::LtE => compare(CompareOp::LtE),
            C::Gt => compare(CompareOp::Gt),
            C::GtE => compare(CompareOp::GtE),
            C::In | C::NotIn => {
                let needle = operand(left)?;
                if matches!(needle, Operand::List(_)) {
                    return refuse("unsupported construct: a list on the left of `in`");
                }
                Ok(Condition::In { needle, haystack: operand(right)?, negated: op == C::NotIn })
            }
            C::Is | C::IsNot => {
                if !matches!(right, Expr::Constant(c) if matches!(c.value, Constant::None)) {
                    return refuse(
                        "unsupported construct: `is` compares only with None (`x is None`, `x is not None`)",
                    );
                }
                let Operand::Field(field) = operand(left)? else {
                    return refuse("unsupported construct: `is None` needs a span field or attribute on its left");
                };
                Ok(Condition::IsNone { operand: Operand::Field(field), negated: op == C::IsNot })
            }
        }
    }

    fn operand(expr: &Expr) -> Result<Operand, ConditionError> {
        match expr {
            Expr::Constant(_) | Expr::UnaryOp(_) => Ok(Operand::Literal(literal(expr)?)),
            Expr::List(ast::ExprList { elts, .. }) | Expr::Tuple(ast::ExprTuple { elts, .. }) => {
                if elts.len() > MAX_LIST {
                    return refuse(format!("lists may hold at most {MAX_LIST} values"));
                }
                Ok(Operand::List(elts.iter().map(literal).collect::<Result<_, _>>()?))
            }
            Expr::Name(_) | Expr::Attribute(_) | Expr::Subscript(_) => Ok(Operand::Field(field(expr)?)),
            other => refuse(format!("unsupported construct: {}", describe(other))),
        }
    }

    fn literal(expr: &Expr) -> Result<Literal, ConditionError> {
        match expr {
            Expr::Constant(c) => match &c.value {
                Constant::Str(text) => Ok(Literal::Text(text.clone())),
                Constant::Bool(b) => Ok(Literal::Bool(*b)),
                Constant::Int(i) => i64::try_from(i)
                    .map(Literal::Integer)
                    .map_err(|_| ConditionError(format!("integer {i} is too large"))),
                Constant::Float(f) if f.is_finite() => Ok(Literal::Float(*f)),
                Constant::None => refuse("unsupported construct: None outside `is None` / `is not None`"),
                _ => refuse(format!("unsupported construct: {}", describe(expr))),
            },
            Expr::UnaryOp(op) if op.op == ast::UnaryOp::USub => match literal(&op.operand)? {
                Literal::Integer(i) => Ok(Literal::Integer(-i)),
                Literal::Float(f) => Ok(Literal::Float(-f)),
                _ => refuse("unsupported construct: unary minus on a non-number"),
            },
            other => refuse(format!("unsupported construct: {} where a constant is expected", describe(other))),
        }
    }

    /// A span field: a name, a dotted name, subscripts with text keys, or
    /// `annotations['N'].label`.
    fn field(expr: &Expr) -> Result<Field, ConditionError> {
        // `annotations['N'].part` / `evals['N'].part`
        if let Expr::Attribute(attr) = expr
            && let Expr::Subscript(sub) = &*attr.value
            && let Expr::Name(name) = &*sub.value
            && matches!(name.id.as_str(), "annotations" | "evals")
        {
            let part = match attr.attr.as_str() {
                "label" => AnnotationPart::Label,
                "score" => AnnotationPart::Score,
                "explanation" => AnnotationPart::Explanation,
                other => {
                    return refuse(format!(
                        "unsupported annotation part `{other}` (use .label, .score or .explanation)"
                    ));
                }
            };
            let name = text_key(&sub.slice)?;
            return Ok(Field::Annotation { name, part });
        }
        let mut parts = Vec::new();
        path(expr, &mut parts, 0)?;
        if matches!(parts.first().map(String::as_str), Some("annotations" | "evals")) {
            return refuse("annotations are read as annotations['name'].label, .score or .explanation");
        }
        named_field(&parts)
    }

    fn path(expr: &Expr, parts: &mut Vec<String>, depth: usize) -> Result<(), ConditionError> {
        if depth > MAX_PATH {
            return refuse(format!("attribute paths may have at most {MAX_PATH} keys"));
        }
        match expr {
            Expr::Name(name) => parts.push(name.id.to_string()),
            Expr::Attribute(attr) => {
                path(&attr.value, parts, depth + 1)?;
                parts.push(attr.attr.to_string());
            }
            Expr::Subscript(sub) => {
                path(&sub.value, parts, depth + 1)?;
                parts.push(text_key(&sub.slice)?);
            }
            other => return refuse(format!("unsupported construct: {} in a field name", describe(other))),
        }
        Ok(())
    }

    fn text_key(expr: &Expr) -> Result<String, ConditionError> {
        match expr {
            Expr::Constant(c) => match &c.value {
                Constant::Str(key) => Ok(key.clone()),
                _ => refuse("unsupported construct: subscripts take a text key, e.g. ['topic']"),
            },
            other => refuse(format!("unsupported construct: {} as a subscript (use a text key)", describe(other))),
        }
    }

    /// How a refused construct is named in the error.
    fn describe(expr: &Expr) -> String {
        let what = match expr {
            Expr::BoolOp(_) => "a boolean operation",
            Expr::NamedExpr(_) => "an assignment expression (:=)",
            Expr::BinOp(_) => "arithmetic (+, -, *, /, …)",
            Expr::UnaryOp(_) => "a unary operator",
            Expr::Lambda(_) => "a lambda",
            Expr::IfExp(_) => "a conditional expression (x if c else y)",
            Expr::Dict(_) => "a dict literal",
            Expr::Set(_) => "a set literal",
            Expr::ListComp(_) | Expr::SetComp(_) | Expr::DictComp(_) | Expr::GeneratorExp(_) => "a comprehension",
            Expr::Await(_) => "await",
            Expr::Yield(_) | Expr::YieldFrom(_) => "yield",
            Expr::Compare(_) => "a comparison",
            Expr::Call(_) => "a function call",
            Expr::FormattedValue(_) | Expr::JoinedStr(_) => "an f-string",
            Expr::Constant(c) => match c.value {
                Constant::None => "None",
                Constant::Bytes(_) => "a bytes literal",
                Constant::Complex { .. } => "a complex number",
                Constant::Ellipsis => "...",
                Constant::Tuple(_) => "a tuple constant",
                Constant::Float(_) => "a non-finite float",
                _ => "a constant",
            },
            Expr::Attribute(_) => "an attribute",
            Expr::Subscript(_) => "a subscript",
            Expr::Starred(_) => "a starred expression",
            Expr::Name(_) => "a bare name",
            Expr::List(_) => "a list",
            Expr::Tuple(_) => "a tuple",
            Expr::Slice(_) => "a slice",
        };
        what.to_owned()
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    fn ok(source: &str) -> Condition {
        parse_condition(source).unwrap_or_else(|e| panic!("{source}: {e}"))
    }

    fn refused(source: &str) -> String {
        parse_condition(source).expect_err(source).0
    }

    fn attr(keys: &[&str]) -> Operand {
        Operand::Field(Field::Attribute(keys.iter().map(|k| (*k).to_owned()).collect()))
    }

    fn text(value: &str) -> Operand {
        Operand::Literal(Literal::Text(value.into()))
    }

    #[test]
    fn fields_and_attribute_paths() {
        assert_eq!(
            ok("span_kind == 'LLM'"),
            Condition::Compare(Operand::Field(Field::SpanKind), CompareOp::Eq, text("LLM"))
        );
        assert_eq!(
            ok("llm.model_name != 'x'"),
            Condition::Compare(attr(&["llm", "model_name"]), CompareOp::NotEq, text("x"))
        );
        assert_eq!(
            ok("metadata['topic'] == 'x'"),
            Condition::Compare(attr(&["metadata", "topic"]), CompareOp::Eq, text("x"))
        );
        assert_eq!(ok("attributes['a']['b'] == 'x'"), Condition::Compare(attr(&["a", "b"]), CompareOp::Eq, text("x")));
        assert_eq!(
            ok("cumulative_llm_token_count_total > 10"),
            Condition::Compare(
                Operand::Field(Field::CumulativeTokens(TokenCount::Total)),
                CompareOp::Gt,
                Operand::Literal(Literal::Integer(10))
            )
        );
        assert_eq!(
            ok("latency_ms >= -1.5"),
            Condition::Compare(
                Operand::Field(Field::LatencyMs),
                CompareOp::GtE,
                Operand::Literal(Literal::Float(-1.5))
            )
        );
    }

    #[test]
    fn boolean_structure_and_membership() {
        let parsed = ok("not (parent_id is None) or 'a' in input.value and span_kind not in ['LLM', 'TOOL']");
        let Condition::Or(parts) = parsed else { panic!("or") };
        assert!(
            matches!(&parts[0], Condition::Not(inner) if matches!(**inner, Condition::IsNone { negated: false, .. }))
        );
        let Condition::And(right) = &parts[1] else { panic!("and") };
        assert_eq!(right[0], Condition::In { needle: text("a"), haystack: attr(&["input", "value"]), negated: false });
        assert!(matches!(&right[1], Condition::In { haystack: Operand::List(l), negated: true, .. } if l.len() == 2));
        assert_eq!(
            ok("1 < latency_ms < 5"),
            Condition::And(vec![
                Condition::Compare(
                    Operand::Literal(Literal::Integer(1)),
                    CompareOp::Lt,
                    Operand::Field(Field::LatencyMs)
                ),
                Condition::Compare(
                    Operand::Field(Field::LatencyMs),
                    CompareOp::Lt,
                    Operand::Literal(Literal::Integer(5))
                ),
            ])
        );
    }

    #[test]
    fn annotations_and_evals() {
        let expected = Operand::Field(Field::Annotation { name: "quality".into(), part: AnnotationPart::Label });
        assert_eq!(
            ok("annotations['quality'].label == 'bad'"),
            Condition::Compare(expected.clone(), CompareOp::Eq, text("bad"))
        );
        assert_eq!(ok("evals['quality'].label == 'bad'"), Condition::Compare(expected, CompareOp::Eq, text("bad")));
        assert!(refused("annotations['q'].metadata == 1").contains("`metadata`"));
        assert!(refused("annotations == 1").contains("annotations['name']"));
    }

    #[test]
    fn unsupported_constructs_are_named() {
        assert!(refused("len(name) > 3").contains("function call"));
        assert!(refused("latency_ms + 1 > 3").contains("arithmetic"));
        assert!(refused("[x for x in y]").contains("comprehension"));
        assert!(refused("name").contains("bare name"));
        assert!(refused("name == f'{x}'").contains("f-string"));
        assert!(refused("name is 'x'").contains("`is` compares only with None"));
        assert!(refused("name == None").contains("None outside"));
        assert!(refused("(x := 1)").contains("assignment"));
        assert!(refused("lambda: 1").contains("lambda"));
        assert!(refused("name == ").contains("invalid Python expression"));
        assert!(refused("import os").contains("invalid Python expression"));
        assert!(refused("metadata[0] == 1").contains("text key"));
    }

    #[test]
    fn hostile_keys_and_sizes_are_refused() {
        assert!(refused("attributes['a\"b'] == 1").contains("unsupported attribute key"));
        assert!(refused("attributes['a\\x00'] == 1").contains("unsupported attribute key"));
        assert!(refused("attributes[''] == 1").contains("unsupported attribute key"));
        assert!(refused(&"x".repeat(MAX_CONDITION_LEN + 1)).contains("longer than"));
        let deep = format!("{}name == 'a'{}", "not (".repeat(MAX_DEPTH + 2), ")".repeat(MAX_DEPTH + 2));
        assert!(refused(&deep).contains("deeper"));
        let many = vec!["name == 'a'"; MAX_TERMS + 1].join(" or ");
        assert!(refused(&many).contains("comparisons"));
        let path = format!("a{} == 1", "['k']".repeat(MAX_PATH + 1));
        assert!(refused(&path).contains("at most"));
        // Quotes and SQL in a literal are just text.
        assert_eq!(
            ok("name == \"x' OR 1=1 --\""),
            Condition::Compare(Operand::Field(Field::Name), CompareOp::Eq, text("x' OR 1=1 --"))
        );
    }
}
