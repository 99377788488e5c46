//! Text catalogues (French first, then Dutch and English; more can be dropped in a directory
//! without code) and locale-aware formatting of numbers, energies, powers and dates.

use std::collections::BTreeMap;
use std::path::Path;

/// Built-in catalogues, one file per area of the product (`i18n/LANG/AREA.toml`): `common`
/// (the frame, login, errors), `dashboards` (home, community, charts), `coord` (coordinators).
macro_rules! catalogue {
    ($lang:literal) => {
        (
            $lang,
            &[
                (
                    "common",
                    include_str!(concat!("../i18n/", $lang, "/common.toml")),
                ),
                (
                    "dashboards",
                    include_str!(concat!("../i18n/", $lang, "/dashboards.toml")),
                ),
                (
                    "coord",
                    include_str!(concat!("../i18n/", $lang, "/coord.toml")),
                ),
            ],
        )
    };
}

const BUILT_IN: &[(&str, &[(&str, &str)])] = &[
    catalogue!("fr"),
    catalogue!("nl"),
    catalogue!("en"),
    catalogue!("ar"),
];

/// The default language.
pub const DEFAULT_LANG: &str = "fr";

/// One language's texts.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub lang: String,
    pub texts: BTreeMap<String, String>,
}

impl Catalog {
    /// The text for `key`; a missing key shows as itself so it is noticed, never as a crash.
    pub fn t<'a>(&'a self, key: &'a str) -> &'a str {
        self.texts.get(key).map(String::as_str).unwrap_or(key)
    }

    pub fn rtl(&self) -> bool {
        self.t("direction") == "rtl"
    }

    fn list<'a>(&'a self, key: &'a str) -> Vec<&'a str> {
        self.t(key).split(',').map(str::trim).collect()
    }

    /// `1 234,5` (fr), `1.234,5` (nl), `1,234.5` (en).
    pub fn number(&self, value: f64, decimals: usize) -> String {
        let text = format!("{:.*}", decimals, value.abs());
        let (int, frac) = text
            .split_once('.')
            .map_or((text.as_str(), None), |(i, f)| (i, Some(f)));
        let sep = self.t("thousands_separator");
        let mut grouped = String::new();
        for (i, c) in int.chars().enumerate() {
            if i > 0 && (int.len() - i) % 3 == 0 && int.len() > 4 {
                grouped.push_str(sep);
            }
            grouped.push(c);
        }
        let sign = if value < 0.0 && value.abs() >= 0.5 * 10f64.powi(-(decimals as i32)) {
            "-"
        } else {
            ""
        };
        match frac {
            Some(f) => format!("{sign}{grouped}{}{f}", self.t("decimal_separator")),
            None => format!("{sign}{grouped}"),
        }
    }

    /// Energy with a unit that keeps the number readable.
    pub fn energy(&self, wh: f64) -> String {
        match wh.abs() {
            x if x >= 1_000_000.0 => format!("{} MWh", self.number(wh / 1_000_000.0, 2)),
            x if x >= 10_000.0 => format!("{} kWh", self.number(wh / 1000.0, 0)),
            x if x >= 1000.0 => format!("{} kWh", self.number(wh / 1000.0, 1)),
            _ => format!("{} Wh", self.number(wh, 0)),
        }
    }

    /// Energy from integer mWh.
    pub fn energy_mwh(&self, mwh: i64) -> String {
        self.energy(crate::dto::wh(mwh))
    }

    pub fn power(&self, w: f64) -> String {
        if w.abs() >= 10_000.0 {
            format!("{} kW", self.number(w / 1000.0, 1))
        } else {
            format!("{} W", self.number(w, 0))
        }
    }

    pub fn percent(&self, rate: Option<f64>) -> String {
        match rate {
            None => "—".into(),
            Some(r) if self.lang == "fr" => format!("{}\u{202f}%", self.number(r * 100.0, 0)),
            Some(r) => format!("{}%", self.number(r * 100.0, 0)),
        }
    }

    /// `mardi 1 décembre 2026`.
    pub fn date(&self, date: jiff::civil::Date) -> String {
        let weekdays = self.list("weekday_names");
        let months = self.list("month_names");
        let weekday = weekdays
            .get(date.weekday().to_monday_zero_offset() as usize)
            .copied()
            .unwrap_or("");
        let month = months.get(date.month() as usize - 1).copied().unwrap_or("");
        self.t("date_pattern")
            .replace("{weekday}", weekday)
            .replace("{day}", &date.day().to_string())
            .replace("{month}", month)
            .replace("{year}", &date.year().to_string())
    }

    /// `décembre 2026`.
    pub fn month(&self, date: jiff::civil::Date) -> String {
        let months = self.list("month_names");
        let month = months.get(date.month() as usize - 1).copied().unwrap_or("");
        format!("{month} {}", date.year())
    }

    /// `il y a 3 min`.
    pub fn ago(&self, elapsed_ms: i64) -> String {
        let s = elapsed_ms.max(0) / 1000;
        if s < 10 {
            return self.t("ago_now").to_string();
        }
        let (key, n) = match s {
            0..=119 => ("ago_seconds", s),
            120..=7199 => ("ago_minutes", s / 60),
            7200..=172_799 => ("ago_hours", s / 3600),
            _ => ("ago_days", s / 86_400),
        };
        self.t(key).replace("{n}", &n.to_string())
    }
}

