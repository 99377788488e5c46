//! CSV files: grid-operator quarter-hour exports, quarter-hour series (cabin measurements) and
//! generic `timestamp,value` readings.
//!
//! Grid-operator exports (Sibelga, Fluvius, ORES style) have one row per quarter-hour and
//! register: a start date and time in local time, a register or direction (offtake/injection,
//! day/night), a volume in kWh and a validation flag (real/estimated). Column names are
//! recognised in French, Dutch and English; a mapping overrides them. Delimiters `;` `,` or tab
//! and decimal commas are detected. On the day clocks go back, the repeated local hour is
//! resolved by order: the first occurrence is summer time. Cells that spreadsheets wrap to keep
//! long numbers as text (`="541449000000000001"`) are unwrapped.
//!
//! Every decoded item carries its line number; energies are integer mWh.

use std::collections::HashMap;

use domain::{Interval, Point, Provenance, Slot};
use jiff::tz::TimeZone;

use crate::timestamp::{local_to_ms, parse_date, parse_instant, parse_time, shorten};
use crate::LineError;

/// An item with the line it came from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Numbered<T> {
    pub line: usize,
    pub item: T,
}

/// Which column holds what; `None` = recognise from the header.
#[derive(Debug, Clone, Default)]
pub struct ColumnMapping {
    pub timestamp: Option<String>,
    pub date: Option<String>,
    pub time: Option<String>,
    pub register: Option<String>,
    pub value: Option<String>,
    pub status: Option<String>,
    pub meter: Option<String>,
    /// Rows whose column (first) has this value (second) are skipped, e.g. rows a data
    /// packager filled in: `skip_if=imputed_copy_of_prev_day:True`.
    pub skip_if: Option<(String, String)>,
}

impl ColumnMapping {
    /// Parses `date=Van Datum,time=Van Tijdstip,value=Volume`.
    pub fn parse(text: &str) -> Result<ColumnMapping, String> {
        let mut m = ColumnMapping::default();
        for part in text.split(',').filter(|p| !p.trim().is_empty()) {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| format!("column mapping '{part}': expected name=Header"))?;
            let raw = v.trim();
            let v = Some(raw.to_string());
            match k.trim() {
                "timestamp" => m.timestamp = v,
                "date" => m.date = v,
                "time" => m.time = v,
                "register" => m.register = v,
                "value" => m.value = v,
                "status" => m.status = v,
                "meter" => m.meter = v,
                "skip_if" => {
                    let rule = raw;
                    let (column, value) = rule.split_once(':').ok_or_else(|| format!("column mapping: skip_if='{rule}': expected skip_if=Column:Value"))?;
                    m.skip_if = Some((column.trim().to_string(), value.trim().to_string()));
                }
                other => return Err(format!("column mapping: unknown field '{other}' (timestamp, date, time, register, value, status, meter, skip_if)")),
            }
        }
        Ok(m)
    }
}

/// Direction of a grid-operator register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Direction {
    Import,
    Export,
}

/// Quarter-hours decoded from a grid-operator file, summed over day/night registers (the line
/// of a quarter-hour is the first of its registers).
#[derive(Debug, Clone, PartialEq)]
pub struct GridSeries {
    /// Meter (EAN) as written in the file, or empty.
    pub meter: String,
    pub direction: Direction,
    pub intervals: Vec<Numbered<Interval>>,
}

/// What a CSV decoder produced.
#[derive(Debug, Clone, Default)]
pub struct CsvOutcome<T> {
    pub items: T,
    pub rows: usize,
    /// Rows left out on purpose (`skip_if`).
    pub skipped: usize,
    pub errors: Vec<LineError>,
}

