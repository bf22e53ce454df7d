//! The shape of one sample of a value, flat or an image.

use netc_ops::image::ImageShape;

/// The shape of one sample of a value. Either way the executors store a
/// sample as `numel()` contiguous floats (images in PyTorch's CHW order),
/// so a batch is a `[batch, numel]` buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shape {
    Flat(usize),
    Image(ImageShape),
}

impl Shape {
    pub fn numel(self) -> usize {
        match self {
            Shape::Flat(width) => width,
            Shape::Image(image) => image.numel(),
        }
    }

    pub fn image(self) -> Option<ImageShape> {
        match self {
            Shape::Flat(_) => None,
            Shape::Image(image) => Some(image),
        }
    }
}

impl std::fmt::Display for Shape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Shape::Flat(width) => write!(f, "{width}"),
            Shape::Image(image) => {
                write!(f, "({}, {}, {})", image.channels, image.height, image.width)
            }
        }
    }
}
