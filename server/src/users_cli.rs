//! `plume users add|reset|list`: accounts from the command line, on the
//! database directly (so the first admin can be made before any login
//! exists). Links are printed, never passwords: there is no default password.

use std::time::Duration;

use app::store::Store;

use crate::cli::{UsersArgs, UsersCommand};

/// How long a printed set-password link works: as long as the settings
/// page's invite and reset links (one constant, so they cannot drift).
pub const LINK_TTL: Duration = app::api::USER_LINK_TTL;

/// Runs one `plume users` command.
pub async fn run(args: UsersArgs) -> Result<(), Box<dyn std::error::Error>> {
    let (store, writer) = Store::open(&args.database.url()?).await?;
    let base = args.public_url.trim_end_matches('/');
    match args.command {
        UsersCommand::Add { email, role } => {
            let user = store.create_user(&email, role, None).await?;
            let token = store.create_user_link(user.id, LINK_TTL).await?;
            println!("Added {} ({}). They set their password within 7 days at:", user.email, role.as_str());
            println!("{base}/set-password?token={token}");
        }
        UsersCommand::Reset { email } => {
            let user = store.user_by_email(&email).await?.ok_or_else(|| format!("no user {email}"))?;
            let token = store.create_user_link(user.id, LINK_TTL).await?;
            println!("{} sets a new password within 7 days at:", user.email);
            println!("{base}/set-password?token={token}");
        }
        UsersCommand::List => {
            for user in store.users(None, u32::MAX - 1).await?.rows {
                let state = match (user.active, user.password_hash.is_some()) {
                    (false, _) => "deactivated",
                    (true, false) => "invited",
                    (true, true) => "active",
                };
                println!("{}\t{}\t{state}", user.email, user.role().as_str());
            }
        }
    }
    drop(store);
    writer.await?;
    Ok(())
}
