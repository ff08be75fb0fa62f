//! The 👍 share per day as a small SVG bar chart, rendered on the server.

use leptos::prelude::*;

use crate::model::DailyThumbs;

/// Chart size in SVG units.
const WIDTH: f64 = 180.0;
const HEIGHT: f64 = 36.0;

/// One bar per day; its height is the day's 👍 share.
#[component]
pub fn FeedbackChart(days: Vec<DailyThumbs>) -> impl IntoView {
    if days.is_empty() {
        return view! { <span class="muted">"No 👍/👎 yet"</span> }.into_any();
    }
    let up: i64 = days.iter().map(|d| d.up).sum();
    let total: i64 = days.iter().map(|d| d.total).sum();
    let overall = format!("{:.0}% 👍", up as f64 * 100.0 / total.max(1) as f64);
    let slot = WIDTH / days.len().max(7) as f64;
    let bars = days
        .into_iter()
        .enumerate()
        .map(|(index, day)| {
            let share = day.up as f64 / day.total.max(1) as f64;
            let height = (share * HEIGHT).max(1.0);
            let title = format!("{}: {} of {} 👍 ({:.0}%)", day.day, day.up, day.total, share * 100.0);
            view! {
                <g>
                    <title>{title}</title>
                    <rect class="chart-track" x=format!("{:.1}", index as f64 * slot + 1.0) y="0"
                        width=format!("{:.1}", slot - 2.0) height=HEIGHT.to_string()></rect>
                    <rect class="chart-bar" x=format!("{:.1}", index as f64 * slot + 1.0)
                        y=format!("{:.1}", HEIGHT - height) width=format!("{:.1}", slot - 2.0)
                        height=format!("{height:.1}")></rect>
                </g>
            }
        })
        .collect_view();
    view! {
        <span class="chart">
            <svg class="feedback-chart" viewBox=format!("0 0 {WIDTH} {HEIGHT}") width=WIDTH.to_string()
                height=HEIGHT.to_string() role="img" aria-label=format!("👍 share per day, {overall} overall")>
                {bars}
            </svg>
            <span class="chart-caption">{overall}</span>
        </span>
    }
    .into_any()
}