const DATE_NAMES: &[&str] = &[
    "date",
    "van datum",
    "date de début",
    "date de debut",
    "datum",
    "start date",
    "from date",
    "day",
];
const TIME_NAMES: &[&str] = &[
    "time",
    "van tijdstip",
    "heure de début",
    "heure de debut",
    "tijdstip",
    "start time",
    "from time",
    "heure",
];
const TS_NAMES: &[&str] = &[
    "timestamp",
    "date_time",
    "ts",
    "datetime",
    "time_utc",
    "horodatage",
    "tijdstempel",
];
const REGISTER_NAMES: &[&str] = &[
    "register",
    "registre",
    "direction",
    "type",
    "energy flow",
    "flux",
];
const VALUE_NAMES: &[&str] = &[
    "volume",
    "value",
    "valeur",
    "waarde",
    "kwh",
    "consumption",
    "energy",
    "energie",
    "énergie",
];
const STATUS_NAMES: &[&str] = &[
    "validatiestatus",
    "status",
    "statut",
    "état",
    "etat",
    "validation",
    "flag",
    "type de relevé",
];
const METER_NAMES: &[&str] = &[
    "ean", "ean id", "ean code", "code ean", "meter", "compteur", "meter id",
];

struct Table {
    delimiter: u8,
    decimal_comma: bool,
}

fn sniff(text: &str) -> Table {
    let header = text.lines().next().unwrap_or("");
    let delimiter = [b';', b'\t', b',']
        .into_iter()
        .max_by_key(|d| header.bytes().filter(|b| b == d).count())
        .unwrap_or(b',');
    Table {
        delimiter,
        decimal_comma: delimiter != b',',
    }
}

fn find(
    headers: &[String],
    wanted: &Option<String>,
    names: &[&str],
) -> Result<Option<usize>, String> {
    if let Some(w) = wanted {
        return headers
            .iter()
            .position(|h| h.eq_ignore_ascii_case(w))
            .map(Some)
            .ok_or_else(|| format!("column '{w}' not found in header ({})", headers.join(", ")));
    }
    Ok(headers
        .iter()
        .position(|h| names.contains(&h.to_lowercase().trim())))
}

fn number(text: &str, table: &Table) -> Result<f64, String> {
    let t = text.trim();
    let normalized = if table.decimal_comma && t.contains(',') {
        t.replace('.', "").replace(',', ".")
    } else {
        t.to_string()
    };
    normalized
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && v.abs() < 1e15)
        .ok_or_else(|| format!("invalid number '{}'", shorten(t)))
}

fn direction(text: &str) -> Result<Direction, String> {
    let t = text.trim().to_lowercase();
    const IMPORT: &[&str] = &[
        "afname",
        "prélèvement",
        "prelevement",
        "import",
        "offtake",
        "consumption",
        "consommation",
        "verbruik",
    ];
    const EXPORT: &[&str] = &[
        "injectie",
        "injection",
        "export",
        "production",
        "productie",
        "teruglevering",
    ];
    if IMPORT.iter().any(|w| t.contains(w)) {
        Ok(Direction::Import)
    } else if EXPORT.iter().any(|w| t.contains(w)) {
        Ok(Direction::Export)
    } else {
        Err(format!(
            "unknown register '{}' (expected offtake/afname/prélèvement or injection/injectie)",
            text.trim()
        ))
    }
}

/// The provenance a validation status means. Words are matched whole, negations first, so
/// "non validé", "niet gevalideerd" and "invalid" are not read as validated. An empty cell is
/// not known to be validated: estimated.
fn provenance(text: &str) -> Result<Provenance, String> {
    let lower = text.trim().to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let has = |list: &[&str]| words.iter().any(|w| list.contains(w));
    const NEGATIONS: &[&str] = &["non", "niet", "not", "no", "pas", "geen"];
    const NOT_VALID: &[&str] = &[
        "invalid",
        "invalide",
        "invalidé",
        "ongeldig",
        "unvalidated",
        "nonvalidé",
        "ongevalideerd",
    ];
    const ESTIMATED: &[&str] = &[
        "geschat",
        "estimé",
        "estimée",
        "estime",
        "estimee",
        "estimated",
        "estimation",
        "schatting",
        "provisional",
        "provisoire",
        "voorlopig",
    ];
    const SETTLED: &[&str] = &[
        "gemeten",
        "réel",
        "réelle",
        "reel",
        "reelle",
        "real",
        "measured",
        "mesuré",
        "mesure",
        "valid",
        "validated",
        "gevalideerd",
        "validé",
        "validée",
        "valide",
        "definitive",
        "definitief",
        "définitif",
        "définitive",
        "final",
    ];
    if words.is_empty() || has(NEGATIONS) || has(NOT_VALID) || has(ESTIMATED) {
        Ok(Provenance::Estimated)
    } else if has(SETTLED) {
        Ok(Provenance::Settled)
    } else {
        Err(format!(
            "unknown validation status '{}' (expected real/gemeten/réel, estimated/geschat/estimé, or not validated)",
            shorten(text.trim())
        ))
    }
}

