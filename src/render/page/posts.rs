//! The bulletins, monthly analyses and quarterly reviews already posted,
//! by period, each as its leadership chat read it.

use chrono_tz::Tz;

use crate::domain::outgoing::{Outgoing, Posted};
use crate::domain::schedule::Job;
use crate::render::html::html_to_plain;
use crate::render::text::fmt_local;

use super::{Frame, Nav, esc};

fn job_key(job: Job) -> &'static str {
    match job {
        Job::Monthly => "web.posts_monthly",
        Job::Quarterly => "web.posts_quarterly",
        _ => "web.posts_bulletin",
    }
}

/// The list: one section a kind, newest period first.
pub fn list(f: &Frame, posted: &[(Job, Vec<Posted>)], tz: Tz) -> String {
    let mut body = String::new();
    for (job, rows) in posted {
        body.push_str(&format!("<h2>{}</h2>", esc(&f.t(job_key(*job), &[]))));
        if rows.is_empty() {
            body.push_str(&format!("<p>{}</p>", esc(&f.t("web.none", &[]))));
            continue;
        }
        body.push_str("<ul>");
        for p in rows {
            body.push_str(&format!(
                "<li><a href=\"{}\">{}</a> <span class=\"muted\">{}</span></li>",
                f.href(&format!(
                    "/posts/{}/{}",
                    job.name(),
                    super::map::urlencode(&p.period)
                )),
                esc(&p.period),
                esc(&f.t("web.posted_at", &[("time", fmt_local(p.sent_at, tz))])),
            ));
        }
        body.push_str("</ul>");
    }
    f.page(Nav::Posts, &f.t("web.posts_title", &[]), &body)
}

/// The picture a message was posted with, from its own address.
pub fn picture(f: &Frame, path: &str) -> String {
    format!(
        "<img class=\"chart\" src=\"{}\" alt=\"{}\">",
        f.href(path),
        esc(&f.t("web.posted_picture", &[]))
    )
}

/// One message as posted: its chart (SVG or a posted picture), then its
/// text, tags dropped, escaped again for the page.
pub fn one(f: &Frame, p: &Posted, tz: Tz, chart: Option<&str>) -> String {
    let text = match serde_json::from_str::<Outgoing>(&p.payload) {
        Ok(out) if out.html => html_to_plain(&out.text),
        Ok(out) => out.text,
        Err(_) => f.t("web.post_unreadable", &[]),
    };
    let figure = chart.map_or_else(String::new, |c| format!("<figure>{c}</figure>"));
    let body = format!(
        "<p class=\"muted\">{}</p>{figure}<pre class=\"post\">{}</pre>",
        esc(&f.t("web.posted_at", &[("time", fmt_local(p.sent_at, tz))])),
        esc(&text)
    );
    let title = format!("{} {}", f.t(job_key(p.job), &[]), p.period);
    f.page(Nav::Posts, &title, &body)
}
