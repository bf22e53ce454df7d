//! `--plot DIR`: the loss per epoch (train and validation) and each
//! layer's mean weight-gradient norm per epoch on a log scale, each as SVG
//! and PNG. The PNG text uses a font embedded in the binary, so plotting
//! needs no system font library.

use std::ops::Range;
use std::path::Path;
use std::sync::OnceLock;

use netc_train::EpochReport;
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
    prepare_dir(dir)?;
    register_font()?;
    let mut written = Vec::new();
    for (stem, plot) in [
        ("loss", loss_plot(reports)),
        ("grad_norm", grad_norm_plot(reports)),
    ] {
        let svg = dir.join(format!("{stem}.svg"));
        let png = dir.join(format!("{stem}.png"));
        let failed = |path: &Path, e: String| format!("cannot draw `{}`: {e}", path.display());
        draw(
            SVGBackend::new(&svg, SIZE).into_drawing_area(),
            &plot,
            reports,
        )
        .map_err(|e| failed(&svg, e))?;
        draw(
            BitMapBackend::new(&png, SIZE).into_drawing_area(),
            &plot,
            reports,
        )
        .map_err(|e| failed(&png, e))?;
        written.extend([svg, png].map(|path| path.display().to_string()));
    }
    Ok(written)
}

/// Creates `dir` if needed and makes sure files can be written in it.
pub fn prepare_dir(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
    tempfile::tempfile_in(dir)
        .map(drop)
        .map_err(|e| format!("cannot write in `{}`: {}", dir.display(), e.kind()))
}

fn register_font() -> Result<(), String> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED
        .get_or_init(|| plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_ok());
    ok.then_some(())
        .ok_or_else(|| "the embedded plot font is invalid".to_string())
}

/// What sets one chart apart; [`draw`] does the rest the same way.
struct Plot<'a> {
    caption: &'static str,
    y_desc: &'static str,
    lines: Vec<Line<'a>>,
    /// The y range when no line has a point.
    empty_range: (f64, f64),
    /// The least margin above and below the lines.
    min_pad: f64,
    /// Labels for the plotted y values, when plotters' own would mislead.
    y_label: Option<fn(&f64) -> String>,
}

/// A named line, `(epoch, y)` in plotted units.
struct Line<'a> {
    name: &'a str,
    points: Vec<(f64, f64)>,
    color: RGBColor,
}

fn loss_plot(reports: &[EpochReport]) -> Plot<'static> {
    let train = points(reports, |r| Some(r.train.loss));
    let val = points(reports, |r| r.val.map(|v| v.loss));
    Plot {
        caption: "Loss per epoch",
        y_desc: "loss",
        // A split without a finite loss (no validation rows) gets no
        // legend entry.
        lines: [
            Line {
                name: "train",
                points: train,
                color: BLUE,
            },
            Line {
                name: "validation",
                points: val,
                color: RED,
            },
        ]
        .into_iter()
        .filter(|line| !line.points.is_empty())
        .collect(),
        empty_range: (0.0, 1.0),
        min_pad: 1e-6,
        y_label: None,
    }
}

fn grad_norm_plot(reports: &[EpochReport]) -> Plot<'_> {
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
    // Plotted as log10 on a linear axis and labelled as powers of ten:
    // plotters' own log axis leaves the lower decades unlabelled.
    let lines = names
        .iter()
        .enumerate()
        .map(|(i, &name)| {
            let log_norm = |r: &EpochReport| {
                r.grad_norm
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|&(_, v)| v)
                    .filter(|v| *v > 0.0)
                    .map(f64::log10)
            };
            Line {
                name,
                points: points(reports, log_norm),
                color: LINE_COLORS[i % LINE_COLORS.len()],
            }
        })
        .collect();
    Plot {
        caption: "Mean weight-gradient norm per epoch",
        y_desc: "‖∇W‖ (log scale)",
        lines,
        empty_range: (-3.0, 0.0),
        min_pad: 0.1,
        y_label: Some(|v| format!("{:.1e}", 10f64.powf(*v))),
    }
}

fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    plot: &Plot<'_>,
    reports: &[EpochReport],
) -> Result<(), String> {
    let values = plot
        .lines
        .iter()
        .flat_map(|line| line.points.iter().map(|&(_, y)| y));
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), y| {
        (lo.min(y), hi.max(y))
    });
    let (lo, hi) = if lo.is_finite() {
        (lo, hi)
    } else {
        plot.empty_range
    };
    let pad = ((hi - lo) * 0.05).max(plot.min_pad);
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let mut chart = ChartBuilder::on(&root)
        .caption(plot.caption, (FAMILY, 28))
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(80)
        .build_cartesian_2d(epoch_range(reports), (lo - pad)..(hi + pad))
        .map_err(|e| e.to_string())?;
    let mut mesh = chart.configure_mesh();
    mesh.x_desc("epoch")
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_desc(plot.y_desc);
    if let Some(y_label) = &plot.y_label {
        mesh.y_labels(10).y_label_formatter(y_label);
    }
    mesh.axis_desc_style((FAMILY, 20))
        .label_style((FAMILY, 16))
        .draw()
        .map_err(|e| e.to_string())?;
    for line in &plot.lines {
        let color = line.color;
        chart
            .draw_series(LineSeries::new(
                line.points.iter().copied(),
                color.stroke_width(2),
            ))
            .map_err(|e| e.to_string())?
            .label(line.name)
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
