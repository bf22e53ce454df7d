//! Widths that are either known when the kernel is compiled or only when
//! it runs, through one generic path.
//!
//! The interpreter passes a layer's width as a `usize`; generated code
//! passes [`Const<N>`]. Kernels take `impl Dim` and read the width once
//! with [`Dim::get`], so the same body serves both: instantiated with a
//! constant, LLVM unrolls the feature loops and drops the scalar
//! epilogues; with a `usize` it is the ordinary run-time kernel. Both
//! run the same arithmetic in the same order, so they give the same bits.

/// A width: a run-time `usize` or a compile-time [`Const`].
pub trait Dim: Copy + Send + Sync {
    fn get(self) -> usize;
}

impl Dim for usize {
    #[inline(always)]
    fn get(self) -> usize {
        self
    }
}

/// A width fixed at compile time (what generated code passes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Const<const N: usize>;

impl<const N: usize> Dim for Const<N> {
    #[inline(always)]
    fn get(self) -> usize {
        N
    }
}