/// All catalogues.
#[derive(Debug, Clone)]
pub struct Catalogs {
    by_lang: BTreeMap<String, Catalog>,
}

impl Catalogs {
    /// The built-in catalogues plus every `LANG.toml` in `extra_dir`.
    pub fn load(extra_dir: Option<&Path>) -> Result<Catalogs, String> {
        let mut by_lang = BTreeMap::new();
        for (lang, areas) in BUILT_IN {
            let mut catalog = Catalog {
                lang: lang.to_string(),
                texts: BTreeMap::new(),
            };
            for (area, text) in *areas {
                let part = parse(lang, text, &format!("i18n/{lang}/{area}.toml"))?;
                for (k, v) in part.texts {
                    if catalog.texts.insert(k.clone(), v).is_some() {
                        return Err(format!("catalogue {lang}: '{k}' is defined twice"));
                    }
                }
            }
            by_lang.insert(lang.to_string(), catalog);
        }
        if let Some(dir) = extra_dir {
            let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            for entry in entries.flatten() {
                let path = entry.path();
                if path.extension().and_then(|e| e.to_str()) != Some("toml") {
                    continue;
                }
                let lang = path
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or_default()
                    .to_string();
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                let mut catalog = parse(&lang, &text, &path.display().to_string())?;
                // Missing keys fall back to the default language.
                for (k, v) in &by_lang[DEFAULT_LANG].texts {
                    catalog.texts.entry(k.clone()).or_insert_with(|| v.clone());
                }
                by_lang.insert(lang, catalog);
            }
        }
        Ok(Catalogs { by_lang })
    }

    pub fn get(&self, lang: &str) -> &Catalog {
        self.by_lang
            .get(lang)
            .unwrap_or(&self.by_lang[DEFAULT_LANG])
    }

    pub fn has(&self, lang: &str) -> bool {
        self.by_lang.contains_key(lang)
    }

    /// (code, name) of every language, the default first.
    pub fn languages(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .by_lang
            .values()
            .map(|c| (c.lang.clone(), c.t("lang_name").to_string()))
            .collect();
        out.sort_by_key(|(code, _)| match code.as_str() {
            "fr" => 0,
            "nl" => 1,
            "en" => 2,
            "ar" => 3,
            _ => 4,
        });
        out
    }
}

fn parse(lang: &str, text: &str, origin: &str) -> Result<Catalog, String> {
    let table: toml::Table =
        toml::from_str(text).map_err(|e| format!("catalogue {origin} ({lang}): {e}"))?;
    let mut texts = BTreeMap::new();
    for (k, v) in table {
        let s = v
            .as_str()
            .ok_or_else(|| format!("catalogue {origin} ({lang}): '{k}' is not a string"))?;
        texts.insert(k, s.to_string());
    }
    Ok(Catalog {
        lang: lang.to_string(),
        texts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_key() {
        let c = Catalogs::load(None).unwrap();
        let fr: Vec<&String> = c.get("fr").texts.keys().collect();
        for lang in ["nl", "en", "ar"] {
            let other: Vec<&String> = c.get(lang).texts.keys().collect();
            assert_eq!(fr, other, "{lang} keys differ from fr");
        }
    }

    #[test]
    fn every_language_keeps_the_placeholders_of_every_key() {
        let c = Catalogs::load(None).unwrap();
        let holes = |text: &str| -> std::collections::BTreeSet<String> {
            text.split('{')
                .skip(1)
                .filter_map(|s| s.split_once('}').map(|(name, _)| name.to_string()))
                .collect()
        };
        for (key, fr) in &c.get("fr").texts {
            for lang in ["nl", "en", "ar"] {
                assert_eq!(holes(fr), holes(c.get(lang).t(key)), "{lang}: {key}");
            }
        }
    }

    #[test]
    fn local_formats() {
        let c = Catalogs::load(None).unwrap();
        let (fr, nl, en) = (c.get("fr"), c.get("nl"), c.get("en"));
        assert_eq!(fr.number(12345.67, 1), "12 345,7");
        assert_eq!(nl.number(12345.67, 1), "12.345,7");
        assert_eq!(en.number(12345.67, 1), "12,345.7");
        assert_eq!(en.number(1234.0, 0), "1234");
        assert_eq!(fr.energy(2345.0), "2,3 kWh");
        assert_eq!(en.power(263.0), "263 W");
        assert_eq!(fr.percent(Some(0.634)), "63\u{202f}%");
        let d: jiff::civil::Date = "2026-12-01".parse().unwrap();
        assert_eq!(fr.date(d), "mardi 1 décembre 2026");
        assert_eq!(nl.date(d), "dinsdag 1 december 2026");
        assert_eq!(en.date(d), "Tuesday 1 December 2026");
        assert_eq!(fr.ago(180_000), "il y a 3 min");
        let ar = c.get("ar");
        assert!(ar.rtl() && !fr.rtl());
        assert_eq!(
            ar.number(12345.67, 1),
            "12.345,7",
            "as ar-MA writes it, Western digits"
        );
        assert_eq!(ar.date(d), "الثلاثاء 1 دجنبر 2026");
        assert_eq!(ar.energy(2345.0), "2,3 kWh");
    }
}
