//! The dashboard's pages as HTML (the battle map, a project, the posted
//! bulletins, what is late, the refusals): server-rendered, usable without
//! JavaScript and on a phone. Every value goes through [`esc`]; there is no
//! inline script or style, so the strict Content-Security-Policy
//! `src/web/mod.rs` sends holds.

pub mod denied;
pub mod late;
pub mod map;
pub mod posts;
pub mod project;

use crate::domain::indicators::Light;
use crate::domain::lang::Lang;

use super::html::escape_html;
use super::lights::light_label;
use super::text::t;

/// The stylesheet every page links (served as `/style.css`).
pub const STYLE: &str = include_str!("style.css");

pub fn esc(s: &str) -> String {
    escape_html(s)
}

/// A chart in a figure, its caption under it.
pub fn figure(chart: &crate::render::chart::Chart, caption: &str) -> String {
    format!(
        "<figure>{chart}<figcaption>{}</figcaption></figure>",
        esc(caption)
    )
}

/// The pages a viewer may go to, for the navigation bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Map,
    Late,
    Posts,
    /// A project, or a refusal: no tab is current.
    Other,
}

/// What every page shares: its language, and whether the viewer sees the
/// whole portfolio (the posted bulletins are the whole portfolio's).
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    pub lang: Lang,
    pub whole: bool,
}

impl Frame {
    /// `path` with the page's language, so that a `?lang=` switch stays.
    pub fn href(&self, path: &str) -> String {
        let sep = if path.contains('?') { "&amp;" } else { "?" };
        format!("{}{sep}lang={}", esc(path), self.lang.code())
    }

    pub fn t(&self, key: &str, args: &[(&str, String)]) -> String {
        t(self.lang, key, args)
    }

    /// A table's start: one header a `(catalogue key, class)`, the class
    /// empty or `num` (right-aligned) and `wide` (hidden on a phone).
    pub fn table_head(&self, cols: &[(&str, &str)]) -> String {
        self.table_head_of("", cols)
    }

    /// As [`Frame::table_head`], for a table of class `class` (the battle
    /// map's zone tables, whose columns line up from one zone to the next).
    pub fn table_head_of(&self, class: &str, cols: &[(&str, &str)]) -> String {
        let mut s = if class.is_empty() {
            String::from("<table><thead><tr>")
        } else {
            format!("<table class=\"{class}\"><thead><tr>")
        };
        for (key, class) in cols {
            let class = if class.is_empty() {
                String::new()
            } else {
                format!(" class=\"{class}\"")
            };
            s.push_str(&format!("<th{class}>{}</th>", esc(&self.t(key, &[]))));
        }
        s.push_str("</tr></thead><tbody>");
        s
    }

    /// The whole page around `body` (already HTML).
    pub fn page(&self, nav: Nav, title: &str, body: &str) -> String {
        let tab = |n: Nav, path: &str, key: &str| {
            let current = if n == nav {
                " aria-current=\"page\""
            } else {
                ""
            };
            format!(
                "<a href=\"{}\"{current}>{}</a>",
                self.href(path),
                esc(&self.t(key, &[]))
            )
        };
        let mut tabs = vec![
            tab(Nav::Map, "/", "web.nav_map"),
            tab(Nav::Late, "/late", "web.nav_late"),
        ];
        if self.whole {
            tabs.push(tab(Nav::Posts, "/posts", "web.nav_posts"));
        }
        tabs.push(format!(
            "<a href=\"{}\">{}</a>",
            self.href("/export.xlsx"),
            esc(&self.t("web.nav_export", &[]))
        ));
        let other = match self.lang {
            Lang::ZhCn => Lang::En,
            Lang::En => Lang::ZhCn,
        };
        format!(
            "<!doctype html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{title}</title><link rel=\"stylesheet\" href=\"/style.css\"></head>\
             <body><header><strong>{brand}</strong><nav>{tabs}</nav>\
             <a class=\"lang\" href=\"?lang={other}\">{other_name}</a></header>\
             <main><h1>{title}</h1>\n{body}</main></body></html>\n",
            lang = self.lang.code(),
            title = esc(title),
            brand = esc(&self.t("web.brand", &[])),
            tabs = tabs.join(""),
            other = other.code(),
            other_name = esc(&t(other, "web.lang_name", &[])),
        )
    }
}

/// A light as a coloured dot with its name (the colour is not the only cue).
pub fn light_badge(light: Light, lang: Lang) -> String {
    format!(
        "<span class=\"light {}\">{}</span>",
        light.code(),
        esc(&light_label(light, lang))
    )
}
