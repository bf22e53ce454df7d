//! `--plot DIR`: the loss per epoch (train and validation) and each
//! layer's mean weight-gradient norm per epoch on a log scale, each as SVG
//! and PNG. The PNG text uses a font embedded in the binary, so plotting
//! needs no system font library.

use std::ops::Range;
use std::path::Path;
use std::sync::OnceLock;

use netc_runtime::train::EpochReport;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;

/// DejaVu Sans (Bitstream Vera licence, see assets/fonts/LICENSE-DejaVu.txt).
const FONT: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
const FAMILY: &str = "sans-serif";
const SIZE: (u32, u32) = (960, 600);
/// Dark, distinct line colours that stay legible on white.
const LINE_COLORS: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
    RGBColor(23, 190, 207),
    RGBColor(140, 86, 75),
    RGBColor(0, 0, 0),
];

/// Writes `loss.{svg,png}` and `grad_norm.{svg,png}` into `dir` (created
/// when missing); returns the files written.
pub fn write_plots(dir: &Path, reports: &[EpochReport]) -> Result<Vec<String>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
    register_font()?;
    let path = |name: &str| dir.join(name);
    let failed = |name: &str, e: String| format!("cannot draw `{}`: {e}", path(name).display());

    draw_loss(
        SVGBackend::new(&path("loss.svg"), SIZE).into_drawing_area(),
        reports,
    )
    .map_err(|e| failed("loss.svg", e))?;
    draw_loss(
        BitMapBackend::new(&path("loss.png"), SIZE).into_drawing_area(),
        reports,
    )
    .map_err(|e| failed("loss.png", e))?;
    draw_grad_norm(
        SVGBackend::new(&path("grad_norm.svg"), SIZE).into_drawing_area(),
        reports,
    )
    .map_err(|e| failed("grad_norm.svg", e))?;
    draw_grad_norm(
        BitMapBackend::new(&path("grad_norm.png"), SIZE).into_drawing_area(),
        reports,
    )
    .map_err(|e| failed("grad_norm.png", e))?;
    Ok(["loss.svg", "loss.png", "grad_norm.svg", "grad_norm.png"]
        .iter()
        .map(|name| path(name).display().to_string())
        .collect())
}

fn register_font() -> Result<(), String> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED
        .get_or_init(|| plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_ok());
    ok.then_some(())
        .ok_or_else(|| "the embedded plot font is invalid".to_string())
}

fn draw_loss<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    reports: &[EpochReport],
) -> Result<(), String> {
    let train: Vec<(f64, f64)> = points(reports, |r| Some(r.train.loss));
    let val: Vec<(f64, f64)> = points(reports, |r| r.val.map(|v| v.loss));
    let values = train.iter().chain(&val).map(|&(_, y)| y);
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), y| {
        (lo.min(y), hi.max(y))
    });
    let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
    let pad = ((hi - lo) * 0.05).max(1e-6);
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let mut chart = ChartBuilder::on(&root)
        .caption("Loss per epoch", (FAMILY, 28))
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(80)
        .build_cartesian_2d(epoch_range(reports), (lo - pad)..(hi + pad))
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_desc("loss")
        .axis_desc_style((FAMILY, 20))
        .label_style((FAMILY, 16))
        .draw()
        .map_err(|e| e.to_string())?;
    for (name, series, color) in [("train", train, BLUE), ("validation", val, RED)] {
        if series.is_empty() {
            continue;
        }
        chart
            .draw_series(LineSeries::new(series, color.stroke_width(2)))
            .map_err(|e| e.to_string())?
            .label(name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(2))
            });
    }
    legend(&mut chart)?;
    root.present().map_err(|e| e.to_string())
}

fn draw_grad_norm<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    reports: &[EpochReport],
) -> Result<(), String> {
    // Weights only: biases and norm shifts would double the lines without
    // saying more about how the signal flows through the layers.
    let names: Vec<&str> = reports
        .first()
        .map(|r| {
            r.grad_norm
                .iter()
                .map(|(n, _)| n.as_str())
                .filter(|n| n.ends_with(".weight"))
                .collect()
        })
        .unwrap_or_default();
    let series: Vec<(&str, Vec<(f64, f64)>)> = names
        .iter()
        .map(|&name| {
            let norm = |r: &EpochReport| {
                r.grad_norm
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|&(_, v)| v)
                    .filter(|v| *v > 0.0)
            };
            (name, points(reports, norm))
        })
        .collect();
    // Plotted as log10 on a linear axis and labelled as powers of ten:
    // plotters' own log axis leaves the lower decades unlabelled.
    let values = series.iter().flat_map(|(_, s)| s.iter().map(|&(_, y)| y));
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), y| {
        (lo.min(y), hi.max(y))
    });
    let (lo, hi) = if lo.is_finite() {
        (lo.log10(), hi.log10())
    } else {
        (-3.0, 0.0)
    };
    let pad = ((hi - lo) * 0.05).max(0.1);
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let mut chart = ChartBuilder::on(&root)
        .caption("Mean weight-gradient norm per epoch", (FAMILY, 28))
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(80)
        .build_cartesian_2d(epoch_range(reports), (lo - pad)..(hi + pad))
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_desc("‖∇W‖ (log scale)")
        .y_labels(10)
        .y_label_formatter(&|v| format!("{:.1e}", 10f64.powf(*v)))
        .axis_desc_style((FAMILY, 20))
        .label_style((FAMILY, 16))
        .draw()
        .map_err(|e| e.to_string())?;
    for (i, (name, points)) in series.into_iter().enumerate() {
        let color = LINE_COLORS[i % LINE_COLORS.len()];
        let points = points.into_iter().map(|(x, y)| (x, y.log10()));
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)))
            .map_err(|e| e.to_string())?
            .label(name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(2))
            });
    }
    legend(&mut chart)?;
    root.present().map_err(|e| e.to_string())
}

fn legend<'a, DB: DrawingBackend + 'a, CT: plotters::coord::CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
) -> Result<(), String> {
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font((FAMILY, 18))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|e| e.to_string())
}

/// `(epoch, value)` for the epochs where `value` is finite.
fn points(reports: &[EpochReport], value: impl Fn(&EpochReport) -> Option<f64>) -> Vec<(f64, f64)> {
    reports
        .iter()
        .filter_map(|r| {
            value(r)
                .filter(|v| v.is_finite())
                .map(|v| (r.epoch as f64, v))
        })
        .collect()
}

/// From the first to the last epoch, never empty.
fn epoch_range(reports: &[EpochReport]) -> Range<f64> {
    let last = reports.last().map_or(1, |r| r.epoch) as f64;
    1.0..last.max(2.0)
}
