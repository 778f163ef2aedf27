//! Markup built from server data through one element type. Every distinct `view!` tree is compiled
//! into its own code: written that way, the Rules and Alerts pages' many small shapes cost about 17 KB
//! more gzipped wasm than through this single shape. Children are text nodes or elements, never
//! HTML: what the server sends is shown as text.

use leptos::html::custom;
use leptos::prelude::*;

/// An element under construction: a tag, a few attributes, children in order.
pub struct El {
    tag: &'static str,
    class: Option<String>,
    testid: Option<&'static str>,
    href: Option<String>,
    children: Vec<AnyView>,
}

pub fn el(tag: &'static str) -> El {
    El { tag, class: None, testid: None, href: None, children: Vec::new() }
}

impl El {
    pub fn class(mut self, class: impl Into<String>) -> El {
        self.class = Some(class.into());
        self
    }

    /// `data-testid`, the hook end-to-end tests find elements by.
    pub fn testid(mut self, id: &'static str) -> El {
        self.testid = Some(id);
        self
    }

    pub fn href(mut self, href: String) -> El {
        self.href = Some(href);
        self
    }

    /// Appends text (a text node: markup in it stays text).
    pub fn text(mut self, text: impl Into<String>) -> El {
        self.children.push(text.into().into_any());
        self
    }

    pub fn child(mut self, child: El) -> El {
        self.children.push(child.view());
        self
    }

    /// Appends an element built elsewhere (a `view!` with handlers).
    pub fn any(mut self, child: AnyView) -> El {
        self.children.push(child);
        self
    }

    pub fn children(mut self, children: impl IntoIterator<Item = El>) -> El {
        self.children.extend(children.into_iter().map(El::view));
        self
    }

    /// Appends `child` when there is one.
    pub fn maybe(self, child: Option<El>) -> El {
        match child {
            Some(c) => self.child(c),
            None => self,
        }
    }

    pub fn view(self) -> AnyView {
        custom(self.tag)
            .attr("class", self.class)
            .attr("data-testid", self.testid)
            .attr("href", self.href)
            .child(self.children)
            .into_any()
    }
}
