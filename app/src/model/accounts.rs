//! Accounts: roles, what each role and key scope may do, users and API keys
//! as `/v1/users` and `/v1/user/api_keys` show them (Phoenix's shapes), and
//! the [`Principal`] a request acts as.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::time::serde_iso;

/// Shortest password accepted.
pub const MIN_PASSWORD_LENGTH: usize = 12;

/// A user's role, weakest last. Names as Phoenix spells them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "UPPERCASE")]
pub enum Role {
    /// Everything, including users, keys and deleting data.
    Admin,
    /// Also collections, public links, annotation configs, feedback tokens, ingestion.
    Member,
    /// Reads, and annotates, writes notes and flags (own work only).
    Annotator,
    /// Reads.
    Viewer,
}

impl Role {
    /// Every role, strongest first.
    pub const ALL: [Role; 4] = [Role::Admin, Role::Member, Role::Annotator, Role::Viewer];

    /// `ADMIN`, `MEMBER`, `ANNOTATOR` or `VIEWER`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "ADMIN",
            Role::Member => "MEMBER",
            Role::Annotator => "ANNOTATOR",
            Role::Viewer => "VIEWER",
        }
    }

    /// A role from its name, any case.
    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str().eq_ignore_ascii_case(text.trim()))
    }

    /// What the role may do.
    pub fn grants(self) -> Grants {
        use Permission::*;
        match self {
            Role::Admin => Grants::of(&[Read, Annotate, Manage, Feedback, Ingest, Admin]),
            Role::Member => Grants::of(&[Read, Annotate, Manage, Feedback, Ingest]),
            Role::Annotator => Grants::of(&[Read, Annotate]),
            Role::Viewer => Grants::of(&[Read]),
        }
    }
}

/// One thing a request may need leave to do. Each route needs one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Permission {
    /// Read projects, traces, spans, annotations, collections.
    Read,
    /// Annotate, write notes, 👍/👎, flag into collections; change or delete one's own.
    Annotate,
    /// Create and rename collections, public links, annotation configs.
    Manage,
    /// Mint feedback tokens for the widget.
    Feedback,
    /// Send traces (OTLP).
    Ingest,
    /// Delete others' work and data; users, keys, settings.
    Admin,
}

impl Permission {
    /// Every permission.
    pub const ALL: [Permission; 6] = [
        Permission::Read,
        Permission::Annotate,
        Permission::Manage,
        Permission::Feedback,
        Permission::Ingest,
        Permission::Admin,
    ];

    /// The lowercase name (also the OpenAPI security scope of the routes needing it).
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::Read => "read",
            Permission::Annotate => "annotate",
            Permission::Manage => "manage",
            Permission::Feedback => "feedback",
            Permission::Ingest => "ingest",
            Permission::Admin => "admin",
        }
    }

    /// A permission from its name.
    pub fn parse(text: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.as_str() == text)
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// A scope of a service key (or one narrowing a personal key).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// OTLP over HTTP and gRPC.
    Ingest,
    /// Span, trace and session annotations and notes.
    Annotate,
    /// Mint widget feedback tokens.
    Feedback,
    /// Read everything.
    Read,
    /// Everything an admin may do.
    Admin,
}

impl Scope {
    /// Every scope.
    pub const ALL: [Scope; 5] = [Scope::Ingest, Scope::Annotate, Scope::Feedback, Scope::Read, Scope::Admin];

    /// What a service key gets when its creator names no scopes: everything
    /// an application needs, nothing of an admin's.
    pub const DEFAULT: [Scope; 4] = [Scope::Ingest, Scope::Annotate, Scope::Feedback, Scope::Read];

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Ingest => "ingest",
            Scope::Annotate => "annotate",
            Scope::Feedback => "feedback",
            Scope::Read => "read",
            Scope::Admin => "admin",
        }
    }

    /// A scope from its name, any case.
    pub fn parse(text: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|scope| scope.as_str().eq_ignore_ascii_case(text.trim()))
    }

    /// What the scope allows.
    pub fn grants(self) -> Grants {
        match self {
            Scope::Ingest => Grants::of(&[Permission::Ingest]),
            Scope::Annotate => Grants::of(&[Permission::Annotate]),
            Scope::Feedback => Grants::of(&[Permission::Feedback]),
            Scope::Read => Grants::of(&[Permission::Read]),
            Scope::Admin => Role::Admin.grants(),
        }
    }

    /// Scopes from their comma-separated names (as stored); unknown names are skipped.
    pub fn parse_list(text: &str) -> Vec<Scope> {
        text.split(',').filter_map(Scope::parse).collect()
    }

    /// The comma-separated names.
    pub fn join(scopes: &[Scope]) -> String {
        scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",")
    }
}

