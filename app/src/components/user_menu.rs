//! The header's account corner: who is logged in, their role, their keys,
//! the users page for admins, and the logout button (a form: works without
//! JavaScript). Nothing with auth off.

use leptos::prelude::*;

use crate::model::accounts::{Permission, Role};

/// The logged-in user's menu.
#[component]
pub fn UserMenu() -> impl IntoView {
    crate::api::viewer().map(|user| {
        let admin = user.can(Permission::Admin);
        let role = user.role.map(Role::as_str).unwrap_or_default();
        view! {
            <nav class="user-menu" aria-label="Account">
                <span class="user-name" data-user=user.name.clone()>
                    {user.name.clone()} " " <span class="role-badge">{role}</span>
                </span>
                <a href="/settings/api-keys">"API keys"</a>
                {admin.then(|| view! { <a href="/settings/users">"Users"</a> })}
                <form method="post" action="/auth/logout" class="inline-form">
                    <button type="submit" class="button small">"Log out"</button>
                </form>
            </nav>
        }
    })
}
