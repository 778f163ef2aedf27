//! Which page a URL shows. The console is one `index.html` served for every path under its base
//! (`config::page_base`), so the page is the path's last segment; anything unknown is the graph.

/// A page of the console, linked from the top bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Graph,
    Alerts,
    Rules,
    Stores,
    Status,
}

impl Page {
    /// In top-bar order.
    pub const ALL: [Page; 5] = [Page::Graph, Page::Alerts, Page::Rules, Page::Stores, Page::Status];

    /// The page for `window.location.pathname`: `/thanos/rules` → Rules, `/`, `/graph`, `/x/` → Graph.
    pub fn from_pathname(pathname: &str) -> Page {
        match pathname.rsplit('/').next().unwrap_or("") {
            "alerts" => Page::Alerts,
            "rules" => Page::Rules,
            "stores" => Page::Stores,
            "status" => Page::Status,
            _ => Page::Graph,
        }
    }

    /// The link to the page, relative to the current one (a sibling under the same base).
    pub fn href(self) -> &'static str {
        match self {
            Page::Graph => "graph",
            Page::Alerts => "alerts",
            Page::Rules => "rules",
            Page::Stores => "stores",
            Page::Status => "status",
        }
    }

    /// Whether the page is embedded (one panel, no navigation): `…/embed?g0.expr=…`, or any page
    /// with `embed=1` (or `true`) in its query.
    pub fn embedded(pathname: &str, search: &str) -> bool {
        pathname.rsplit('/').next() == Some("embed")
            || form_urlencoded::parse(search.trim_start_matches('?').as_bytes())
                .any(|(k, v)| k == "embed" && (v == "1" || v.eq_ignore_ascii_case("true")))
    }

    pub fn title(self) -> &'static str {
        match self {
            Page::Graph => "Graph",
            Page::Alerts => "Alerts",
            Page::Rules => "Rules",
            Page::Stores => "Stores",
            Page::Status => "Status",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::page_base;

    #[test]
    fn the_last_segment_names_the_page() {
        assert_eq!(Page::from_pathname("/rules"), Page::Rules);
        assert_eq!(Page::from_pathname("/monitoring/thanos/alerts"), Page::Alerts);
        assert_eq!(Page::from_pathname("/graph"), Page::Graph);
        assert_eq!(Page::from_pathname("/"), Page::Graph);
        assert_eq!(Page::from_pathname(""), Page::Graph);
        assert_eq!(Page::from_pathname("/rules/"), Page::Graph, "a directory, not the page");
        assert_eq!(Page::from_pathname("/Rules"), Page::Graph, "paths are case-sensitive");
        assert_eq!(Page::from_pathname("/thanos/index.html"), Page::Graph);
    }

    #[test]
    fn embed_by_path_or_flag() {
        assert!(Page::embedded("/thanos/embed", "?g0.expr=up"));
        assert!(Page::embedded("/graph", "?g0.expr=up&embed=1"));
        assert!(Page::embedded("/", "embed=true"));
        assert!(!Page::embedded("/graph", "?g0.expr=up&embed=0"));
        assert!(!Page::embedded("/embed/", ""), "a directory, not the page");
        // The embed path shows the graph page's panel.
        assert_eq!(Page::from_pathname("/embed"), Page::Graph);
    }

    #[test]
    fn links_stay_under_the_base() {
        // The page's links resolve against the same directory the API base is taken from.
        for path in ["/thanos/graph", "/thanos/rules", "/thanos/"] {
            assert_eq!(page_base("http://h", path), "http://h/thanos/");
        }
        let hrefs: Vec<&str> = Page::ALL.iter().map(|p| p.href()).collect();
        assert_eq!(hrefs, ["graph", "alerts", "rules", "stores", "status"]);
        for p in Page::ALL {
            assert_eq!(Page::from_pathname(&format!("/thanos/{}", p.href())), p);
        }
    }
}