/// A set of permissions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Grants(u8);

impl Grants {
    /// Everything (auth off: the one local user may do anything).
    pub const ALL: Grants = Grants(0x3f);

    /// These permissions.
    pub fn of(permissions: &[Permission]) -> Grants {
        Grants(permissions.iter().fold(0, |bits, p| bits | p.bit()))
    }

    /// What several scopes allow together.
    pub fn of_scopes(scopes: &[Scope]) -> Grants {
        Grants(scopes.iter().fold(0, |bits, s| bits | s.grants().0))
    }

    /// Whether `permission` is granted.
    pub fn allows(self, permission: Permission) -> bool {
        self.0 & permission.bit() != 0
    }

    /// What both allow.
    pub fn and(self, other: Grants) -> Grants {
        Grants(self.0 & other.0)
    }
}

/// Who a request acts as, put in the request's extensions by the server's
/// authentication (and read by handlers and server functions for
/// attribution and ownership).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    /// The user (a session, or a personal key's owner); `None` for a service
    /// key and when auth is off.
    pub user_id: Option<i64>,
    /// The key used, if any.
    pub api_key_id: Option<i64>,
    /// The user's email or the key's name, to show.
    pub name: String,
    /// The user's role (`None` for service keys and auth off).
    pub role: Option<Role>,
    /// What it may do.
    pub grants: Grants,
    /// The browser session, if that is the credential.
    pub session_id: Option<i64>,
    /// When the credential stops working by itself (ns since the epoch), if
    /// it does: a cached principal is not used past it.
    #[serde(default)]
    pub expires_at: Option<i64>,
}

impl Principal {
    /// Auth off: one local user who may do anything, attributed to nobody.
    pub fn local() -> Principal {
        Principal {
            user_id: None,
            api_key_id: None,
            name: String::new(),
            role: None,
            grants: Grants::ALL,
            session_id: None,
            expires_at: None,
        }
    }

    /// No credential: may do nothing (what a server function sees if the
    /// server put no principal in the request, which it always does).
    pub fn nobody() -> Principal {
        Principal { grants: Grants::default(), ..Principal::local() }
    }

    /// The identifier that keeps this user's annotations of a name apart
    /// from everyone else's (`user:<rowid>`, then `:<identifier>` if given);
    /// `identifier` as is for no user (auth off, service keys).
    pub fn own_identifier(&self, identifier: &str) -> String {
        let Some(user) = self.user_id else { return identifier.trim().to_owned() };
        let own = format!("user:{user}");
        match identifier.trim() {
            "" => own,
            given if given == own || given.starts_with(&format!("{own}:")) => given.to_owned(),
            given => format!("{own}:{given}"),
        }
    }

    /// Whether it may do `permission`.
    pub fn can(&self, permission: Permission) -> bool {
        self.grants.allows(permission)
    }

    /// Who made what this principal writes.
    pub fn author(&self) -> Author {
        Author { user_id: self.user_id, api_key_id: self.api_key_id }
    }

    /// Whose work a change or deletion by this principal may touch: `None`
    /// for anyone's (admins), else only its own.
    pub fn own_work_only(&self) -> Option<Author> {
        (!self.can(Permission::Admin)).then(|| self.author())
    }

    /// Whether work by `author` is this principal's own (so it may change or
    /// delete it without the admin permission). Work with no author (made
    /// with auth off) belongs to admins only, unless auth is off now.
    pub fn owns(&self, author: Author) -> bool {
        self.can(Permission::Admin) || self.author().made(author)
    }
}

/// Who made a row: a user, a key, both (a personal key) or nobody (auth off).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    /// The user.
    pub user_id: Option<i64>,
    /// The key.
    pub api_key_id: Option<i64>,
}

impl Author {
    /// Whether a row by `row` is this author's own work: a user's rows are
    /// theirs (whichever of their keys made them), a service key's are those
    /// it made with no user, and work with no author is nobody's.
    pub fn made(self, row: Author) -> bool {
        match (self.user_id, self.api_key_id) {
            (Some(user), _) => row.user_id == Some(user),
            (None, Some(key)) => row.user_id.is_none() && row.api_key_id == Some(key),
            (None, None) => false,
        }
    }
}

