//! `/settings/api-keys` (anyone logged in): one's own live keys with a
//! revoke button each and the form that makes one; for admins, the same for
//! service keys. Plain server-rendered forms: they work without JavaScript.
//! A new key is shown once, on the page after the post
//! ([`crate::api::shown_once`]): the server keeps only its hash.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{
    ApiKeysView, CreateMyApiKey, CreateServiceKey, RevokeMyApiKey, RevokeServiceKey, load_api_keys, shown_once,
};
use crate::components::{FormError, error_text, format_time};
use crate::model::accounts::{ApiKey, CreatedApiKey, Scope};

/// The API keys page.
#[component]
pub fn SettingsApiKeys() -> impl IntoView {
    let keys = Resource::new(|| (), |_| load_api_keys());
    // Taken here, once: the suspended part below may render more than once.
    let created = shown_once::take::<CreatedApiKey>(shown_once::NEW_KEY);
    view! {
        <Title text="API keys · Settings · Plume" />
        <div class="page-head">
            <h1>"API keys"</h1>
            <span class="muted">"For scripts, SDKs and OTLP exporters"</span>
        </div>
        <Suspense fallback=|| view! { <p class="muted">"Loading keys…"</p> }>
            {move || {
                let created = created.clone();
                Suspend::new(async move {
                    match keys.await {
                        Ok(view) if !view.has_account => view! {
                            <section class="empty">
                                <h2>"No accounts"</h2>
                                <p>"API keys belong to accounts: start Plume with --auth on and log in to make one."</p>
                            </section>
                        }
                        .into_any(),
                        Ok(view) => view! { <Keys view created /> }.into_any(),
                        Err(error) => view! { <p class="error" role="alert">{error_text(&error)}</p> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// The new key if one was just made, one's own keys and, for admins, the service keys.
#[component]
fn Keys(view: ApiKeysView, created: Option<CreatedApiKey>) -> impl IntoView {
    let ApiKeysView { personal, service, .. } = view;
    let is_admin = service.is_some();
    let create = ServerAction::<CreateMyApiKey>::new();
    view! {
        {is_admin.then(|| view! {
            <nav class="settings-nav" aria-label="Settings">
                <a href="/settings/users">"Users"</a>
                <a href="/settings/api-keys" aria-current="page">"API keys"</a>
                <a href="/settings/webhooks">"Webhooks"</a>
            </nav>
        })}
        {created.map(|created| view! { <NewKey created /> })}
        <section class="panel" aria-labelledby="own-keys">
            <h2 id="own-keys">"Your keys"</h2>
            <p class="muted">"A key acts as you: at most your role, less if you tick scopes."</p>
            <ActionForm action=create attr:class="stack-form">
                <KeyFields defaults=&[] scopes_legend="Scopes (none ticked: everything your role allows)" />
                <button type="submit" class="button primary">"Create key"</button>
            </ActionForm>
            <FormError action=create />
            <KeyTable keys=personal service=false />
        </section>
        {service.map(|keys| view! { <ServiceKeys keys /> })}
        <ChangePassword />
    }
}

/// Changing one's password (posted to the server's `/auth/password`, which
/// comes back here with `?error=…` or `?notice=password-changed`). The
/// user's other sessions end; this one goes on.
#[component]
fn ChangePassword() -> impl IntoView {
    let query = leptos_router::hooks::use_query_map().read_untracked().clone();
    let error = query.get("error");
    let changed = query.get("notice").as_deref() == Some("password-changed");
    let min = crate::model::accounts::MIN_PASSWORD_LENGTH.to_string();
    view! {
        <section class="panel" aria-labelledby="password">
            <h2 id="password">"Password"</h2>
            {changed.then(|| view! {
                <p class="notice" role="status">"Your password is changed; your other sessions have ended."</p>
            })}
            {error.map(|error| view! { <p class="error" role="alert">{error}</p> })}
            <form class="stack-form" method="post" action="/auth/password">
                <label class="field">
                    <span>"Current password"</span>
                    <input name="current_password" type="password" autocomplete="current-password" required=true />
                </label>
                <label class="field">
                    <span>{format!("New password (at least {min} characters)")}</span>
                    <input name="new_password" type="password" autocomplete="new-password" minlength=min.clone() required=true />
                </label>
                <button type="submit" class="button">"Change password"</button>
            </form>
        </section>
    }
}

/// Service keys: an application's, owned by no user (admins only).
#[component]
fn ServiceKeys(keys: Vec<ApiKey>) -> impl IntoView {
    let create = ServerAction::<CreateServiceKey>::new();
    view! {
        <section class="panel" aria-labelledby="service-keys">
            <h2 id="service-keys">"Service keys"</h2>
            <p class="muted">"For applications: they keep working whoever leaves the team."</p>
            <ActionForm action=create attr:class="stack-form">
                <KeyFields defaults=&Scope::DEFAULT scopes_legend="Scopes" />
                <button type="submit" class="button primary">"Create service key"</button>
            </ActionForm>
            <FormError action=create />
            <KeyTable keys service=true />
        </section>
    }
}

/// Name, expiry and scope checkboxes (`scope_<name>`), `defaults` ticked.
#[component]
fn KeyFields(defaults: &'static [Scope], scopes_legend: &'static str) -> impl IntoView {
    view! {
        <div class="form-row">
            <label class="field">
                <span>"Name"</span>
                <input name="name" required=true autocomplete="off" placeholder="e.g. CI exporter" />
            </label>
            <label class="field">
                <span>"Expires in (days, blank: never)"</span>
                <input name="expires_days" type="number" min="1" max="3650" />
            </label>
        </div>
        <fieldset class="scopes">
            <legend>{scopes_legend}</legend>
            {Scope::ALL
                .into_iter()
                .map(|scope| view! {
                    <label class="field check">
                        <input
                            type="checkbox"
                            name=format!("scope_{}", scope.as_str())
                            value="on"
                            checked=defaults.contains(&scope)
                        />
                        <span>{scope.as_str()}</span>
                    </label>
                })
                .collect_view()}
        </fieldset>
    }
}

/// A key just made, the only time it is shown.
#[component]
fn NewKey(created: CreatedApiKey) -> impl IntoView {
    view! {
        <div class="created-link" role="status">
            <p>
                {format!("New key “{}”. Copy it now: it is shown only once. ", created.listed.name)}
                "Send it as " <code>"Authorization: Bearer <key>"</code> "."
            </p>
            <input class="share-url" readonly=true value=created.key aria-label="New API key" />
        </div>
    }
}

/// Live keys with a revoke button each (`service`: service keys). The
/// revoke action is one per table, so that a refusal is said once.
#[component]
fn KeyTable(keys: Vec<ApiKey>, service: bool) -> impl IntoView {
    if keys.is_empty() {
        return view! { <p class="muted">"No live keys."</p> }.into_any();
    }
    let revoke = match service {
        true => Revoke::Service(ServerAction::new()),
        false => Revoke::Mine(ServerAction::new()),
    };
    let error = match revoke {
        Revoke::Service(action) => view! { <FormError action /> }.into_any(),
        Revoke::Mine(action) => view! { <FormError action /> }.into_any(),
    };
    view! {
        {error}
        <div class="table-wrap">
            <table class="table keys">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Prefix"</th>
                        <th scope="col">"Scopes"</th>
                        <th scope="col">"Created"</th>
                        <th scope="col">"Expires"</th>
                        <th scope="col">"Last used"</th>
                        <th scope="col"><span class="visually-hidden">"Revoke"</span></th>
                    </tr>
                </thead>
                <tbody>{keys.into_iter().map(|key| view! { <KeyRow key revoke /> }).collect_view()}</tbody>
            </table>
        </div>
    }
    .into_any()
}

/// The server function that revokes a table's keys.
#[derive(Clone, Copy)]
enum Revoke {
    /// One's own personal keys.
    Mine(ServerAction<RevokeMyApiKey>),
    /// Service keys.
    Service(ServerAction<RevokeServiceKey>),
}

/// An ISO 8601 time from the store as the UI writes times; `none` when absent.
fn shown_time(time: Option<&str>, none: &'static str) -> String {
    match time {
        Some(text) => crate::time::parse_iso(text).map_or_else(|| text.to_owned(), format_time),
        None => none.to_owned(),
    }
}

/// One key and its revoke form.
#[component]
fn KeyRow(key: ApiKey, revoke: Revoke) -> impl IntoView {
    let scopes = match key.scopes.is_empty() {
        true => "your role".to_owned(),
        false => Scope::join(&key.scopes).replace(',', ", "),
    };
    let label = format!("Revoke {}", key.name);
    let fields = view! {
        <input type="hidden" name="id" value=key.id.to_string() />
        <button type="submit" class="button small danger" aria-label=label>"Revoke"</button>
    };
    let form = match revoke {
        Revoke::Mine(action) => view! { <ActionForm action attr:class="inline-form">{fields}</ActionForm> }.into_any(),
        Revoke::Service(action) => {
            view! { <ActionForm action attr:class="inline-form">{fields}</ActionForm> }.into_any()
        }
    };
    view! {
        <tr data-key=key.id.to_string()>
            <td>{key.name.clone()}</td>
            <td><code>{key.prefix.clone()} "…"</code></td>
            <td>{scopes}</td>
            <td class="muted nowrap">{format_time(key.created_at)}</td>
            <td class="muted nowrap">{shown_time(key.expires_at.as_deref(), "never")}</td>
            <td class="muted nowrap">{shown_time(key.last_used_at.as_deref(), "never")}</td>
            <td>{form}</td>
        </tr>
    }
}