/// Where a row's instant is: one timestamp column, or a date and a time column.
enum When {
    Timestamp(usize),
    DateAndTime(usize, usize),
}

impl When {
    /// With `two_columns_default`, a two-column file without known names is `timestamp,value`.
    fn locate(
        headers: &[String],
        mapping: &ColumnMapping,
        two_columns_default: bool,
    ) -> Result<When, String> {
        let date = find(headers, &mapping.date, DATE_NAMES)?;
        let time = find(headers, &mapping.time, TIME_NAMES)?;
        let ts = find(headers, &mapping.timestamp, TS_NAMES)?
            .or_else(|| (two_columns_default && headers.len() == 2 && date.is_none()).then_some(0));
        match (ts, date, time) {
            (Some(c), _, _) => Ok(When::Timestamp(c)),
            (None, Some(d), Some(t)) => Ok(When::DateAndTime(d, t)),
            _ => Err(format!(
                "no timestamp column nor date and time columns in header ({})",
                headers.join(", ")
            )),
        }
    }

    fn instant(
        &self,
        row: &[String],
        tz: &TimeZone,
        previous_ms: Option<i64>,
    ) -> Result<i64, String> {
        match *self {
            When::Timestamp(c) => parse_instant(cell(row, c, "timestamp")?, tz, previous_ms),
            When::DateAndTime(d, t) => {
                let date = parse_date(cell(row, d, "date")?)?;
                let time = parse_time(cell(row, t, "time")?)?;
                local_to_ms(date.to_datetime(time), tz, previous_ms)
            }
        }
    }
}

/// The mapping's `skip_if` rule, located in the header.
struct Skip(Option<(usize, String)>);

impl Skip {
    fn locate(headers: &[String], mapping: &ColumnMapping) -> Result<Skip, String> {
        Ok(Skip(match &mapping.skip_if {
            Some((column, value)) => Some((
                find(headers, &Some(column.clone()), &[])?.expect("found or error"),
                value.clone(),
            )),
            None => None,
        }))
    }

    fn applies(&self, record: &Result<Vec<String>, String>) -> bool {
        match (&self.0, record) {
            (Some((c, v)), Ok(row)) => row.get(*c) == Some(v),
            _ => false,
        }
    }
}

/// A record with its line number, or why it could not be read.
type NumberedRecord = (usize, Result<Vec<String>, String>);

fn read_records(text: &str, table: &Table) -> Result<(Vec<String>, Vec<NumberedRecord>), String> {
    let mut reader = ::csv::ReaderBuilder::new()
        .delimiter(table.delimiter)
        .flexible(true)
        .trim(::csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| format!("header: {e}"))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
        .collect();
    let mut records = Vec::new();
    for record in reader.records() {
        match record {
            Ok(r) => {
                let line = r.position().map_or(0, |p| p.line() as usize);
                if r.iter().all(|c| c.is_empty()) {
                    continue;
                }
                records.push((line, Ok(r.iter().map(str::to_string).collect())));
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                records.push((line, Err(e.to_string())));
            }
        }
    }
    Ok((headers, records))
}

/// A cell's text, unwrapped from a spreadsheet's `="…"` text formula.
fn cell<'a>(row: &'a [String], idx: usize, name: &str) -> Result<&'a str, String> {
    let text = row
        .get(idx)
        .map(String::as_str)
        .ok_or_else(|| format!("missing column '{name}'"))?;
    Ok(text
        .strip_prefix("=\"")
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text))
}

