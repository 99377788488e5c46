//! Administration from the command line: members, meters, channels, users and tokens. Each
//! subcommand calls one use case of `app::admin`; what it prints is for people.

use std::io::{IsTerminal, Read};
use std::path::Path;

use anyhow::Context;
use app::admin::ChannelRef;
use app::App;
use clap::{Subcommand, ValueEnum};
use domain::{ChannelKind, MemberId, MemberKind, MeterId, Role, TokenScope, Unit};

#[derive(Clone, Copy, ValueEnum, Debug)]
pub enum MemberKindArg {
    Household,
    Shop,
    Office,
    Commons,
}

impl From<MemberKindArg> for MemberKind {
    fn from(k: MemberKindArg) -> Self {
        match k {
            MemberKindArg::Household => MemberKind::Household,
            MemberKindArg::Shop => MemberKind::Shop,
            MemberKindArg::Office => MemberKind::Office,
            MemberKindArg::Commons => MemberKind::Commons,
        }
    }
}

#[derive(Clone, Copy, ValueEnum, Debug)]
pub enum ChannelKindArg {
    Consumption,
    Production,
    GridImport,
    GridExport,
    Cabin,
}

impl From<ChannelKindArg> for ChannelKind {
    fn from(k: ChannelKindArg) -> Self {
        match k {
            ChannelKindArg::Consumption => ChannelKind::Consumption,
            ChannelKindArg::Production => ChannelKind::Production,
            ChannelKindArg::GridImport => ChannelKind::GridImport,
            ChannelKindArg::GridExport => ChannelKind::GridExport,
            ChannelKindArg::Cabin => ChannelKind::Cabin,
        }
    }
}

#[derive(Clone, Copy, ValueEnum, Debug)]
pub enum RoleArg {
    Resident,
    Coordinator,
    Operator,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Self {
        match r {
            RoleArg::Resident => Role::Resident,
            RoleArg::Coordinator => Role::Coordinator,
            RoleArg::Operator => Role::Operator,
        }
    }
}

#[derive(Clone, Copy, ValueEnum, Debug)]
pub enum UnitArg {
    /// Power, watts.
    #[value(name = "W")]
    W,
    /// A cumulative energy counter, watt-hours.
    #[value(name = "Wh")]
    Wh,
}

