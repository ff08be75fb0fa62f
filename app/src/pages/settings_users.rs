//! `/settings/users` (admins only): every user with their role and state,
//! and the forms that invite a user, change a role, deactivate or
//! reactivate, and make a password reset link. Plain server-rendered forms:
//! they work without JavaScript. A new link is shown once, on the page
//! after the post ([`crate::api::shown_once`]).

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{ChangeUser, InviteUser, ResetLink, UserLink, UsersView, load_users, shown_once, user_state};
use crate::components::{FormError, error_text, format_time};
use crate::model::accounts::{Role, User};

/// The users page.
#[component]
pub fn SettingsUsers() -> impl IntoView {
    let users = Resource::new(|| (), |_| load_users());
    // Taken here, once: the suspended part below may render more than once.
    let link = shown_once::take::<UserLink>(shown_once::NEW_USER_LINK);
    view! {
        <Title text="Users · Settings · Plume" />
        <div class="page-head">
            <h1>"Users"</h1>
            <nav class="settings-nav" aria-label="Settings">
                <a href="/settings/users" aria-current="page">"Users"</a>
                <a href="/settings/api-keys">"API keys"</a>
                <a href="/settings/webhooks">"Webhooks"</a>
            </nav>
        </div>
        <Suspense fallback=|| view! { <p class="muted">"Loading users…"</p> }>
            {move || {
                let link = link.clone();
                Suspend::new(async move {
                    match users.await {
                        Ok(view) => view! { <Users view link /> }.into_any(),
                        Err(error) => view! { <p class="error" role="alert">{error_text(&error)}</p> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// The new link if one was just made, the forms and the table.
#[component]
fn Users(view: UsersView, link: Option<UserLink>) -> impl IntoView {
    let UsersView { users, me, accounts_on } = view;
    let change = ServerAction::<ChangeUser>::new();
    let reset = ServerAction::<ResetLink>::new();
    view! {
        {(!accounts_on).then(|| view! {
            <p class="notice">
                "Accounts are off (--auth off): nobody logs in. Users invited here can once Plume runs with --auth on."
            </p>
        })}
        {link.map(|link| view! { <NewLink link /> })}
        <InviteForm />
        <h2>"Everyone"</h2>
        <FormError action=change />
        <FormError action=reset />
        <div class="table-wrap">
            <table class="table users">
                <thead>
                    <tr>
                        <th scope="col">"Email"</th>
                        <th scope="col">"Role"</th>
                        <th scope="col">"State"</th>
                        <th scope="col">"Created"</th>
                        <th scope="col">"Change"</th>
                    </tr>
                </thead>
                <tbody>
                    {users
                        .into_iter()
                        .map(|user| {
                            let mine = me == Some(user.id);
                            view! { <UserRow user mine change reset /> }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// A link just made: what to do with it, and the link (the only time it is shown).
#[component]
fn NewLink(link: UserLink) -> impl IntoView {
    let what = match link.invite {
        true => format!("Invited {}. ", link.email),
        false => format!("New password link for {}. ", link.email),
    };
    view! {
        <div class="created-link" role="status">
            <p>
                {what}
                "Send them this link: it sets their password, works once, expires in 7 days, and is shown only now."
            </p>
            <input class="share-url" readonly=true value=link.url aria-label=format!("Set-password link for {}", link.email) />
        </div>
    }
}

/// Email and role of a new user.
#[component]
fn InviteForm() -> impl IntoView {
    let invite = ServerAction::<InviteUser>::new();
    view! {
        <section class="panel" aria-labelledby="invite-heading">
            <h2 id="invite-heading">"Invite a user"</h2>
            <ActionForm action=invite attr:class="stack-form">
                <div class="form-row">
                    <label class="field">
                        <span>"Email"</span>
                        <input name="email" type="email" required=true autocomplete="off" />
                    </label>
                    <label class="field">
                        <span>"Role"</span>
                        <RoleSelect selected=Role::Viewer />
                    </label>
                </div>
                <button type="submit" class="button primary">"Invite"</button>
            </ActionForm>
            <FormError action=invite />
        </section>
    }
}

/// A `<select name="role">` of every role, strongest first.
#[component]
fn RoleSelect(selected: Role) -> impl IntoView {
    view! {
        <select name="role">
            {Role::ALL
                .into_iter()
                .map(|role| view! { <option value=role.as_str() selected=role == selected>{role.as_str()}</option> })
                .collect_view()}
        </select>
    }
}

/// One user: their facts and, unless it is the caller, the forms that change them.
#[component]
fn UserRow(user: User, mine: bool, change: ServerAction<ChangeUser>, reset: ServerAction<ResetLink>) -> impl IntoView {
    let state = user_state(&user);
    let forms = (!mine).then(|| {
        let (toggle, toggle_label, toggle_class) = match user.active {
            true => ("false", "Deactivate", "button small danger"),
            false => ("true", "Reactivate", "button small"),
        };
        let (id, email) = (user.id.to_string(), user.email.clone());
        let role_label = format!("Role of {email}");
        let toggle_aria = format!("{toggle_label} {email}");
        let reset_aria = format!("Make a password link for {email}");
        let role = user.role;
        let (id_role, id_toggle, id_reset) = (id.clone(), id.clone(), id);
        view! {
            <div class="row-forms">
                <ActionForm action=change attr:class="inline-form">
                    <input type="hidden" name="user_id" value=id_role />
                    <label>
                        <span class="visually-hidden">{role_label}</span>
                        <RoleSelect selected=role />
                    </label>
                    <button type="submit" class="button small">"Change role"</button>
                </ActionForm>
                <ActionForm action=change attr:class="inline-form">
                    <input type="hidden" name="user_id" value=id_toggle />
                    <input type="hidden" name="active" value=toggle />
                    <button type="submit" class=toggle_class aria-label=toggle_aria>
                        {toggle_label}
                    </button>
                </ActionForm>
                <ActionForm action=reset attr:class="inline-form">
                    <input type="hidden" name="user_id" value=id_reset />
                    <button type="submit" class="button small" aria-label=reset_aria>
                        "Password link"
                    </button>
                </ActionForm>
            </div>
        }
    });
    view! {
        <tr data-user=user.id.to_string() data-state=state>
            <td>{user.email.clone()} {mine.then_some(" (you)")}</td>
            <td>{user.role.as_str()}</td>
            <td>{state}</td>
            <td class="muted nowrap">{format_time(user.created_at)}</td>
            <td>{forms.map(IntoAny::into_any).unwrap_or_else(|| view! { <span class="muted">"Your account"</span> }.into_any())}</td>
        </tr>
    }
}
