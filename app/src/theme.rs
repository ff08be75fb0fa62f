//! The colour theme: light, dark, or (no choice made) whatever the browser
//! prefers. The choice is a cookie (`plume_theme`), so the server renders the
//! right theme in the first byte and nothing flashes; the stylesheet does the
//! rest (`light-dark()` colours under `color-scheme`).

use leptos::prelude::*;

/// The cookie holding the choice.
pub const COOKIE: &str = "plume_theme";

/// `light` or `dark` from a cookie value; anything else is no choice.
pub fn parse(value: &str) -> Option<&'static str> {
    match value {
        "light" => Some("light"),
        "dark" => Some("dark"),
        _ => None,
    }
}

/// The theme the request's cookie chose, if any (pages render on the server).
pub fn chosen() -> Option<&'static str> {
    #[cfg(feature = "ssr")]
    {
        let parts = use_context::<http::request::Parts>()?;
        parts
            .headers
            .get_all(http::header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(';'))
            .find_map(|pair| pair.trim().strip_prefix(COOKIE)?.strip_prefix('='))
            .and_then(parse)
    }
    #[cfg(not(feature = "ssr"))]
    None
}

/// The header's theme switch: a form (works without JavaScript) posting the
/// other theme to `/theme`, which sets the cookie and comes back here.
#[component]
pub fn ThemeToggle() -> impl IntoView {
    let next = if chosen() == Some("dark") { "light" } else { "dark" };
    let location = leptos_router::hooks::use_location();
    let (path, search) = (location.pathname.get_untracked(), location.search.get_untracked());
    let back = match search.trim_start_matches('?') {
        "" => path,
        query => format!("{path}?{query}"),
    };
    let label = if next == "dark" { "Dark theme" } else { "Light theme" };
    view! {
        <form method="post" action="/theme" class="inline-form theme-toggle">
            <input type="hidden" name="theme" value=next />
            <input type="hidden" name="next" value=back />
            <button type="submit" class="button small" aria-label=format!("Switch to the {next} theme")>
                {if next == "dark" { "🌙 " } else { "☀️ " }}{label}
            </button>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_themes_are_taken() {
        assert_eq!(parse("dark"), Some("dark"));
        assert_eq!(parse("light"), Some("light"));
        assert_eq!(parse("<script>"), None);
    }
}
