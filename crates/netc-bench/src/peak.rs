//! `--peak`: one core's multiply-add peak on each SIMD path netc can run
//! here, the ceiling a workload's products are read against (a step's
//! product FLOPs over its time, as a share of this).

use std::hint::black_box;

use serde::{Serialize, Serializer};

use netc_runtime::simd::peak::fma_chains_with;
use netc_runtime::simd::Isa;

use crate::executor::tenths;
use crate::timing::{measure, Timing};

/// Multiply-adds per lane per call: a call takes a fraction of a
/// millisecond, so a timed chunk holds many.
const STEPS: usize = 100_000;

/// The peak measured on one path.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PathPeak {
    pub path: &'static str,
    #[serde(rename = "fma_peak_gflops", serialize_with = "one_decimal")]
    pub gflops: f64,
}

/// Times [`fma_chains_with`] on every path this CPU runs.
pub fn measure_peaks(timing: &Timing) -> Vec<PathPeak> {
    Isa::available()
        .map(|isa| measure_peak(isa, timing))
        .collect()
}

/// Times [`fma_chains_with`] on one path.
pub fn measure_peak(isa: Isa, timing: &Timing) -> PathPeak {
    let mut flops = 0;
    let sample = measure(timing, || {
        let run = fma_chains_with(isa, black_box(STEPS), black_box(0.5));
        flops = run.flops;
        black_box(run.total);
    });
    PathPeak {
        path: isa.name(),
        gflops: flops as f64 / sample.per_call.as_secs_f64() / 1e9,
    }
}

/// `{"path": "avx512", "fma_peak_gflops": 116.2}`
pub fn json_line(peak: &PathPeak) -> serde_json::Result<String> {
    serde_json::to_string(peak)
}

/// One line per path.
pub fn table(peaks: &[PathPeak]) -> String {
    let mut text = format!("{:<10} {:>15}\n", "path", "fma_peak_gflops");
    for peak in peaks {
        text += &format!("{:<10} {:>15.1}\n", peak.path, peak.gflops);
    }
    text
}

fn one_decimal<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64(tenths(*value))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn every_path_gets_a_positive_figure() {
        let timing = Timing {
            warmup: Duration::ZERO,
            chunk: Duration::from_micros(100),
            min_time: Duration::from_millis(1),
            min_chunks: 2,
        };
        let peaks = measure_peaks(&timing);
        let paths: Vec<_> = peaks.iter().map(|p| p.path).collect();
        let expected: Vec<_> = Isa::available().map(Isa::name).collect();
        assert_eq!(paths, expected);
        assert!(peaks.iter().all(|p| p.gflops.is_finite() && p.gflops > 0.0));
    }

    #[test]
    fn json_and_table_show_one_decimal() {
        let peaks = [PathPeak {
            path: "avx512",
            gflops: 116.24,
        }];
        assert_eq!(
            json_line(&peaks[0]).expect("a peak serialises"),
            r#"{"path":"avx512","fma_peak_gflops":116.2}"#
        );
        let text = table(&peaks);
        let lines: Vec<_> = text.lines().collect();
        assert_eq!(
            lines[0].split_whitespace().collect::<Vec<_>>(),
            ["path", "fma_peak_gflops"]
        );
        assert_eq!(
            lines[1].split_whitespace().collect::<Vec<_>>(),
            ["avx512", "116.2"]
        );
    }
}
