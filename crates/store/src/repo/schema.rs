//! The schema as each database describes it, in one normalised form, so a test can check that
//! the SQLite and PostgreSQL migrations build the same tables, columns, keys and indexes.

use crate::backend::{params, Dialect};
use crate::{Result, Tx};

fn normalise_type(t: &str) -> &'static str {
    match t.to_ascii_lowercase().as_str() {
        "integer" | "bigint" | "int" | "int8" | "int4" | "smallint" => "int",
        "text" | "character varying" | "varchar" => "text",
        "blob" | "bytea" => "bytes",
        "real" | "double precision" | "float8" => "float",
        _ => "other",
    }
}

fn normalise_column(c: &str) -> String {
    if c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_') && !c.is_empty() {
        c.to_string()
    } else {
        "<expr>".to_string()
    }
}

/// `(table, kind, description)`: kind `column` ("name type null|not null"), `unique` (primary
/// keys, unique constraints and unique indexes, as column lists) or `index`.
pub(crate) fn describe(tx: &mut Tx<'_>) -> Result<Vec<(String, String, String)>> {
    let db = tx.db();
    let mut out = Vec::new();
    match db.dialect() {
        Dialect::Sqlite => {
            let tables: Vec<String> = db
                .query(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
                    &[],
                )?
                .iter()
                .map(|r| r.text("name"))
                .collect::<Result<_>>()?;
            for t in tables {
                let mut pk: Vec<(i64, String)> = Vec::new();
                for c in db.query(
                    "SELECT name, type, \"notnull\" AS not_null, pk FROM pragma_table_info(?)",
                    params![t.as_str()],
                )? {
                    let name = c.text("name")?;
                    let pk_pos = c.i64("pk")?;
                    let not_null = c.i64("not_null")? != 0 || pk_pos > 0;
                    out.push((
                        t.clone(),
                        "column".into(),
                        format!(
                            "{name} {} {}",
                            normalise_type(&c.text("type")?),
                            if not_null { "not null" } else { "null" }
                        ),
                    ));
                    if pk_pos > 0 {
                        pk.push((pk_pos, name));
                    }
                }
                let indexes = db.query(
                    "SELECT name, \"unique\" AS uniq, origin FROM pragma_index_list(?)",
                    params![t.as_str()],
                )?;
                let mut pk_from_index = false;
                for ix in indexes {
                    let cols: Vec<String> = db
                        .query(
                            "SELECT name FROM pragma_index_info(?) ORDER BY seqno",
                            params![ix.text("name")?],
                        )?
                        .iter()
                        .map(|r| Ok(normalise_column(&r.opt_text("name")?.unwrap_or_default())))
                        .collect::<Result<_>>()?;
                    pk_from_index |= ix.text("origin")? == "pk";
                    let kind = if ix.i64("uniq")? != 0 {
                        "unique"
                    } else {
                        "index"
                    };
                    out.push((t.clone(), kind.into(), cols.join(",")));
                }
                if !pk.is_empty() && !pk_from_index {
                    pk.sort();
                    let cols: Vec<String> = pk.into_iter().map(|(_, n)| n).collect();
                    out.push((t.clone(), "unique".into(), cols.join(",")));
                }
            }
        }
        Dialect::Postgres => {
            for c in db.query(
                "SELECT table_name::text AS tbl, column_name::text AS col, data_type::text AS ty, is_nullable::text AS nullable
                 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name <> 'schema_version'",
                &[],
            )? {
                out.push((
                    c.text("tbl")?,
                    "column".into(),
                    format!(
                        "{} {} {}",
                        c.text("col")?,
                        normalise_type(&c.text("ty")?),
                        if c.text("nullable")? == "NO" { "not null" } else { "null" }
                    ),
                ));
            }
            for ix in db.query(
                "SELECT c.relname::text AS tbl, ix.indisunique AS uniq,
                        array_to_string(ARRAY(SELECT pg_get_indexdef(ix.indexrelid, k, true)
                                              FROM generate_series(1, ix.indnatts) AS k ORDER BY k), '|') AS cols
                 FROM pg_index ix JOIN pg_class c ON c.oid = ix.indrelid
                 JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = current_schema() AND c.relname <> 'schema_version'",
                &[],
            )? {
                let cols: Vec<String> = ix
                    .text("cols")?
                    .split('|')
                    .map(|c| normalise_column(c.trim()))
                    .collect();
                let kind = if ix.bool("uniq")? { "unique" } else { "index" };
                out.push((ix.text("tbl")?, kind.into(), cols.join(",")));
            }
        }
    }
    out.sort();
    Ok(out)
}
