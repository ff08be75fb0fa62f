//! `/embed/feedback?token=…`: the 👍/👎 widget that `widget.js` puts in an
//! iframe on the host page. Its own minimal layout (no top bar). The server
//! works out what it shows (see the server's `feedback::embed`); the page
//! works as plain HTML forms, and once its island is hydrated it calls
//! `/v1/feedback` directly and tells the host page its height.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::model::{FeedbackWidget, MAX_FEEDBACK_COMMENT_CHARS, Vote};

/// Where the plain-HTML forms post.
const FORM_ACTION: &str = "/embed/feedback/vote";

/// 👍 and 👎 as SVG paths (after Lucide's thumbs icons, ISC licence), so that they
/// look the same on systems without an emoji font.
const THUMB_UP_ICON: &str = "M7 10v12M15 5.9 14 10h5.8a2 2 0 0 1 1.9 2.6l-2.3 8A2 2 0 0 1 17.4 22H4a2 2 0 0 1-2-2v-8a2 2 0 0 1 2-2h2.8a2 2 0 0 0 1.8-1.1L12 2a3.1 3.1 0 0 1 3 3.9Z";
const THUMB_DOWN_ICON: &str = "M17 14V2M9 18.1 10 14H4.2a2 2 0 0 1-1.9-2.6l2.3-8A2 2 0 0 1 6.6 2H20a2 2 0 0 1 2 2v8a2 2 0 0 1-2 2h-2.8a2 2 0 0 0-1.8 1.1L12 22a3.1 3.1 0 0 1-3-3.9Z";

/// The widget's own styles (the app's stylesheet is for the app).
const WIDGET_CSS: &str = "\
html,body{margin:0;padding:0;background:transparent!important}\
main.embed{padding:0;margin:0}\
.plume-widget{--plume-accent:#2f6fed;font:14px/1.4 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1d2330;padding:4px 2px}\
.plume-widget[data-theme=dark]{color:#e8ebf1}\
.plume-votes{display:flex;align-items:center;gap:6px;margin:0}\
.plume-prompt{margin-right:4px;opacity:.8}\
.plume-vote{display:inline-flex;line-height:0;padding:6px 10px;border:1px solid #c5cad3;border-radius:999px;background:transparent;color:inherit;cursor:pointer}\
.plume-widget[data-theme=dark] .plume-vote{border-color:#4a5263}\
.plume-vote:hover{border-color:var(--plume-accent)}\
.plume-vote svg{fill:none;stroke:currentColor;stroke-width:2;stroke-linecap:round;stroke-linejoin:round}\
.plume-vote[aria-pressed=true] svg{stroke:var(--plume-accent);fill:color-mix(in srgb,var(--plume-accent) 25%,transparent)}\
.plume-vote[aria-pressed=true]{border-color:var(--plume-accent);box-shadow:0 0 0 1px var(--plume-accent);background:color-mix(in srgb,var(--plume-accent) 16%,transparent)}\
.plume-vote:focus-visible,.plume-comment button:focus-visible,.plume-comment textarea:focus-visible{outline:2px solid var(--plume-accent);outline-offset:2px}\
.plume-vote:disabled{opacity:.5;cursor:default}\
.plume-comment{display:flex;gap:6px;margin:6px 0 0}\
.plume-comment textarea{flex:1;font:inherit;padding:4px 8px;border:1px solid #c5cad3;border-radius:6px;background:transparent;color:inherit;resize:vertical;min-height:1.6em}\
.plume-widget[data-theme=dark] .plume-comment textarea{border-color:#4a5263}\
.plume-comment button{font:inherit;border:0;border-radius:6px;padding:4px 12px;background:var(--plume-accent);color:#fff;cursor:pointer}\
.plume-status{margin:4px 0 0;font-size:12px;opacity:.8}\
.plume-status:empty{display:none}\
.plume-sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}\
@media (prefers-color-scheme:dark){.plume-widget[data-theme=auto]{color:#e8ebf1}\
.plume-widget[data-theme=auto] .plume-vote,.plume-widget[data-theme=auto] .plume-comment textarea{border-color:#4a5263}}";

/// The widget page.
#[component]
pub fn EmbedFeedback() -> impl IntoView {
    view! {
        <Title text="Rate this answer" />
        <style>{WIDGET_CSS}</style>
        <h1 class="plume-sr">"Rate this answer"</h1>
        <Widget widget=widget_of_request() />
    }
}