impl From<UnitArg> for Unit {
    fn from(u: UnitArg) -> Self {
        match u {
            UnitArg::W => Unit::Watt,
            UnitArg::Wh => Unit::WattHour,
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Members of the community (households, shops, offices, commons).
    Member {
        #[command(subcommand)]
        command: MemberCommand,
    },
    /// Meters (a Flukso, a P1 dongle, the grid operator's meter, a cabin).
    Meter {
        #[command(subcommand)]
        command: MeterCommand,
    },
    /// Channels: the series a meter sends, and what they mean.
    Channel {
        #[command(subcommand)]
        command: ChannelCommand,
    },
    /// Web accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// API and write tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum MemberCommand {
    /// Add a member.
    Add {
        #[arg(long)]
        name: String,
        #[arg(long, value_enum, default_value = "household")]
        kind: MemberKindArg,
        /// The member lets coordinators see its individual curves.
        #[arg(long)]
        consent: bool,
    },
    /// List the members.
    List,
    /// Record whether a member shares its individual curves with coordinators.
    Consent {
        member: i64,
        #[arg(long, value_parser = clap::builder::BoolishValueParser::new())]
        shares: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum MeterCommand {
    /// Add a meter, for a member or for the community (a cabin).
    Add {
        #[arg(long)]
        name: String,
        /// The member it measures.
        #[arg(long)]
        member: Option<i64>,
    },
    /// List the meters with their channels and last contact.
    List,
}

#[derive(Subcommand, Debug)]
pub enum ChannelCommand {
    /// List the channels, assigned or not.
    List,
    /// Create a channel on a meter, with its meaning.
    Add {
        #[arg(long)]
        meter: i64,
        /// The series name devices send it under (the `sensor` tag).
        #[arg(long)]
        key: String,
        #[arg(long, value_enum, default_value = "W")]
        unit: UnitArg,
        #[arg(long, value_enum)]
        kind: ChannelKindArg,
    },
    /// Give a channel a meter and a meaning from an instant on (history is kept).
    Assign {
        /// The channel's id (see `channel list`) …
        #[arg(long, conflicts_with = "key")]
        id: Option<i64>,
        /// … or its series name.
        #[arg(long)]
        key: Option<String>,
        /// With --key, the meter the series is on now, when several meters use the name.
        #[arg(long)]
        on_meter: Option<i64>,
        /// The meter it belongs to from now on.
        #[arg(long)]
        meter: i64,
        #[arg(long, value_enum)]
        kind: ChannelKindArg,
        /// Phase of a three-phase installation (1, 2 or 3).
        #[arg(long)]
        phase: Option<i64>,
        /// From this instant (RFC 3339, e.g. 2024-05-01T00:00:00Z); default: the beginning.
        #[arg(long)]
        from: Option<String>,
        #[arg(long, default_value = "")]
        note: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Add an account; the password is read from VOISINS_PASSWORD or standard input.
    Add {
        #[arg(long)]
        login: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_enum, default_value = "resident")]
        role: RoleArg,
        /// The member a resident belongs to.
        #[arg(long)]
        member: Option<i64>,
        #[arg(long, default_value = "fr")]
        lang: String,
    },
    /// List the accounts.
    List,
    /// Set a new password (from VOISINS_PASSWORD or standard input); ends the user's sessions.
    Passwd { login: String },
    /// Remove an account with its sessions and read tokens.
    Remove { login: String },
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create a token and print it (only its hash is stored).
    Create {
        /// Write readings for this meter only.
        #[arg(long, group = "scope")]
        meter: Option<i64>,
        /// Write readings for any channel of the community.
        #[arg(long, group = "scope")]
        community: bool,
        /// Read what this user may read.
        #[arg(long, group = "scope")]
        user: Option<String>,
        #[arg(long, default_value = "")]
        label: String,
    },
    /// List the tokens (never their secrets).
    List,
    /// Revoke a token by its number.
    Revoke { id: i64 },
}

fn app(config: &Path) -> anyhow::Result<App> {
    crate::config::Config::load(config)?.open_app()
}

fn password() -> anyhow::Result<String> {
    if let Ok(p) = std::env::var("VOISINS_PASSWORD") {
        return Ok(p);
    }
    if std::io::stdin().is_terminal() {
        eprint!(
            "Password (at least {} characters): ",
            app::auth::MIN_PASSWORD_CHARS
        );
    }
    let mut p = String::new();
    std::io::stdin()
        .read_to_string(&mut p)
        .context("reading the password from standard input")?;
    Ok(p.lines().next().unwrap_or("").to_string())
}

fn ago(now_ms: i64, at: Option<i64>) -> String {
    match at {
        None => "never".into(),
        Some(t) => {
            let s = (now_ms - t).max(0) / 1000;
            match s {
                0..=119 => format!("{s} s ago"),
                120..=7199 => format!("{} min ago", s / 60),
                7200..=172_799 => format!("{} h ago", s / 3600),
                _ => format!("{} days ago", s / 86_400),
            }
        }
    }
}

fn stamp(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

pub fn run(config: &Path, cmd: AdminCommand) -> anyhow::Result<()> {
    let app = app(config)?;
    let plain = |e: app::AppError| anyhow::anyhow!("{e}");
    match cmd {
        AdminCommand::Member { command } => match command {
            MemberCommand::Add {
                name,
                kind,
                consent,
            } => {
                let id = app.add_member(&name, kind.into(), consent).map_err(plain)?;
                println!("member {id}");
            }
            MemberCommand::List => {
                println!("{:<5} {:<10} {:<8} name", "id", "kind", "shares");
                for m in app.list_members().map_err(plain)? {
                    println!(
                        "{:<5} {:<10} {:<8} {}",
                        m.id,
                        m.kind,
                        if m.consent_individual { "yes" } else { "no" },
                        m.name
                    );
                }
            }
            MemberCommand::Consent { member, shares } => {
                app.set_consent(MemberId::new(member), shares)
                    .map_err(plain)?;
                println!(
                    "member {member} {} its curves",
                    if shares { "shares" } else { "does not share" }
                );
            }
        },
        AdminCommand::Meter { command } => match command {
            MeterCommand::Add { name, member } => {
                let id = app
                    .add_meter(&name, member.map(MemberId::new))
                    .map_err(plain)?;
                println!("meter {id}");
            }
            MeterCommand::List => {
                let now = app.now_ms();
                println!(
                    "{:<5} {:<18} {:<24} {:<16} channels",
                    "id", "name", "member", "last contact"
                );
                for l in app.list_meters().map_err(plain)? {
                    let channels: Vec<String> = l
                        .channels
                        .iter()
                        .map(|c| {
                            format!(
                                "{} ({})",
                                c.series_key,
                                c.kind().map_or("unassigned".into(), |k| k.to_string())
                            )
                        })
                        .collect();
                    println!(
                        "{:<5} {:<18} {:<24} {:<16} {}",
                        l.meter.id,
                        l.meter.name,
                        l.member.as_deref().unwrap_or("—"),
                        ago(now, l.meter.last_contact_ms),
                        channels.join(", ")
                    );
                }
            }
        },
        AdminCommand::Channel { command } => match command {
            ChannelCommand::List => {
                println!(
                    "{:<5} {:<24} {:<4} {:<12} meter",
                    "id", "series", "unit", "kind"
                );
                for ch in app.list_channels().map_err(plain)? {
                    println!(
                        "{:<5} {:<24} {:<4} {:<12} {}",
                        ch.id,
                        ch.series_key,
                        ch.unit,
                        ch.kind()
                            .map_or("unassigned".to_string(), |k| k.to_string()),
                        ch.meter_id.map_or("—".to_string(), |m| m.to_string())
                    );
                }
            }
            ChannelCommand::Add {
                meter,
                key,
                unit,
                kind,
            } => {
                let id = app
                    .add_channel(MeterId::new(meter), &key, unit.into(), kind.into(), 0)
                    .map_err(plain)?;
                println!("channel {id}");
            }
            ChannelCommand::Assign {
                id,
                key,
                on_meter,
                meter,
                kind,
                phase,
                from,
                note,
            } => {
                let channel = match (id, key) {
                    (Some(id), _) => ChannelRef::Id(domain::ChannelId::new(id)),
                    (None, Some(key)) => ChannelRef::Key {
                        key,
                        meter: on_meter.map(MeterId::new),
                    },
                    (None, None) => anyhow::bail!("say which channel: --id ID or --key NAME"),
                };
                let from_ms = match from {
                    Some(f) => ingest::timestamp::parse_absolute(&f)
                        .map_err(|e| anyhow::anyhow!("--from: {e}"))?,
                    None => 0,
                };
                let kind: ChannelKind = kind.into();
                let ch = app
                    .assign_channel(&channel, MeterId::new(meter), kind, phase, from_ms, &note)
                    .map_err(plain)?;
                println!(
                    "channel {} ({}) is {kind} of meter {meter} from {}",
                    ch.id,
                    ch.series_key,
                    if from_ms == 0 {
                        "the beginning".to_string()
                    } else {
                        stamp(from_ms)
                    }
                );
            }
        },
        AdminCommand::User { command } => match command {
            UserCommand::Add {
                login,
                name,
                role,
                member,
                lang,
            } => {
                let password = password()?;
                let id = app
                    .add_user(
                        &login,
                        &name,
                        role.into(),
                        member.map(MemberId::new),
                        &lang,
                        &password,
                    )
                    .map_err(plain)?;
                println!("user {id} ({})", domain::normalize_login(&login));
            }
            UserCommand::List => {
                println!(
                    "{:<5} {:<16} {:<12} {:<7} {:<5} name",
                    "id", "login", "role", "member", "lang"
                );
                for u in app.list_users().map_err(plain)? {
                    println!(
                        "{:<5} {:<16} {:<12} {:<7} {:<5} {}",
                        u.id,
                        u.login,
                        u.role,
                        u.member_id.map_or("—".to_string(), |m| m.to_string()),
                        u.lang,
                        u.display_name
                    );
                }
            }
            UserCommand::Passwd { login } => {
                let password = password()?;
                app.set_password(&login, &password).map_err(plain)?;
                println!(
                    "password of {} changed; its sessions are ended",
                    login.trim()
                );
            }
            UserCommand::Remove { login } => {
                app.remove_user(&login).map_err(plain)?;
                println!("user {} removed", login.trim());
            }
        },
        AdminCommand::Token { command } => match command {
            TokenCommand::Create {
                meter,
                community,
                user,
                label,
            } => {
                let scope = match (meter, community, user) {
                    (Some(meter_id), _, _) => TokenScope::MeterWrite {
                        meter_id: MeterId::new(meter_id),
                    },
                    (_, true, _) => TokenScope::CommunityWrite,
                    (_, _, Some(login)) => app.user_read_scope(&login).map_err(plain)?,
                    _ => anyhow::bail!(
                        "choose what the token allows: --meter ID, --community or --user LOGIN"
                    ),
                };
                let (_, secret) = app.create_token(scope, &label).map_err(plain)?;
                println!("{secret}");
            }
            TokenCommand::List => {
                println!("{:<5} {:<24} {:<24} label", "id", "scope", "created");
                for t in app.list_tokens().map_err(plain)? {
                    let scope = match t.scope {
                        TokenScope::MeterWrite { meter_id } => format!("write, meter {meter_id}"),
                        TokenScope::CommunityWrite => "write, community".to_string(),
                        TokenScope::UserRead { user_id } => format!("read, user {user_id}"),
                    };
                    println!(
                        "{:<5} {:<24} {:<24} {}",
                        t.id,
                        scope,
                        stamp(t.created_ms),
                        t.label
                    );
                }
            }
            TokenCommand::Revoke { id } => {
                app.revoke_token(id).map_err(plain)?;
                println!("token {id} revoked");
            }
        },
    }
    Ok(())
}
