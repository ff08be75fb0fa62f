//! Markdown written by people (a review queue's instructions) as HTML that
//! is safe to put in a page: raw HTML in the text is shown as text, links
//! and images may only point at http(s), mail or this site, and images are
//! shown as links (no request leaves the page by merely viewing it).

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, html};

/// `text` (Markdown) as safe HTML.
pub fn to_safe_html(text: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let events = Parser::new_ext(text, options).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        Event::Start(Tag::Link { link_type, dest_url, title, id })
        | Event::Start(Tag::Image { link_type, dest_url, title, id }) => {
            Event::Start(Tag::Link { link_type, dest_url: safe_url(dest_url), title, id })
        }
        Event::End(TagEnd::Image) => Event::End(TagEnd::Link),
        other => other,
    });
    let mut out = String::with_capacity(text.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
}

/// `url` if it is http(s), `mailto:`, or on this site (`/…`, `#…`); else `#`.
fn safe_url(url: CowStr<'_>) -> CowStr<'_> {
    let lower = url.trim().to_ascii_lowercase();
    let allowed = ["http://", "https://", "mailto:"].iter().any(|scheme| lower.starts_with(scheme))
        || (lower.starts_with('/') && !lower.starts_with("//"))
        || lower.starts_with('#');
    if allowed { url } else { CowStr::Borrowed("#") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_renders_and_raw_html_is_text() {
        assert_eq!(to_safe_html("**Label** each answer"), "<p><strong>Label</strong> each answer</p>\n");
        let html = to_safe_html("<script>alert(1)</script>\n\nHi <img src=x onerror=alert(1)>");
        assert!(!html.contains("<script") && !html.contains("<img"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }

    #[test]
    fn only_safe_links_survive() {
        assert!(to_safe_html("[a](javascript:alert(1))").contains("href=\"#\""));
        assert!(to_safe_html("[a]( JavaScript:alert(1))").contains("href=\"#\""));
        assert!(to_safe_html("[a](//evil.example)").contains("href=\"#\""));
        assert!(to_safe_html("[a](https://example.org/x)").contains("href=\"https://example.org/x\""));
        assert!(to_safe_html("[a](/queues/1)").contains("href=\"/queues/1\""));
        let image = to_safe_html("![chart](https://example.org/c.png)");
        assert!(
            !image.contains("<img") && image.contains("<a href=\"https://example.org/c.png\">chart</a>"),
            "{image}"
        );
    }
}
