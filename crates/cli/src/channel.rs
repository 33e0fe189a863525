//! `grondslag contact|newsletter|forum|media …`: the public channels from the
//! command line.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Subcommand;
use grondslag_accounts::{Accounts, Policy};
use grondslag_channels::contact::{ContactForm, Kind, Message};
use grondslag_channels::forum::{Account, Forum};
use grondslag_channels::media::Media;
use grondslag_channels::newsletter::{Newsletter, Subscription};
use grondslag_kernel::{Kernel, RecordRef, Value};
use grondslag_register::{Category, Role};

use crate::Failure;
use crate::context::{Actor, Context};

#[derive(Subcommand, Debug)]
pub enum ContactCommand {
    /// Receive a message from the contact form (as the website).
    Submit {
        /// question, priority, feedback or complaint.
        #[arg(long, default_value = "question")]
        kind: String,
        /// A field as category=value, e.g. name="Anna de Vries"; repeat it.
        #[arg(long = "field", value_name = "CATEGORY=VALUE")]
        fields: Vec<String>,
        /// The message itself.
        #[arg(long)]
        text: String,
        /// The sender agreed to the use of their data for this message.
        #[arg(long)]
        consent: bool,
    },
    /// Open messages and complaints, with their handles.
    List {
        #[arg(long)]
        status: Option<String>,
    },
    /// Answer a message (a complaint's reply names the Autoriteit Persoonsgegevens).
    Answer { handle: String, text: String },
    /// Hand a complaint on to the FG.
    Escalate { handle: String },
    /// The sender is satisfied with the answer (their link).
    Satisfied { link: String },
    /// The sender withdraws consent (their link): the message is deleted at once.
    Withdraw { link: String },
}

