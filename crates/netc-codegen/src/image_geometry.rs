//! Image-op geometries (`netc_ops::image`) as constant struct literals,
//! so a generated model's convolutions and pools loop over literal sizes.

use netc_ops::image::{
    AdaptivePool2dGeometry, Conv2dGeometry, ImageShape, Pad, Pool2dGeometry, PoolKind, Window,
};
use proc_macro2::TokenStream;
use quote::quote;

use crate::values::usize_lit;

pub fn shape(shape: &ImageShape) -> TokenStream {
    let [c, h, w] = [shape.channels, shape.height, shape.width].map(usize_lit);
    quote!(::netc::ops::image::ImageShape { channels: #c, height: #h, width: #w })
}

fn window(window: &Window) -> TokenStream {
    let Pad { before, after } = window.pad;
    let [kernel, stride, before, after, dilation] =
        [window.kernel, window.stride, before, after, window.dilation].map(usize_lit);
    quote!(::netc::ops::image::Window {
        kernel: #kernel,
        stride: #stride,
        pad: ::netc::ops::image::Pad { before: #before, after: #after },
        dilation: #dilation,
    })
}

pub fn conv2d(geometry: &Conv2dGeometry) -> TokenStream {
    let input = shape(&geometry.input);
    let [out_channels, groups] = [geometry.out_channels, geometry.groups].map(usize_lit);
    let (rows, cols) = (window(&geometry.rows), window(&geometry.cols));
    quote!(::netc::ops::image::Conv2dGeometry {
        input: #input,
        out_channels: #out_channels,
        groups: #groups,
        rows: #rows,
        cols: #cols,
    })
}

pub fn pool2d(geometry: &Pool2dGeometry) -> TokenStream {
    let input = shape(&geometry.input);
    let kind = match geometry.kind {
        PoolKind::Max => quote!(::netc::ops::image::PoolKind::Max),
        PoolKind::Avg { count_include_pad } => {
            quote!(::netc::ops::image::PoolKind::Avg { count_include_pad: #count_include_pad })
        }
    };
    let (rows, cols) = (window(&geometry.rows), window(&geometry.cols));
    quote!(::netc::ops::image::Pool2dGeometry {
        input: #input,
        kind: #kind,
        rows: #rows,
        cols: #cols,
    })
}

pub fn adaptive_pool2d(geometry: &AdaptivePool2dGeometry) -> TokenStream {
    let input = shape(&geometry.input);
    let [height, width] = [geometry.output_height, geometry.output_width].map(usize_lit);
    quote!(::netc::ops::image::AdaptivePool2dGeometry {
        input: #input,
        output_height: #height,
        output_width: #width,
    })
}
