//! The store's view of its database, whichever engine it is: SQLite (the
//! embedded default) or PostgreSQL (for several replicas on one database).
//!
//! Every query runs through sqlx's `Any` driver, so the store's logic is
//! written once. Two rules keep one SQL text valid on both engines:
//! - **Placeholders are `$1`, `$2`, …**: PostgreSQL knows no other form, and
//!   SQLite reads `$N` as the N-th argument too. [`Sql`], the store's query
//!   builder, numbers the ones it pushes the same way (sqlx's `QueryBuilder`
//!   writes `?` for `Any`, which PostgreSQL refuses).
//! - **Where the engines differ, the query says so in place**, through
//!   [`Dialect`]: one statement with its two spellings side by side, never two
//!   copies of the store's logic.

use std::fmt::{Display, Write};

use sqlx::any::{AnyArguments, AnyTypeInfo, AnyTypeInfoKind, AnyValueRef};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::query::{Query, QueryAs, QueryScalar};
use sqlx::{Any, AnyConnection, Arguments, AssertSqlSafe, Decode, Encode, FromRow, Type};

/// The database as the store's queries see it.
pub(super) type Db = Any;

/// One connection to it.
pub(super) type DbConnection = AnyConnection;

/// Which engine is behind a connection, for the few statements that must be
/// spelled differently on each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Dialect {
    /// The embedded default.
    Sqlite,
    /// `--database-url postgres://…`.
    Postgres,
}

impl Dialect {
    /// The engine behind `conn`.
    pub(super) fn of(conn: &DbConnection) -> Dialect {
        if conn.backend_name().eq_ignore_ascii_case("postgresql") { Dialect::Postgres } else { Dialect::Sqlite }
    }

    /// How a transaction that will write begins (see the store's rule for
    /// writes): SQLite's write lock first; PostgreSQL locks rows as it goes.
    pub(super) fn begin_write(self) -> &'static str {
        self.pick("BEGIN IMMEDIATE", "BEGIN")
    }

    /// The function giving the smaller of two values (SQLite's `min` of
    /// several arguments is PostgreSQL's `LEAST`); [`Dialect::greatest`] the larger.
    pub(super) fn least(self) -> &'static str {
        self.pick("min", "LEAST")
    }

    /// See [`Dialect::least`].
    pub(super) fn greatest(self) -> &'static str {
        self.pick("max", "GREATEST")
    }

    /// ` INDEXED BY index` on SQLite, whose planner sometimes needs telling
    /// which index serves a query best; nothing on PostgreSQL, which has no
    /// such hint (and picks by its statistics).
    pub(super) fn indexed_by(self, index: &str) -> String {
        self.pick(format!(" INDEXED BY {index}"), String::new())
    }

    /// The value of the constant attribute `key` (a plain key, no quotes) of
    /// the JSON object in `column`: SQLite's `json_extract` (a typed value),
    /// PostgreSQL's `->>` (text).
    pub(super) fn attribute(self, column: &str, key: &str) -> String {
        match self {
            Dialect::Sqlite => format!("json_extract({column}, '$.\"{key}\"')"),
            Dialect::Postgres => format!("({column}::jsonb ->> '{key}')"),
        }
    }

    /// The sum of `expression` over a group, in floating point and clamped to
    /// the range of a 64-bit integer, so that untrusted counts near
    /// `i64::MAX` (token counts come from spans) can't make a query fail the
    /// way an integer sum's overflow does; cast it to `BIGINT` to read it.
    pub(super) fn saturating_total(self, expression: &str) -> String {
        match self {
            Dialect::Sqlite => format!("total({expression})"),
            Dialect::Postgres => {
                format!("GREATEST(LEAST(coalesce(sum(({expression})::float8), 0), 9.2e18), -9.2e18)")
            }
        }
    }

    /// The case-blind `LIKE`: SQLite's `LIKE` ignores the case of ASCII
    /// letters, PostgreSQL's minds it and has `ILIKE` for that.
    pub(super) fn like(self) -> &'static str {
        self.pick("LIKE", "ILIKE")
    }

    /// `sqlite` on SQLite, `postgres` on PostgreSQL.
    pub(super) fn pick<T>(self, sqlite: T, postgres: T) -> T {
        match self {
            Dialect::Sqlite => sqlite,
            Dialect::Postgres => postgres,
        }
    }
}

