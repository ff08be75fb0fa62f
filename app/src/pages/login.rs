//! `/login` and `/set-password`: plain forms posted to the server's
//! `/auth/login` and `/auth/set-password` (no JavaScript needed). The server
//! redirects back here with `?error=…` when something is wrong.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::model::accounts::MIN_PASSWORD_LENGTH;

/// The login page.
#[component]
pub fn Login() -> impl IntoView {
    let query = use_query_map().read_untracked().clone();
    let next = query.get("next").unwrap_or_else(|| "/".to_owned());
    let error = query.get("error");
    let password_set = query.get("notice").as_deref() == Some("password-set");
    let enabled = crate::api::auth_enabled();
    view! {
        <Title text="Log in · Plume" />
        <section class="auth-page">
            <h1>"Log in to Plume"</h1>
            {(!enabled).then(|| view! {
                <p class="notice" role="status">
                    "Accounts are off on this server (" <code>"--auth off"</code> "): there is nothing to log in to. "
                    <a href="/">"Go to the projects"</a>
                </p>
            })}
            {password_set.then(|| view! { <p class="notice" role="status">"Your password is set: log in with it."</p> })}
            {error.map(|error| view! { <p class="error" role="alert">{error}</p> })}
            <form class="stack-form auth-form" method="post" action="/auth/login">
                <input type="hidden" name="next" value=next />
                <label class="field">
                    <span>"Email"</span>
                    <input name="email" type="email" autocomplete="username" required=true autofocus=true />
                </label>
                <label class="field">
                    <span>"Password"</span>
                    <input name="password" type="password" autocomplete="current-password" required=true />
                </label>
                <button type="submit" class="button primary">"Log in"</button>
            </form>
            <p class="muted">"No account, or forgot your password? Ask an admin for a link."</p>
        </section>
    }
}

/// The page of a one-time invite or reset link: choose a password.
#[component]
pub fn SetPassword() -> impl IntoView {
    let query = use_query_map().read_untracked().clone();
    let token = query.get("token").unwrap_or_default();
    let error = query.get("error");
    view! {
        <Title text="Set your password · Plume" />
        <section class="auth-page">
            <h1>"Set your password"</h1>
            {error.map(|error| view! { <p class="error" role="alert">{error}</p> })}
            <form class="stack-form auth-form" method="post" action="/auth/set-password">
                <input type="hidden" name="token" value=token />
                <label class="field">
                    <span>{format!("New password (at least {MIN_PASSWORD_LENGTH} characters)")}</span>
                    <input
                        name="password"
                        type="password"
                        autocomplete="new-password"
                        minlength=MIN_PASSWORD_LENGTH.to_string()
                        required=true
                    />
                </label>
                <button type="submit" class="button primary">"Set password"</button>
            </form>
        </section>
    }
}
