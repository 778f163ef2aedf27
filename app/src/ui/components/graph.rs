//! The Graph tab: range controls, the chart, its legend and the hover read-out.

use leptos::ev::MouseEvent;
use leptos::prelude::*;
use promapi::QueryData;

use super::panel::QueryResult;
use crate::format::short_value;
use crate::plot::{color_css, pixel_to_data, Hover, Plot};
use crate::time::format_time;
use crate::ui::chart::{self, Area};
use crate::url_state::PanelState;

const HEIGHT: u32 = 360;

#[component]
pub fn Graph(state: RwSignal<PanelState>, result: RwSignal<QueryResult>) -> impl IntoView {
    let canvas = NodeRef::<leptos::html::Canvas>::new();
    let area = StoredValue::new(None::<Area>);
    let hover = RwSignal::new(None::<Hover>);
    let plot = Memo::new(move |_| {
        result.with(|r| match r {
            QueryResult::Done { outcome, range: Some((start, end, step)) } => match &outcome.data {
                QueryData::Matrix(m) => Some(Plot::from_matrix(m, *start, *end, *step)),
                _ => None,
            },
            _ => None,
        })
    });

    Effect::new(move |_| {
        let Some(el) = canvas.get() else { return };
        plot.with(|p| {
            if let Some(p) = p {
                let width = el.client_width().max(320) as u32;
                el.set_width(width);
                el.set_height(HEIGHT);
                area.set_value(chart::draw(&el, p));
                crate::ui::api::mark("console:drawn");
            }
        });
        hover.set(None);
    });

    let on_move = move |ev: MouseEvent| {
        let (px, py) = (ev.offset_x(), ev.offset_y());
        let found = area.get_value().and_then(|a| {
            let ((x0, x1), (y0, y1)) = a;
            if px < x0 || px > x1 || py < y0 || py > y1 {
                return None;
            }
            plot.with_untracked(|p| {
                p.as_ref().and_then(|p| {
                    let (t, v) = pixel_to_data(p, a, px, py);
                    p.hover(t, v)
                })
            })
        });
        hover.set(found);
    };

    let text_input = move |testid: &'static str, placeholder: &'static str, get: fn(&PanelState) -> String, set: fn(&mut PanelState, String)| {
        view! {
            <input type="text" data-testid=testid size="12" placeholder=placeholder
                prop:value=move || state.with(get)
                on:change=move |ev| state.update(|s| set(s, event_target_value(&ev).trim().to_string()))/>
        }
    };

    view! {
        <div class="time-controls">
            <label>"Range " {text_input("range", "1h", |s| s.range.clone(), |s, v| s.range = v)}</label>
            <label>"End (UTC) " {text_input("end", "now", |s| s.end.clone(), |s, v| s.end = v)}</label>
            <label>"Step (s) " {text_input("step", "auto", |s| s.step.clone(), |s, v| s.step = v)}</label>
        </div>
        <div class="chart" class:empty=move || plot.with(|p| p.is_none())>
            <canvas data-testid="canvas" node_ref=canvas height=HEIGHT
                on:mousemove=on_move on:mouseleave=move |_| hover.set(None)></canvas>
            <div class="hover" data-testid="hover">
                {move || hover.get().map(|h| {
                    let name = plot.with(|p| p.as_ref().and_then(|p| p.series.get(h.series)).map(|s| s.name.clone()));
                    format!("{} UTC · {} · {}", format_time(h.t), short_value(h.value), name.unwrap_or_default())
                })}
            </div>
        </div>
        <ul class="legend" data-testid="legend">
            {move || plot.with(|p| p.as_ref().map(|p| p.series.iter().enumerate().map(|(i, s)| view! {
                <li data-testid="legend-item">
                    <span class="swatch" style=format!("background:{}", color_css(i))></span>
                    {s.name.clone()}
                </li>
            }).collect_view()))}
        </ul>
    }
}
