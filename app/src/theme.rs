//! Light, dark, or the system's choice (`prefers-color-scheme`), and the chart colours of each:
//! the canvas cannot read CSS variables, so it takes them from here.

/// The user's choice, remembered in localStorage under [`STORAGE_KEY`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Theme {
    Light,
    Dark,
    #[default]
    Auto,
}

pub const STORAGE_KEY: &str = "theme";

impl Theme {
    pub const ALL: [Theme; 3] = [Theme::Auto, Theme::Light, Theme::Dark];

    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
            Theme::Auto => "auto",
        }
    }

    /// A stored or selected value; anything else is `Auto`.
    pub fn parse(s: &str) -> Theme {
        Theme::ALL.into_iter().find(|t| t.as_str() == s.trim()).unwrap_or_default()
    }

    /// Whether the page is dark, given whether the system prefers dark.
    pub fn is_dark(self, system_prefers_dark: bool) -> bool {
        match self {
            Theme::Light => false,
            Theme::Dark => true,
            Theme::Auto => system_prefers_dark,
        }
    }
}

/// Canvas colours as RGB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChartColors {
    pub background: (u8, u8, u8),
    pub text: (u8, u8, u8),
    pub grid_light: (u8, u8, u8),
    pub grid_bold: (u8, u8, u8),
    /// Heatmap cells go from `heat_low` (smallest count) to `heat_high` (largest).
    pub heat_low: (u8, u8, u8),
    pub heat_high: (u8, u8, u8),
}

pub fn chart_colors(dark: bool) -> ChartColors {
    if dark {
        ChartColors {
            background: (30, 30, 40),
            text: (220, 220, 228),
            grid_light: (48, 48, 60),
            grid_bold: (70, 70, 86),
            heat_low: (40, 44, 90),
            heat_high: (255, 214, 90),
        }
    } else {
        ChartColors {
            background: (255, 255, 255),
            text: (40, 40, 40),
            grid_light: (238, 238, 238),
            grid_bold: (220, 220, 220),
            heat_low: (230, 236, 250),
            heat_high: (109, 65, 161),
        }
    }
}

/// The colour `f` (0..=1, clamped) of the way from `a` to `b`.
pub fn mix(a: (u8, u8, u8), b: (u8, u8, u8), f: f64) -> (u8, u8, u8) {
    let f = if f.is_nan() { 0.0 } else { f.clamp(0.0, 1.0) };
    let m = |x: u8, y: u8| (f64::from(x) + (f64::from(y) - f64::from(x)) * f).round() as u8;
    (m(a.0, b.0), m(a.1, b.1), m(a.2, b.2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_resolve() {
        for t in Theme::ALL {
            assert_eq!(Theme::parse(t.as_str()), t);
        }
        assert_eq!(Theme::parse(""), Theme::Auto);
        assert_eq!(Theme::parse("purple"), Theme::Auto);
        assert!(Theme::Auto.is_dark(true) && !Theme::Auto.is_dark(false));
        assert!(Theme::Dark.is_dark(false) && !Theme::Light.is_dark(true));
    }

    #[test]
    fn dark_charts_are_dark_and_colours_mix() {
        let (l, d) = (chart_colors(false), chart_colors(true));
        let lum = |c: (u8, u8, u8)| u32::from(c.0) + u32::from(c.1) + u32::from(c.2);
        assert!(lum(d.background) < lum(d.text) && lum(l.background) > lum(l.text));
        assert_eq!(mix((0, 0, 0), (200, 100, 50), 0.5), (100, 50, 25));
        assert_eq!(mix((0, 0, 0), (200, 100, 50), 7.0), (200, 100, 50));
        assert_eq!(mix((0, 0, 0), (200, 100, 50), f64::NAN), (0, 0, 0));
    }
}