/// Decodes a grid-operator quarter-hour export. Whole-file problems (no usable header) are an
/// `Err`; bad rows are reported and skipped.
pub fn decode_grid(
    text: &str,
    mapping: &ColumnMapping,
    tz: &TimeZone,
) -> Result<CsvOutcome<Vec<GridSeries>>, String> {
    let table = sniff(text);
    let (headers, records) = read_records(text, &table)?;
    let when = When::locate(&headers, mapping, false)?;
    let value_col = find(&headers, &mapping.value, VALUE_NAMES)?
        .ok_or_else(|| format!("no value column (kWh) in header ({})", headers.join(", ")))?;
    let register_col = find(&headers, &mapping.register, REGISTER_NAMES)?;
    let status_col = find(&headers, &mapping.status, STATUS_NAMES)?;
    let meter_col = find(&headers, &mapping.meter, METER_NAMES)?;
    let skip = Skip::locate(&headers, mapping)?;
    let mut out = CsvOutcome::default();
    let mut series: HashMap<(String, Direction), HashMap<i64, Numbered<Interval>>> = HashMap::new();
    let mut previous: HashMap<(String, String), i64> = HashMap::new();
    for (line, record) in records {
        out.rows += 1;
        if skip.applies(&record) {
            out.skipped += 1;
            continue;
        }
        let result = record.and_then(|row| {
            let meter = meter_col
                .map(|c| cell(&row, c, "meter"))
                .transpose()?
                .unwrap_or("")
                .trim()
                .to_string();
            let register = register_col
                .map(|c| cell(&row, c, "register"))
                .transpose()?
                .unwrap_or("offtake")
                .to_string();
            let dir = direction(&register)?;
            let prev = previous.get(&(meter.clone(), register.clone())).copied();
            let ts_ms = when.instant(&row, tz, prev)?;
            let slot = slot_starting_at(ts_ms)?;
            let kwh = number(cell(&row, value_col, "value")?, &table)?;
            if kwh < 0.0 {
                return Err(format!("negative volume {kwh} kWh"));
            }
            let mwh = kwh_to_mwh(kwh);
            // Without a status column nothing says the data was validated: measured, which a
            // settled file replaces later.
            let prov = match status_col {
                Some(c) => provenance(cell(&row, c, "status")?)?,
                None => Provenance::Measured,
            };
            previous.insert((meter.clone(), register), ts_ms);
            let slots = series.entry((meter, dir)).or_default();
            // Day and night registers of one direction add up in the same quarter-hour.
            let entry = slots.entry(slot.index()).or_insert(Numbered {
                line,
                item: Interval::flat(slot, 0, prov),
            });
            entry.item = Interval::flat(
                slot,
                entry.item.energy_mwh.saturating_add(mwh),
                entry.item.provenance.min(prov),
            );
            Ok(())
        });
        if let Err(reason) = result {
            out.errors.push(LineError { line, reason });
        }
    }
    let mut items: Vec<GridSeries> = series
        .into_iter()
        .map(|((meter, direction), slots)| {
            let mut intervals: Vec<Numbered<Interval>> = slots.into_values().collect();
            intervals.sort_by_key(|i| i.item.slot);
            GridSeries {
                meter,
                direction,
                intervals,
            }
        })
        .collect();
    items.sort_by(|a, b| (&a.meter, a.direction).cmp(&(&b.meter, b.direction)));
    out.items = items;
    Ok(out)
}

/// Decodes generic `timestamp,value` readings (or `date,time,value`) for one channel.
pub fn decode_points(
    text: &str,
    mapping: &ColumnMapping,
    tz: &TimeZone,
) -> Result<CsvOutcome<Vec<Numbered<Point>>>, String> {
    let table = sniff(text);
    let (headers, records) = read_records(text, &table)?;
    let when = When::locate(&headers, mapping, true)?;
    let value_col = find(&headers, &mapping.value, VALUE_NAMES)?
        .or_else(|| (headers.len() == 2).then_some(1))
        .ok_or_else(|| format!("no value column in header ({})", headers.join(", ")))?;
    let skip = Skip::locate(&headers, mapping)?;
    let mut out: CsvOutcome<Vec<Numbered<Point>>> = CsvOutcome::default();
    let mut previous = None;
    for (line, record) in records {
        out.rows += 1;
        if skip.applies(&record) {
            out.skipped += 1;
            continue;
        }
        let result = record.and_then(|row| {
            let ts_ms = when.instant(&row, tz, previous)?;
            let value = number(cell(&row, value_col, "value")?, &table)?;
            previous = Some(ts_ms);
            Ok(Point { ts_ms, value })
        });
        match result {
            Ok(item) => out.items.push(Numbered { line, item }),
            Err(reason) => out.errors.push(LineError { line, reason }),
        }
    }
    Ok(out)
}

