//! The forum on the news overview (E12): an account (name, user name,
//! e-mail, password as an argon2id hash), posts and replies on news items,
//! optional e-mail notification of replies. Basis is consent, withdrawn by
//! deleting the account — which deletes every post and reply of it; replies
//! of others stay, without the deleted text.

use grondslag_kernel::{Access, Detail, Fields, Kernel, RecordRef, SubjectId, Value, verify_password};
use grondslag_register::{Action, Category, CategorySet, ProcessingId};

use crate::ChannelError;

const PROCESSING: &str = "forum";
const USERNAME: &str = "username";
const THREAD: &str = "thread";
const AUTHOR: &str = "author";

/// A new forum account, as the sign-up form hands it in.
#[derive(Clone, Debug)]
pub struct Account {
    /// The member's own name.
    pub name: String,
    /// The name posts appear under; unique, compared in lower case.
    pub username: String,
    /// For reply notifications.
    pub email: String,
    /// Checked against the password policy; stored only as a hash.
    pub password: String,
    /// E-mail me when someone replies to my posts.
    pub notify: bool,
}

/// A post as others see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Post {
    /// The stored post.
    pub record: RecordRef,
    /// The author's username.
    pub author: String,
    /// What the post says.
    pub text: String,
    /// The post this replies to, if any; its text may be gone.
    pub reply_to: Option<String>,
}

/// An account [`Forum::prepare`] checked, its password hashed: for
/// [`Forum::register_prepared`].
pub struct PreparedAccount {
    username: String,
    notify: bool,
    fields: Fields,
}

/// Without the fields: they hold the password's hash.
impl std::fmt::Debug for PreparedAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedAccount").field("username", &self.username).finish_non_exhaustive()
    }
}

/// The community forum: accounts, threads and posts.
#[derive(Clone, Debug)]
pub struct Forum<'k> {
    kernel: &'k Kernel,
    processing: ProcessingId,
}

impl<'k> Forum<'k> {
    /// The forum on the kernel, under the forum processing of its register.
    pub fn new(kernel: &'k Kernel) -> Result<Forum<'k>, ChannelError> {
        Ok(Forum { kernel, processing: kernel.processing(PROCESSING)? })
    }

    /// Creates an account, on consent, with a password that meets the policy.
    pub fn register(&self, access: &Access, account: &Account, consent: bool) -> Result<RecordRef, ChannelError> {
        self.register_prepared(access, &self.prepare(account, consent)?)
    }

    /// The first half of [`Forum::register`]: checks the consent and the
    /// password policy, and hashes the password (argon2id: slow by design,
    /// so a bulk load does it on a thread of its own while it writes).
    pub fn prepare(&self, account: &Account, consent: bool) -> Result<PreparedAccount, ChannelError> {
        if !consent {
            return Err(ChannelError::NoConsent);
        }
        grondslag_values::check_password(&account.password, &[&account.username, &account.email, &account.name])?;
        let fields = self.kernel.prepare(&[
            (Category::Name, Value::text(account.name.clone())),
            (Category::Username, Value::text(account.username.clone())),
            (Category::Email, Value::text(account.email.clone())),
            (Category::Password, Value::text(account.password.clone())),
        ])?;
        Ok(PreparedAccount { username: account.username.clone(), notify: account.notify, fields })
    }

    /// The second half of [`Forum::register`]: stores the account, unless
    /// its user name was taken meanwhile.
    pub fn register_prepared(&self, access: &Access, PreparedAccount { username, notify, fields }: &PreparedAccount) -> Result<RecordRef, ChannelError> {
        let key = username.to_lowercase();
        self.kernel.unit(|unit| {
            // Looked up in the unit that takes the name: two registrations
            // of one name at the same moment cannot both find it free.
            if !unit.find_records(access, self.processing, USERNAME, &key)?.is_empty() {
                return Err(ChannelError::Taken(username.clone()));
            }
            let record = unit.write_prepared(access, self.processing, None, None, fields)?;
            let notify = if *notify { "notify_replies" } else { "no_notifications" };
            unit.record_event(access, self.processing, &record, Action::File, "account_created", Some("active"), Some(Detail::to(Category::Email, notify)))?;
            unit.index_record(access, self.processing, &record, USERNAME, &key)?;
            Ok(record)
        })
    }

    /// The account's subject, when user name and password match.
    pub fn login(&self, access: &Access, username: &str, password: &str) -> Result<SubjectId, ChannelError> {
        for found in self.kernel.find_records(access, self.processing, USERNAME, &username.to_lowercase())? {
            let hash = self.kernel.read_record(access, self.processing, &found.record, CategorySet::EMPTY.with(Category::Password))?;
            if hash.as_ref().and_then(|v| v.get(Category::Password)).and_then(Value::as_text).is_some_and(|h| verify_password(h, password)) {
                return Ok(found.record.subject);
            }
        }
        Err(ChannelError::WrongPassword)
    }

    /// Posts on a news item, or replies to a post there.
    pub fn post(&self, access: &Access, author: &SubjectId, news_item: &str, text: &str, reply_to: Option<&RecordRef>) -> Result<RecordRef, ChannelError> {
        if text.trim().is_empty() {
            return Err(ChannelError::Missing("the text of the post"));
        }
        self.kernel.unit(|unit| {
            let record = unit.write(access, self.processing, Some(author), None, &[(Category::FreeText, Value::text(text))])?;
            unit.record_event(
                access,
                self.processing,
                &record,
                Action::File,
                "posted",
                None,
                reply_to.map(|r| r.record.to_string()).as_deref().map(|r| Detail::to(Category::FreeText, r)),
            )?;
            unit.index_record(access, self.processing, &record, THREAD, news_item)?;
            unit.index_record(access, self.processing, &record, AUTHOR, author.as_str())?;
            Ok(record)
        })
    }

    /// The posts on a news item, oldest first.
    pub fn thread(&self, access: &Access, news_item: &str) -> Result<Vec<Post>, ChannelError> {
        let mut posts = Vec::new();
        for found in self.kernel.find_records(access, self.processing, THREAD, news_item)? {
            let text = self.text(access, &found.record, Category::FreeText)?;
            let author = self
                .kernel
                .read(access, self.processing, &found.record.subject, CategorySet::EMPTY.with(Category::Username))?
                .iter()
                .find_map(|v| v.get(Category::Username).and_then(Value::as_text).map(str::to_string))
                .unwrap_or_default();
            let reply_to = self.kernel.events(access, self.processing, &found.record)?.into_iter().find(|e| e.event == "posted").and_then(|e| e.detail);
            posts.push(Post { record: found.record, author, text, reply_to });
        }
        Ok(posts)
    }

    fn text(&self, access: &Access, record: &RecordRef, category: Category) -> Result<String, ChannelError> {
        Ok(self
            .kernel
            .read_record(access, self.processing, record, CategorySet::EMPTY.with(category))?
            .and_then(|v| v.get(category).and_then(Value::as_text).map(str::to_string))
            .unwrap_or_default())
    }

    /// Deletes the account and with it every post and reply of it: the
    /// account holder's whole subject, key included.
    pub fn delete_account(&self, access: &Access, account: &SubjectId) -> Result<u64, ChannelError> {
        Ok(self.kernel.erase(access, self.processing, account)?.records)
    }
}