/// The votes and the comment box. An island: its props (worked out by the
/// server) travel in the page to the browser.
#[island]
fn Widget(widget: FeedbackWidget) -> impl IntoView {
    let FeedbackWidget { token, vote, comment, error, theme, accent, host_origin } = widget;
    let usable = error.is_none();
    let vote = RwSignal::new(vote);
    let draft = RwSignal::new(comment.unwrap_or_default());
    let message = RwSignal::new(error);
    let hidden = {
        let (token, accent, host_origin) = (token.clone(), accent.clone(), host_origin.clone());
        move || {
            view! {
                <input type="hidden" name="token" value=token.clone() />
                <input type="hidden" name="theme" value=theme.as_str() />
                {accent.clone().map(|a| view! { <input type="hidden" name="accent" value=a /> })}
                {host_origin.clone().map(|o| view! { <input type="hidden" name="origin" value=o /> })}
            }
        }
    };
    let send = Callback::new(move |(wanted, text): (Option<Vote>, Option<String>)| {
        send_vote(token.clone(), host_origin.clone(), wanted, text, vote, message);
    });
    report_height(vote, message);
    let button = move |choice: Vote, icon: &'static str, label: &'static str| {
        let pressed = move || vote.get() == Some(choice);
        view! {
            <button
                type="submit"
                class="plume-vote"
                name="vote"
                value=move || if pressed() { "retract" } else { choice.as_str() }
                data-vote=choice.as_str()
                aria-label=label
                title=label
                aria-pressed=move || pressed().to_string()
                disabled=!usable
                on:click=move |ev| {
                    ev.prevent_default();
                    send.run((if pressed() { None } else { Some(choice) }, None));
                }
            >
                <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
                    <path d=icon />
                </svg>
            </button>
        }
    };
    view! {
        <div
            class="plume-widget"
            data-theme=theme.as_str()
            style=accent.clone().map(|a| format!("--plume-accent:{a}"))
        >
            <form method="post" action=FORM_ACTION class="plume-votes">
                {hidden.clone()}
                <span class="plume-prompt">"Was this helpful?"</span>
                {button(Vote::Up, THUMB_UP_ICON, "Thumbs up")}
                {button(Vote::Down, THUMB_DOWN_ICON, "Thumbs down")}
            </form>
            <Show when=move || vote.get().is_some()>
                <form
                    method="post"
                    action=FORM_ACTION
                    class="plume-comment"
                    on:submit=move |ev| {
                        ev.prevent_default();
                        send.run((vote.get_untracked(), Some(draft.get_untracked())));
                    }
                >
                    {hidden.clone()}
                    <input type="hidden" name="vote" value=move || vote.get().map(Vote::as_str).unwrap_or("up") />
                    <textarea
                        name="comment"
                        rows="1"
                        maxlength=MAX_FEEDBACK_COMMENT_CHARS
                        placeholder="Tell us more (optional)"
                        aria-label="Comment (optional)"
                        prop:value=move || draft.get()
                        on:input=move |ev| draft.set(event_target_value(&ev))
                    >
                        {draft.get_untracked()}
                    </textarea>
                    <button type="submit">"Send"</button>
                </form>
            </Show>
            <p class="plume-status" role="status" aria-live="polite">{move || message.get()}</p>
        </div>
    }
}

/// On the server: what the request's middleware worked out.
#[cfg(feature = "ssr")]
fn widget_of_request() -> FeedbackWidget {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<FeedbackWidget>().cloned())
        .unwrap_or_else(|| FeedbackWidget {
            error: Some("This feedback link is not valid.".into()),
            ..Default::default()
        })
}

/// Pages render only on the server; the browser gets the widget as the
/// island's props.
#[cfg(not(feature = "ssr"))]
fn widget_of_request() -> FeedbackWidget {
    FeedbackWidget::default()
}

/// Casts (`Some`) or retracts (`None`) the vote through `/v1/feedback`, then
/// shows the outcome. Browser only: on the server this does nothing.
#[cfg_attr(not(feature = "hydrate"), allow(unused_variables))]
fn send_vote(
    token: String,
    origin: Option<String>,
    wanted: Option<Vote>,
    comment: Option<String>,
    vote: RwSignal<Option<Vote>>,
    message: RwSignal<Option<String>>,
) {
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local(async move {
        let with_comment = comment.as_deref().is_some_and(|c| !c.trim().is_empty());
        let body = serde_json::json!({
            "token": token,
            "vote": wanted.map(Vote::as_str),
            "comment": comment,
            "origin": origin,
        });
        let request = match wanted {
            Some(_) => gloo_net::http::Request::post("/v1/feedback"),
            None => gloo_net::http::Request::delete("/v1/feedback"),
        };
        let outcome = match request.json(&body) {
            Ok(request) => request.send().await,
            Err(error) => Err(error),
        };
        match outcome {
            Ok(response) if response.ok() => {
                vote.set(wanted);
                message.set(Some(match (wanted, with_comment) {
                    (None, _) => "Vote removed.".into(),
                    (Some(_), true) => "Comment sent. Thank you!".into(),
                    (Some(_), false) => "Thanks for your feedback!".into(),
                }));
            }
            Ok(response) => {
                let text = response.text().await.unwrap_or_default();
                message.set(Some(if text.is_empty() { format!("Error {}", response.status()) } else { text }));
            }
            Err(_) => message.set(Some("Could not reach the server; try again.".into())),
        }
    });
}

/// Tells the host page (`widget.js`) the widget's height whenever it may change.
#[cfg_attr(not(feature = "hydrate"), allow(unused_variables))]
fn report_height(vote: RwSignal<Option<Vote>>, message: RwSignal<Option<String>>) {
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        vote.track();
        message.track();
        request_animation_frame(|| {
            let Some(window) = web_sys::window() else { return };
            let height = window
                .document()
                .and_then(|d| d.query_selector(".plume-widget").ok().flatten())
                .map(|e| e.scroll_height() + 8)
                .unwrap_or(0);
            if let Ok(Some(parent)) = window.parent() {
                let _ = parent.post_message(&format!("plume:resize:{height}").into(), "*");
            }
        });
    });
}