/// Decodes a quarter-hour series (e.g. a low-voltage cabin's measurements): each row is the
/// start of a quarter-hour and its energy in kWh.
pub fn decode_slots(
    text: &str,
    mapping: &ColumnMapping,
    tz: &TimeZone,
    provenance: Provenance,
) -> Result<CsvOutcome<Vec<Numbered<Interval>>>, String> {
    let points = decode_points(text, mapping, tz)?;
    let mut out = CsvOutcome {
        items: Vec::new(),
        rows: points.rows,
        skipped: points.skipped,
        errors: points.errors,
    };
    for Numbered { line, item: p } in points.items {
        match slot_starting_at(p.ts_ms) {
            Ok(slot) => out.items.push(Numbered {
                line,
                item: Interval::flat(slot, kwh_to_mwh(p.value), provenance),
            }),
            Err(reason) => out.errors.push(LineError { line, reason }),
        }
    }
    out.errors.sort_by_key(|e| e.line);
    Ok(out)
}

/// The quarter-hour a row's timestamp starts, or why it does not start one.
fn slot_starting_at(ts_ms: i64) -> Result<Slot, String> {
    Slot::starting_at_ms(ts_ms).map_err(|_| {
        format!(
            "{} is not the start of a quarter-hour",
            jiff::Timestamp::from_millisecond(ts_ms)
                .map(|t| t.to_string())
                .unwrap_or_default()
        )
    })
}