#[derive(Subcommand, Debug)]
pub enum NewsletterCommand {
    /// Subscribe by e-mail (--email) or by post (--address and --postcode-city), on consent.
    Subscribe {
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        address: Option<String>,
        #[arg(long)]
        postcode_city: Option<String>,
        #[arg(long)]
        consent: bool,
    },
    /// Unsubscribe with the personal link's token from an issue.
    Unsubscribe { token: String },
    /// Unsubscribe a postal subscription by its address (the website's form).
    UnsubscribePost { address: String, postcode_city: String },
    /// Produce an issue: one message per e-mail subscriber in --outbox, postal labels in --labels.
    Issue {
        #[arg(long)]
        title: String,
        /// A file with the issue's text.
        #[arg(long)]
        body: PathBuf,
        #[arg(long)]
        outbox: PathBuf,
        #[arg(long)]
        labels: PathBuf,
        /// Where the unsubscribe link points.
        #[arg(long, default_value = "https://www.schadedoormijnbouw.nl/nieuwsbrief/afmelden")]
        link_base: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum ForumCommand {
    /// Create an account on consent; the password is read from standard input.
    Register {
        #[arg(long)]
        name: String,
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
        /// Send an e-mail when someone replies to my posts.
        #[arg(long)]
        notify: bool,
        #[arg(long)]
        consent: bool,
    },
    /// Delete an account with all its posts; the password is read from standard input.
    Delete {
        #[arg(long)]
        username: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum MediaCommand {
    /// Store a recorded call (E18), kept 28 days.
    IngestCall {
        file: PathBuf,
        /// audio/wav, audio/mpeg or audio/ogg; checked against the content.
        #[arg(long = "type")]
        media_type: String,
        #[arg(long)]
        caller: String,
        #[arg(long, default_value = "")]
        meta: String,
    },
    /// Store camera footage (E16), kept four weeks.
    IngestFootage {
        file: PathBuf,
        /// video/mp4 or video/webm; checked against the content.
        #[arg(long = "type")]
        media_type: String,
        #[arg(long)]
        place: String,
    },
    /// View footage (logged in the protocol) and write it to --out.
    ViewFootage {
        handle: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// Place a hold on a recording or footage: it is kept until released.
    Hold {
        handle: String,
        #[arg(long)]
        reason: String,
        /// When the hold is to be reviewed (YYYY-MM-DD); overdue reviews are listed by `retention report`.
        #[arg(long)]
        review: String,
        /// call or footage.
        #[arg(long, default_value = "call")]
        kind: String,
    },
    /// Release a hold; a recording past its term is then due at once.
    Release {
        handle: String,
        #[arg(long)]
        outcome: String,
        #[arg(long, default_value = "call")]
        kind: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum ChannelCommand {
    /// The contact form (E11).
    #[command(subcommand)]
    Contact(ContactCommand),
    /// Newsletters by post and e-mail (E14).
    #[command(subcommand)]
    Newsletter(NewsletterCommand),
    /// The news forum (E12).
    #[command(subcommand)]
    Forum(ForumCommand),
    /// Recorded calls (E18) and camera footage (E16).
    #[command(subcommand)]
    Media(MediaCommand),
}

fn handle(text: &str) -> Result<RecordRef, Failure> {
    text.parse().map_err(|e| Failure(format!("`{text}` is not a handle (subject.record, as listed): {e}")))
}

fn password_from_stdin() -> Result<String, Failure> {
    let mut password = String::new();
    std::io::stdin().read_to_string(&mut password).map_err(|e| Failure(format!("cannot read the password from standard input: {e}")))?;
    Ok(password.trim_end_matches(['\n', '\r']).to_string())
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    crate::private_file::write(path, bytes)
}

/// The role each channel command acts in unless `--role` says otherwise:
/// the public for what the website does, staff for the rest.
fn default_role(command: &ChannelCommand) -> Role {
    match command {
        ChannelCommand::Contact(ContactCommand::Submit { .. } | ContactCommand::Satisfied { .. } | ContactCommand::Withdraw { .. }) => Role::Public,
        ChannelCommand::Contact(ContactCommand::Escalate { .. }) => Role::PrivacyOfficer,
        ChannelCommand::Contact(_) => Role::ContactCentre,
        ChannelCommand::Newsletter(NewsletterCommand::Issue { .. }) => Role::Communications,
        ChannelCommand::Newsletter(_) | ChannelCommand::Forum(_) => Role::Public,
        ChannelCommand::Media(MediaCommand::IngestCall { .. }) => Role::System,
        ChannelCommand::Media(MediaCommand::Hold { kind, .. } | MediaCommand::Release { kind, .. }) if kind == "call" => Role::PrivacyOfficer,
        ChannelCommand::Media(_) => Role::FacilitySecurity,
    }
}

pub fn run(context: &Context, actor: &Actor, command: ChannelCommand) -> Result<(), Failure> {
    let accounts = Accounts::new(Arc::new(context.open_kernel()?), Policy::default())?;
    let kernel: &Kernel = accounts.kernel();
    let access = context.access(&accounts, actor, default_role(&command))?;
    match command {
        ChannelCommand::Contact(command) => {
            let form = ContactForm::new(kernel)?;
            match command {
                ContactCommand::Submit { kind, fields, text, consent } => {
                    let kind = Kind::from_name(&kind).ok_or_else(|| Failure(format!("unknown kind `{kind}`; use {}", Kind::choices())))?;
                    let mut parsed = fields
                        .iter()
                        .map(|f| {
                            let (name, value) = f.split_once('=').ok_or_else(|| Failure(format!("`{f}`: write a field as category=value")))?;
                            let category = Category::from_name(name).ok_or_else(|| Failure(format!("`{name}` is not a category")))?;
                            Ok((category, value.to_string()))
                        })
                        .collect::<Result<Vec<_>, Failure>>()?;
                    parsed.push((Category::FreeText, text));
                    let received = form.submit(&access, &Message { kind, fields: parsed, consent })?;
                    say!("received {}\nthe sender's link token: {}", received.message, received.link);
                }
                ContactCommand::List { status } => {
                    for message in kernel.list_all(&access, form.processing(), status.as_deref())? {
                        say!("{}  {:<10} {}", message.record, message.status.as_deref().unwrap_or("?"), message.updated_at);
                    }
                }
                ContactCommand::Answer { handle: h, text } => say!("{}", form.answer(&access, &handle(&h)?, &text)?),
                ContactCommand::Escalate { handle: h } => {
                    form.escalate(&access, &handle(&h)?)?;
                    say!("handed to the FG");
                }
                ContactCommand::Satisfied { link } => {
                    form.satisfied(&access, &link)?;
                    say!("thank you; the message will be deleted");
                }
                ContactCommand::Withdraw { link } => {
                    form.withdraw(&access, &link)?;
                    say!("consent withdrawn; the message is deleted");
                }
            }
        }
        ChannelCommand::Newsletter(command) => {
            let letters = Newsletter::new(kernel)?;
            match command {
                NewsletterCommand::Subscribe { name, email, address, postcode_city, consent } => {
                    let subscription = match (email, address, postcode_city) {
                        (Some(email), None, None) => Subscription::Email { name, email },
                        (None, Some(address), Some(postcode_city)) => Subscription::Post { name, address, postcode_city },
                        _ => return Err(Failure("give --email, or --address with --postcode-city".to_string())),
                    };
                    say!("subscribed: {}", letters.subscribe(&access, &subscription, consent)?);
                }
                NewsletterCommand::Unsubscribe { token } => {
                    letters.unsubscribe(&access, &token)?;
                    say!("unsubscribed; your data is deleted");
                }
                NewsletterCommand::UnsubscribePost { address, postcode_city } => {
                    say!("{} postal subscription(s) ended", letters.unsubscribe_post(&access, &address, &postcode_city)?);
                }
                NewsletterCommand::Issue { title, body, outbox, labels, link_base } => {
                    let text = fs::read_to_string(&body).map_err(|e| Failure(format!("cannot read {}: {e}", body.display())))?;
                    let issue = letters.produce(&access, &title, &text, &link_base)?;
                    fs::create_dir_all(&outbox).map_err(|e| Failure(format!("cannot create {}: {e}", outbox.display())))?;
                    for (i, (_, message)) in issue.emails.iter().enumerate() {
                        write(&outbox.join(format!("{:05}.eml", i + 1)), message.as_bytes())?;
                    }
                    write(&labels, issue.labels_csv.as_bytes())?;
                    say!("{} e-mail(s) in {}, labels in {}", issue.emails.len(), outbox.display(), labels.display());
                }
            }
        }
        ChannelCommand::Forum(command) => {
            let forum = Forum::new(kernel)?;
            match command {
                ForumCommand::Register { name, username, email, notify, consent } => {
                    let password = password_from_stdin()?;
                    forum.register(&access, &Account { name, username: username.clone(), email, password, notify }, consent)?;
                    say!("account {username} created");
                }
                ForumCommand::Delete { username } => {
                    let account = forum.login(&access, &username, &password_from_stdin()?)?;
                    say!("account {username} deleted with {} record(s)", forum.delete_account(&access, &account)?);
                }
            }
        }
        ChannelCommand::Media(command) => {
            let media = Media::new(kernel)?;
            let read = |path: &Path, limit: usize| -> Result<Vec<u8>, Failure> {
                let size = fs::metadata(path).map_err(|e| Failure(format!("cannot read {}: {e}", path.display())))?.len();
                if size > limit as u64 {
                    return Err(Failure(format!("{}: {size} bytes is more than the {limit} allowed", path.display())));
                }
                fs::read(path).map_err(|e| Failure(format!("cannot read {}: {e}", path.display())))
            };
            let processing = |kind: &str| match kind {
                "call" => Ok(media.calls()),
                "footage" => Ok(media.camera()),
                other => Err(Failure(format!("unknown kind `{other}`; use call or footage"))),
            };
            match command {
                MediaCommand::IngestCall { file, media_type, caller, meta } => {
                    let record = media.ingest_call(&access, read(&file, grondslag_channels::media::MAX_RECORDING)?, &media_type, &caller, &meta)?;
                    say!("recording stored: {record}");
                }
                MediaCommand::IngestFootage { file, media_type, place } => {
                    let record = media.ingest_footage(&access, read(&file, grondslag_channels::media::MAX_FOOTAGE)?, &media_type, &place)?;
                    say!("footage stored: {record}");
                }
                MediaCommand::ViewFootage { handle: h, out } => {
                    let view = media.view_footage(&access, &handle(&h)?)?.ok_or_else(|| Failure(format!("no footage {h}")))?;
                    match view.get(Category::CameraFootage) {
                        Some(Value::Bytes(bytes)) => write(&out, bytes)?,
                        _ => return Err(Failure(format!("no footage {h}"))),
                    }
                    say!("written to {} (this viewing is logged)", out.display());
                }
                MediaCommand::Hold { handle: h, reason, review, kind } => {
                    let review = grondslag_values::Date::parse(&review)?.civil().to_zoned(grondslag_values::dutch::amsterdam())?.timestamp();
                    media.hold(&access, processing(&kind)?, &handle(&h)?, &reason, review)?;
                    say!("hold placed");
                }
                MediaCommand::Release { handle: h, outcome, kind } => {
                    media.release(&access, processing(&kind)?, &handle(&h)?, &outcome)?;
                    say!("hold released");
                }
            }
        }
    }
    Ok(())
}