/// A yes/no read from either engine: SQLite answers 0 or 1 where
/// PostgreSQL answers a boolean (`EXISTS`, comparisons), and flag columns
/// are 0/1 integers on both. Read as `Flag` (or `#[sqlx(try_from = "Flag")]`
/// on a `bool` field), never as `bool`, which `Any` reads from booleans only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Flag(pub(super) bool);

impl From<Flag> for bool {
    fn from(flag: Flag) -> bool {
        flag.0
    }
}

impl Type<Db> for Flag {
    fn type_info() -> AnyTypeInfo {
        <bool as Type<Db>>::type_info()
    }

    fn compatible(ty: &AnyTypeInfo) -> bool {
        ty.kind() == AnyTypeInfoKind::Bool || ty.kind().is_integer()
    }
}

impl<'r> Decode<'r, Db> for Flag {
    fn decode(value: AnyValueRef<'r>) -> Result<Flag, BoxDynError> {
        match <i64 as Decode<Db>>::decode(value.clone()) {
            Ok(number) => Ok(Flag(number != 0)),
            Err(_) => Ok(Flag(<bool as Decode<Db>>::decode(value)?)),
        }
    }
}

/// A nullable float to bind: PostgreSQL must see one type for a parameter
/// whether or not it is NULL (a prepared statement keeps the types of its
/// first run), and sqlx 0.9.0's `Any` driver hands it a NULL `f64` as a
/// `float4` NULL (its `Double` and `Real` kinds are swapped there): a later
/// score then failed with "incorrect binary data format". This binds NULL
/// as an `f32` NULL, which arrives as a `float8` one; the PostgreSQL test
/// suite fails if that changes.
#[derive(Clone, Copy, Debug)]
pub(super) struct Float(pub(super) Option<f64>);

impl Type<Db> for Float {
    fn type_info() -> AnyTypeInfo {
        <f64 as Type<Db>>::type_info()
    }
}

impl Encode<'_, Db> for Float {
    fn encode_by_ref(&self, buf: &mut <Db as sqlx::Database>::ArgumentBuffer) -> Result<IsNull, BoxDynError> {
        match self.0 {
            Some(value) => <f64 as Encode<Db>>::encode_by_ref(&value, buf),
            None => <Option<f32> as Encode<Db>>::encode_by_ref(&None, buf),
        }
    }
}

/// A query assembled at run time: SQL text and its bound arguments. Its
/// placeholders are written when it is built, in the engine's own form:
/// `$1`, `$2`, … on PostgreSQL, and plain `?` (the next argument) on SQLite.
/// SQLite reads `$N` and `?N` too, but keeps them in a list it scans for
/// every placeholder it binds: a multi-row insert of thousands of values
/// then cost 7 times what `?` costs (5,800 spans/s ingested instead of 40,000).
#[derive(Default)]
pub(super) struct Sql {
    text: String,
    /// Where in `text` each placeholder goes, in order.
    placeholders: Vec<usize>,
    arguments: AnyArguments,
}

impl Sql {
    /// A query starting with `text` (which must hold no placeholder).
    pub(super) fn new(text: impl Into<String>) -> Sql {
        Sql { text: text.into(), ..Sql::default() }
    }

    /// Appends SQL text: never a value from outside (that is [`Sql::push_bind`]'s job).
    pub(super) fn push(&mut self, text: impl Display) -> &mut Sql {
        write!(self.text, "{text}").expect("writing to a String cannot fail");
        self
    }

    /// Appends the next placeholder and binds `value` to it.
    pub(super) fn push_bind<'t, T: Encode<'t, Db> + Type<Db>>(&mut self, value: T) -> &mut Sql {
        self.arguments.add(value).expect("encoding into Any's buffer cannot fail");
        self.placeholders.push(self.text.len());
        self
    }