/// A file's kWh in the store's integer mWh.
fn kwh_to_mwh(kwh: f64) -> i64 {
    (kwh * 1e6).round() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brussels() -> TimeZone {
        TimeZone::get("Europe/Brussels").unwrap()
    }

    #[test]
    fn fluvius_style_export_with_bad_rows() {
        let text = "Van Datum;Van Tijdstip;Tot Datum;Tot Tijdstip;EAN ID;Meter;Metertype;Register;Volume;Eenheid;Validatiestatus\n\
                    01-05-2024;00:00:00;01-05-2024;00:15:00;541449000000000001;1SAG;Digitale meter;Afname Nacht;0,125;kWh;Gemeten\n\
                    01-05-2024;00:00:00;01-05-2024;00:15:00;541449000000000001;1SAG;Digitale meter;Injectie Nacht;0,000;kWh;Gemeten\n\
                    01-05-2024;00:15:00;01-05-2024;00:30:00;541449000000000001;1SAG;Digitale meter;Afname Nacht;abc;kWh;Gemeten\n\
                    01-05-2024;00:30:00;01-05-2024;00:45:00;541449000000000001;1SAG;Digitale meter;Afname Nacht;0,250;kWh;Geschat\n\
                    01-05-2024;00:37:00;01-05-2024;00:45:00;541449000000000001;1SAG;Digitale meter;Afname Nacht;0,250;kWh;Gemeten\n\
                    31-02-2024;00:30:00;01-05-2024;00:45:00;541449000000000001;1SAG;Digitale meter;Afname Nacht;0,250;kWh;Gemeten\n";
        let out = decode_grid(text, &ColumnMapping::default(), &brussels()).unwrap();
        assert_eq!(out.rows, 6);
        let lines: Vec<usize> = out.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![4, 6, 7], "{:?}", out.errors);
        assert!(out.errors[0].reason.contains("invalid number 'abc'"));
        assert!(out.errors[1]
            .reason
            .contains("not the start of a quarter-hour"));
        assert!(out.errors[2].reason.contains("invalid date '31-02-2024'"));
        let import = &out.items[0];
        assert_eq!(import.direction, Direction::Import);
        assert_eq!(import.meter, "541449000000000001");
        assert_eq!(import.intervals.len(), 2);
        assert_eq!(import.intervals[0].item.energy_mwh, 125_000);
        assert_eq!(import.intervals[0].line, 2);
        assert_eq!(
            import.intervals[0].item.slot.start().to_string(),
            "2024-04-30T22:00:00Z"
        );
        assert_eq!(import.intervals[1].item.provenance, Provenance::Estimated);
    }

    #[test]
    fn autumn_repeated_hour_is_resolved_by_order() {
        let mut text = String::from("date,time,register,value\n");
        for t in [
            "01:45", "02:00", "02:15", "02:30", "02:45", "02:00", "02:15", "02:30", "02:45",
            "03:00",
        ] {
            text.push_str(&format!("2024-10-27,{t},import,1\n"));
        }
        let out = decode_grid(&text, &ColumnMapping::default(), &brussels()).unwrap();
        assert!(out.errors.is_empty(), "{:?}", out.errors);
        let slots: Vec<i64> = out.items[0]
            .intervals
            .iter()
            .map(|i| i.item.slot.index())
            .collect();
        assert_eq!(slots.len(), 10, "every quarter-hour distinct");
        assert!(slots.windows(2).all(|w| w[1] == w[0] + 1), "{slots:?}");
    }

    #[test]
    fn generic_timestamp_value_and_mapping() {
        let text = "when,watts\n2024-05-01T00:00:00Z,100\n1714521608,101.5\n2024-05-01 02:00:16,7\nbad,1\n";
        let mapping = ColumnMapping::parse("timestamp=when,value=watts").unwrap();
        let out = decode_points(text, &mapping, &brussels()).unwrap();
        assert_eq!(out.items.len(), 3);
        assert_eq!(
            out.items[2].item.ts_ms, 1_714_521_616_000,
            "local Brussels time"
        );
        assert_eq!(out.errors[0].line, 5);
        assert!(ColumnMapping::parse("colour=red").is_err());
    }

    #[test]
    fn cabin_quarter_hours() {
        let text = "timestamp;value\n2024-05-01T00:00:00Z;12,5\n2024-05-01T00:07:00Z;1\n";
        let out = decode_slots(
            text,
            &ColumnMapping::default(),
            &brussels(),
            Provenance::Measured,
        )
        .unwrap();
        assert_eq!(out.items[0].item.energy_mwh, 12_500_000);
        assert_eq!(out.items[0].item.mean_mw(), Some(50_000_000));
        assert_eq!(out.errors.len(), 1);
    }

    #[test]
    fn grid_import_ean_keeps_no_spreadsheet_wrapper() {
        let text = "Date;Heure;Code EAN;Registre;Volume;Statut\n\
                    01/05/2024;00:00;=\"541448800000000001\";Prélèvement jour;0,250;Réel\n";
        let out = decode_grid(text, &ColumnMapping::default(), &brussels()).unwrap();
        assert!(out.errors.is_empty(), "{:?}", out.errors);
        assert_eq!(out.items[0].meter, "541448800000000001");
    }

    #[test]
    fn grid_status_words_are_matched_whole_negations_first() {
        for (status, expected) in [
            ("Réel", Provenance::Settled),
            ("Gemeten", Provenance::Settled),
            ("Validé", Provenance::Settled),
            ("gevalideerd", Provenance::Settled),
            ("invalid", Provenance::Estimated),
            ("non validé", Provenance::Estimated),
            ("Niet gevalideerd", Provenance::Estimated),
            ("not validated", Provenance::Estimated),
            ("Geschat", Provenance::Estimated),
            ("", Provenance::Estimated),
        ] {
            assert_eq!(provenance(status), Ok(expected), "{status:?}");
        }
        assert!(provenance("Bizarre").is_err());
        assert!(provenance("irréel").is_err(), "whole words only");
    }

    #[test]
    fn millisecond_epochs_are_not_read_as_seconds() {
        let text = "timestamp,value\n1714521600000,100\n";
        let out = decode_points(text, &ColumnMapping::default(), &brussels()).unwrap();
        assert_eq!(out.items[0].item.ts_ms, 1_714_521_600_000);
    }
}
