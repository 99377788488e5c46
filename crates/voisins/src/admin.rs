//! Administration from the command line: members, meters, channels, users and tokens.

use std::io::Read;
use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use domain::{ChannelKind, MemberKind, Role};
use store::{NewUser, TokenScope};

#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Members of the community.
    Member {
        #[command(subcommand)]
        command: MemberCommand,
    },
    /// Meters.
    Meter {
        #[command(subcommand)]
        command: MeterCommand,
    },
    /// Channels (series).
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
    Add {
        #[arg(long)]
        config: PathBuf,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "household")]
        kind: String,
        /// The member lets coordinators see its individual curves.
        #[arg(long)]
        consent: bool,
    },
    List {
        #[arg(long)]
        config: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
pub enum MeterCommand {
    Add {
        #[arg(long)]
        config: PathBuf,
        #[arg(long)]
        name: String,
        #[arg(long)]
        member: Option<i64>,
    },
}

#[derive(Subcommand, Debug)]
pub enum ChannelCommand {
    List {
        #[arg(long)]
        config: PathBuf,
    },
    /// Give a channel a meter and a meaning from an instant on (history is kept).
    Assign {
        #[arg(long)]
        config: PathBuf,
        #[arg(long)]
        key: String,
        #[arg(long)]
        meter: i64,
        #[arg(long)]
        kind: String,
        #[arg(long)]
        phase: Option<i64>,
        /// From this instant (RFC 3339); default: the beginning.
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
        config: PathBuf,
        #[arg(long)]
        login: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "resident")]
        role: String,
        #[arg(long)]
        member: Option<i64>,
        #[arg(long, default_value = "fr")]
        lang: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create a token and print it (only its hash is stored).
    Create {
        #[arg(long)]
        config: PathBuf,
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
}

fn open(config: &std::path::Path) -> anyhow::Result<(store::Store, i64)> {
    crate::config::Config::load(config)?.open_store()
}

pub fn run(cmd: AdminCommand) -> anyhow::Result<()> {
    match cmd {
        AdminCommand::Member {
            command:
                MemberCommand::Add {
                    config,
                    name,
                    kind,
                    consent,
                },
        } => {
            let (store, c) = open(&config)?;
            let id = store.add_member(c, &name, MemberKind::parse(&kind)?, consent)?;
            println!("member {id}");
        }
        AdminCommand::Member {
            command: MemberCommand::List { config },
        } => {
            let (store, c) = open(&config)?;
            for m in store.members(c)? {
                println!(
                    "{}\t{}\t{}\tconsent={}",
                    m.id, m.kind, m.name, m.consent_individual
                );
            }
        }
        AdminCommand::Meter {
            command:
                MeterCommand::Add {
                    config,
                    name,
                    member,
                },
        } => {
            let (store, c) = open(&config)?;
            let id = store.add_meter(c, member, &name)?;
            println!("meter {id}");
        }
        AdminCommand::Channel {
            command: ChannelCommand::List { config },
        } => {
            let (store, c) = open(&config)?;
            for ch in store.channels(c)? {
                let kind = ch
                    .kind()
                    .map_or("unassigned".to_string(), |k| k.to_string());
                println!(
                    "{}\t{}\t{}\t{}\tmeter={:?}",
                    ch.id, ch.series_key, ch.unit, kind, ch.meter_id
                );
            }
        }
        AdminCommand::Channel {
            command:
                ChannelCommand::Assign {
                    config,
                    key,
                    meter,
                    kind,
                    phase,
                    from,
                    note,
                },
        } => {
            let (store, c) = open(&config)?;
            let channel = store
                .channel_by_key(c, &key)?
                .with_context(|| format!("no channel '{key}'"))?;
            let from_ms = match from {
                Some(f) => f
                    .parse::<jiff::Timestamp>()
                    .with_context(|| format!("--from '{f}'"))?
                    .as_millisecond(),
                None => 0,
            };
            store.assign_channel(
                channel.id,
                meter,
                ChannelKind::parse(&kind)?,
                phase,
                from_ms,
                &note,
            )?;
            println!("channel {key} is {kind} of meter {meter}");
        }
        AdminCommand::User {
            command:
                UserCommand::Add {
                    config,
                    login,
                    name,
                    role,
                    member,
                    lang,
                },
        } => {
            let (store, c) = open(&config)?;
            let password = match std::env::var("VOISINS_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    let mut p = String::new();
                    std::io::stdin().read_to_string(&mut p)?;
                    p.trim_end_matches(['\n', '\r']).to_string()
                }
            };
            anyhow::ensure!(
                password.chars().count() >= 10,
                "the password must have at least 10 characters"
            );
            let id = store.create_user(&NewUser {
                community_id: c,
                login,
                display_name: name,
                password_hash: app::auth::hash_password(&password),
                role: Role::parse(&role)?,
                member_id: member,
                lang,
            })?;
            println!("user {id}");
        }
        AdminCommand::Token {
            command:
                TokenCommand::Create {
                    config,
                    meter,
                    community,
                    user,
                    label,
                },
        } => {
            let (store, c) = open(&config)?;
            let scope = match (meter, community, user) {
                (Some(meter_id), _, _) => TokenScope::MeterWrite { meter_id },
                (_, true, _) => TokenScope::CommunityWrite,
                (_, _, Some(login)) => TokenScope::UserRead {
                    user_id: store
                        .user_by_login(&login)?
                        .with_context(|| format!("no user '{login}'"))?
                        .id,
                },
                _ => anyhow::bail!("choose --meter ID, --community or --user LOGIN"),
            };
            let token = app::auth::new_secret();
            store.create_token(&app::auth::secret_hash(&token), c, scope, &label)?;
            println!("{token}");
        }
    }
    Ok(())
}