    /// A list whose items [`Separated::push`] and [`Separated::push_bind`]
    /// write with `separator` between them.
    pub(super) fn separated(&mut self, separator: &'static str) -> Separated<'_> {
        Separated { sql: self, separator, first: true }
    }

    /// `VALUES (…), (…)`: one row per item, its fields pushed by `push_row`.
    pub(super) fn push_values<I>(&mut self, items: I, mut push_row: impl FnMut(Separated<'_>, I::Item)) -> &mut Sql
    where
        I: IntoIterator,
    {
        self.push("VALUES ");
        for (n, item) in items.into_iter().enumerate() {
            if n > 0 {
                self.push(", ");
            }
            self.push("(");
            push_row(self.separated(", "), item);
            self.push(")");
        }
        self
    }

    /// The query, ready to run on `dialect`'s engine (the builder is left empty).
    pub(super) fn build(&mut self, dialect: Dialect) -> Query<'static, Db, AnyArguments> {
        let (text, arguments) = self.take(dialect);
        sqlx::query_with(AssertSqlSafe(text), arguments)
    }

    /// The query, its rows read as `T`.
    pub(super) fn build_query_as<T>(&mut self, dialect: Dialect) -> QueryAs<'static, Db, T, AnyArguments>
    where
        T: for<'r> FromRow<'r, sqlx::any::AnyRow>,
    {
        let (text, arguments) = self.take(dialect);
        sqlx::query_as_with(AssertSqlSafe(text), arguments)
    }

    /// The query, the first column of its rows read as `T`.
    pub(super) fn build_query_scalar<T>(&mut self, dialect: Dialect) -> QueryScalar<'static, Db, T, AnyArguments>
    where
        (T,): for<'r> FromRow<'r, sqlx::any::AnyRow>,
    {
        let (text, arguments) = self.take(dialect);
        sqlx::query_scalar_with(AssertSqlSafe(text), arguments)
    }

    /// The text with its placeholders written for `dialect`.
    fn text(&self, dialect: Dialect) -> String {
        let mut text = String::with_capacity(self.text.len() + self.placeholders.len() * 6);
        let mut from = 0;
        for (n, &at) in self.placeholders.iter().enumerate() {
            text.push_str(&self.text[from..at]);
            match dialect {
                Dialect::Sqlite => text.push('?'),
                Dialect::Postgres => write!(text, "${}", n + 1).expect("writing to a String cannot fail"),
            }
            from = at;
        }
        text.push_str(&self.text[from..]);
        text
    }

    fn take(&mut self, dialect: Dialect) -> (String, AnyArguments) {
        let text = self.text(dialect);
        let taken = std::mem::take(self);
        (text, taken.arguments)
    }
}

/// A separated list being written into a [`Sql`] (see [`Sql::separated`]).
pub(super) struct Separated<'s> {
    sql: &'s mut Sql,
    separator: &'static str,
    first: bool,
}

impl Separated<'_> {
    fn separate(&mut self) {
        if !std::mem::take(&mut self.first) {
            self.sql.push(self.separator);
        }
    }

    /// The next item: SQL text.
    pub(super) fn push(&mut self, text: impl Display) -> &mut Self {
        self.separate();
        self.sql.push(text);
        self
    }

    /// The next item: a bound value.
    pub(super) fn push_bind<'t, T: Encode<'t, Db> + Type<Db>>(&mut self, value: T) -> &mut Self {
        self.separate();
        self.sql.push_bind(value);
        self
    }

    /// SQL text added to the current item, with no separator before it.
    pub(super) fn push_unseparated(&mut self, text: impl Display) -> &mut Self {
        self.sql.push(text);
        self
    }

    /// A bound value added to the current item, with no separator before it.
    pub(super) fn push_bind_unseparated<'t, T: Encode<'t, Db> + Type<Db>>(&mut self, value: T) -> &mut Self {
        self.sql.push_bind(value);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_push_order() {
        let mut query = Sql::new("SELECT 1 FROM t WHERE a = ");
        query.push_bind(7_i64).push(" AND b IN ");
        {
            let mut list = query.separated(", ");
            list.push_bind("x").push_bind("y");
        }
        query.push(" ").push_values([1_i64, 2], |mut row, n| {
            row.push_bind(n).push("0");
        });
        assert_eq!(
            query.text(Dialect::Postgres),
            "SELECT 1 FROM t WHERE a = $1 AND b IN $2, $3 VALUES ($4, 0), ($5, 0)"
        );
        assert_eq!(query.text(Dialect::Sqlite), "SELECT 1 FROM t WHERE a = ? AND b IN ?, ? VALUES (?, 0), (?, 0)");
    }
}