/// A user as `/v1/users` and `/v1/user` show it (Phoenix's `LocalUser`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct User {
    /// Global id, `User:<rowid>`.
    pub id: crate::ids::UserId,
    /// Login name; Plume's usernames are the email.
    pub email: String,
    /// Same as `email` (Phoenix has both).
    pub username: String,
    /// `ADMIN`, `MEMBER`, `ANNOTATOR` or `VIEWER`.
    pub role: Role,
    /// Always `LOCAL`.
    pub auth_method: String,
    /// Whether the user has yet to set a password (an open invite).
    pub password_needs_reset: bool,
    /// `false` once deactivated: the user's sessions and keys stop working.
    pub active: bool,
    /// When made.
    #[serde(with = "serde_iso")]
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub created_at: DateTime<Utc>,
    /// When last changed.
    #[serde(with = "serde_iso")]
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub updated_at: DateTime<Utc>,
}

/// An API key as listed (never the key itself).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ApiKey {
    /// Global id: `UserApiKey:<rowid>` (personal) or `SystemApiKey:<rowid>` (service).
    pub id: crate::ids::ApiKeyId,
    /// What it is for.
    pub name: String,
    /// More words, optional.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The key's first characters, to recognise it.
    pub prefix: String,
    /// What it may do (a personal key: also at most its owner's role).
    pub scopes: Vec<Scope>,
    /// When made.
    #[serde(with = "serde_iso")]
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub created_at: DateTime<Utc>,
    /// When it stops working (ISO 8601), if ever.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// When last used (ISO 8601, to the minute), if ever.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<String>,
}

/// A key just made: the only time the key itself is shown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CreatedApiKey {
    /// The key as listed.
    #[serde(flatten)]
    pub listed: ApiKey,
    /// `plume_…`: send it as `Authorization: Bearer <key>`.
    pub key: String,
}

/// Body of `POST /v1/user/api_keys` and `POST /v1/system/api_keys`: `{"data": …}`.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ApiKeyRequest {
    /// What it is for.
    pub name: String,
    /// More words.
    #[serde(default)]
    pub description: Option<String>,
    /// When it stops working (ISO 8601, in the future); never when absent.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub expires_at: Option<String>,
    /// Scopes; a service key without them gets `ingest`, `annotate`,
    /// `feedback` and `read`; a personal key without them has its owner's role.
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_grant_the_table_of_issue_11() {
        use Permission::*;
        let viewer = Role::Viewer.grants();
        assert!(viewer.allows(Read) && !viewer.allows(Annotate));
        let annotator = Role::Annotator.grants();
        assert!(annotator.allows(Annotate) && !annotator.allows(Manage) && !annotator.allows(Feedback));
        let member = Role::Member.grants();
        assert!(member.allows(Manage) && member.allows(Feedback) && !member.allows(Admin));
        assert_eq!(Role::Admin.grants(), Grants::ALL);
        assert_eq!(Role::parse("annotator"), Some(Role::Annotator));
        assert_eq!(Role::parse("owner"), None);
    }

    #[test]
    fn scopes_grant_only_what_they_name() {
        let ingest = Grants::of_scopes(&[Scope::Ingest]);
        assert!(ingest.allows(Permission::Ingest) && !ingest.allows(Permission::Read));
        assert_eq!(Grants::of_scopes(&[Scope::Admin]), Grants::ALL);
        // A personal key narrowed to `read` by a member reads, nothing more.
        let narrowed = Role::Member.grants().and(Grants::of_scopes(&[Scope::Read, Scope::Admin]));
        assert!(narrowed.allows(Permission::Read) && !narrowed.allows(Permission::Admin));
        assert_eq!(Scope::parse_list("read,bogus,ingest"), vec![Scope::Read, Scope::Ingest]);
    }

    #[test]
    fn only_admins_touch_others_work() {
        let mut annotator = Principal::local();
        annotator.user_id = Some(7);
        annotator.grants = Role::Annotator.grants();
        assert!(annotator.owns(Author { user_id: Some(7), api_key_id: Some(3) }));
        assert!(!annotator.owns(Author { user_id: Some(8), api_key_id: None }));
        assert!(!annotator.owns(Author::default()));
        assert!(Principal::local().owns(Author { user_id: Some(8), api_key_id: None }));
    }
}
