//! End-user feedback through the embeddable widget: the vote, how it is stored
//! as an annotation, and what the embed page shows.

use serde::{Deserialize, Serialize};

use super::{THUMBS_DOWN, THUMBS_UP};

/// Longest accepted comment, in characters.
pub const MAX_FEEDBACK_COMMENT_CHARS: usize = 2000;

/// A thumbs-up or thumbs-down; `"up"` or `"down"` on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Vote {
    /// 👍
    Up,
    /// 👎
    Down,
}

impl Vote {
    /// The wire spelling: `up` or `down`.
    pub fn as_str(self) -> &'static str {
        match self {
            Vote::Up => "up",
            Vote::Down => "down",
        }
    }

    /// Parses the wire spelling.
    pub fn parse(text: &str) -> Option<Vote> {
        [Vote::Up, Vote::Down].into_iter().find(|v| v.as_str() == text)
    }

    /// The annotation label: `thumbs-up` or `thumbs-down`.
    pub fn label(self) -> &'static str {
        match self {
            Vote::Up => THUMBS_UP,
            Vote::Down => THUMBS_DOWN,
        }
    }

    /// The annotation score: 1 for up, 0 for down.
    pub fn score(self) -> f64 {
        match self {
            Vote::Up => 1.0,
            Vote::Down => 0.0,
        }
    }

    /// The vote an annotation label stands for.
    pub fn from_label(label: &str) -> Option<Vote> {
        [Vote::Up, Vote::Down].into_iter().find(|v| v.label() == label)
    }
}

/// The widget's colour scheme (`data-theme` of the loader).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WidgetTheme {
    /// Whatever the browser prefers (`prefers-color-scheme`): the loader's
    /// default, so the widget matches a host page that follows it too.
    #[default]
    Auto,
    /// Dark text, for light pages.
    Light,
    /// Light text, for dark pages.
    Dark,
}

impl WidgetTheme {
    /// `auto`, `light` or `dark`.
    pub fn as_str(self) -> &'static str {
        match self {
            WidgetTheme::Auto => "auto",
            WidgetTheme::Light => "light",
            WidgetTheme::Dark => "dark",
        }
    }

    /// `dark` or `light`; anything else follows the browser.
    pub fn parse(text: &str) -> WidgetTheme {
        match text {
            "dark" => WidgetTheme::Dark,
            "light" => WidgetTheme::Light,
            _ => WidgetTheme::Auto,
        }
    }
}

/// The accent colour if `text` is `#rgb` or `#rrggbb`: safe to put in CSS as is.
pub fn parse_accent(text: &str) -> Option<String> {
    let digits = text.strip_prefix('#')?;
    let ok = matches!(digits.len(), 3 | 6) && digits.chars().all(|c| c.is_ascii_hexdigit());
    ok.then(|| format!("#{}", digits.to_ascii_lowercase()))
}

/// What `/embed/feedback` renders: worked out by the server from the request
/// (token, theme, accent) and handed to the page, which the browser hydrates.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FeedbackWidget {
    /// The feedback token, sent back with each vote.
    pub token: String,
    /// The end user's current vote, if any.
    pub vote: Option<Vote>,
    /// The comment sent with it.
    pub comment: Option<String>,
    /// Why the widget can't be used (expired or invalid token), for people.
    pub error: Option<String>,
    /// Colour scheme.
    pub theme: WidgetTheme,
    /// Accent colour, already validated by [`parse_accent`].
    pub accent: Option<String>,
    /// The page embedding the widget, when it is one of the allowed origins;
    /// sent with votes so that they record where they were cast.
    pub host_origin: Option<String>,
}

impl FeedbackWidget {
    /// The query string that reloads the widget with the same look (for the
    /// plain-HTML form's redirect), percent-encoded.
    pub fn query(&self) -> String {
        let mut query = format!("token={}&theme={}", encode(&self.token), self.theme.as_str());
        if let Some(accent) = &self.accent {
            query.push_str("&accent=");
            query.push_str(&encode(accent));
        }
        query
    }
}

/// Percent-encodes everything but unreserved characters.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn votes_map_to_phoenix_labels_and_scores() {
        assert_eq!((Vote::Up.label(), Vote::Up.score()), ("thumbs-up", 1.0));
        assert_eq!((Vote::Down.label(), Vote::Down.score()), ("thumbs-down", 0.0));
        assert_eq!(Vote::from_label("thumbs-down"), Some(Vote::Down));
        assert_eq!(Vote::parse("sideways"), None);
    }

    #[test]
    fn accents_must_be_hex_colours() {
        assert_eq!(parse_accent("#FF8800").as_deref(), Some("#ff8800"));
        assert_eq!(parse_accent("#abc").as_deref(), Some("#abc"));
        assert_eq!(parse_accent("red"), None);
        assert_eq!(parse_accent("#12345g"), None);
        assert_eq!(parse_accent("#123;}body{"), None);
    }

    #[test]
    fn the_reload_query_is_encoded() {
        let widget = FeedbackWidget { token: "a.b+c/=".into(), accent: Some("#abc".into()), ..Default::default() };
        assert_eq!(widget.query(), "token=a.b%2Bc%2F%3D&theme=auto&accent=%23abc");
        let dark = FeedbackWidget { theme: WidgetTheme::parse("dark"), ..widget };
        assert_eq!(dark.query(), "token=a.b%2Bc%2F%3D&theme=dark&accent=%23abc");
        assert_eq!(WidgetTheme::parse("light"), WidgetTheme::Light);
        assert_eq!(WidgetTheme::parse("anything"), WidgetTheme::Auto);
    }
}
