//! The syntax tree of a model file, as written, with a byte span on every
//! node. Nothing is resolved here: names are strings, numbers keep their
//! text, and layer calls look like any other call. Lowering gives meaning.

pub use crate::span::Span;

/// A whole model file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct File {
    pub models: Vec<Model>,
    pub span: Span,
    /// Text that error recovery removed after a syntax error.
    pub dropped: Vec<Dropped>,
}

/// A stretch of text removed by error recovery (a statement or a block with
/// a syntax error). The checks after parsing consult it so that a name it
/// declared is not reported as undefined, nor one it used as unused.
#[derive(Debug, Clone, PartialEq)]
pub struct Dropped {
    pub span: Span,
    /// `name` of a dropped `name = ...`.
    pub assigned: Option<Ident>,
    /// Every name and keyword in the dropped text.
    pub names: Vec<String>,
    /// The dropped text held a `{ ... }` block (a misspelt `forward {`).
    pub block: bool,
}

impl Dropped {
    pub fn mentions(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name)
    }
}

/// A name as written, with where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// `model Name { ... }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub name: Ident,
    pub items: Vec<Item>,
    pub span: Span,
}

/// One declaration or block inside a model, in source order.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Input(InputDecl),
    Layer(LayerDecl),
    Forward(ForwardBlock),
    Train(TrainBlock),
}

/// `input x: 9`.
#[derive(Debug, Clone, PartialEq)]
pub struct InputDecl {
    pub name: Ident,
    pub width: Expr,
    pub span: Span,
}

/// `fc1 = linear(9, 16)`.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerDecl {
    pub name: Ident,
    pub value: Expr,
    pub span: Span,
}

/// `forward { ... }`.
#[derive(Debug, Clone, PartialEq)]
pub struct ForwardBlock {
    /// The `forward` keyword.
    pub keyword: Span,
    pub statements: Vec<Statement>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub kind: StatementKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StatementKind {
    /// `x = expr`.
    Assign { target: Ident, value: Expr },
    /// `return expr`.
    Return(Expr),
}

/// `train { key = value ... }`.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainBlock {
    /// The `train` keyword.
    pub keyword: Span,
    pub entries: Vec<TrainEntry>,
    pub span: Span,
}

/// `epochs = 50`.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainEntry {
    pub key: Ident,
    pub value: Expr,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Number(Number),
    Bool(bool),
    /// The text between the quotes.
    Str(String),
    /// A bare name: a variable, `relu`, `fan_in`, `bce`, ...
    Name(String),
    /// `(a, b)`; a single parenthesised expression is a one-element tuple
    /// (see [`Expr::ungrouped`]).
    Tuple(Vec<Expr>),
    Call(Call),
    /// `a + b + c`, flat: two or more terms. A residual sum of values in
    /// `forward`, an integer sum in arguments.
    Add(Vec<Expr>),
    /// Integer arithmetic other than a plain sum: `16 * 5 * 5`,
    /// `a - b + c`, `(k - 1) // 2`. Written only inside parentheses.
    Arith(Chain),
}

impl Expr {
    /// The expression with grouping parentheses `(e)` removed.
    pub fn ungrouped(&self) -> &Expr {
        let mut expr = self;
        while let ExprKind::Tuple(items) = &expr.kind {
            match items.as_slice() {
                [inner] => expr = inner,
                _ => break,
            }
        }
        expr
    }

    /// A short description for messages: "a number", "the name `relu`".
    pub fn describe(&self) -> String {
        match &self.kind {
            ExprKind::Number(n) => format!("the number `{}`", n.text),
            ExprKind::Bool(b) => format!("`{b}`"),
            ExprKind::Str(_) => "a string".to_string(),
            ExprKind::Name(name) => format!("the name `{name}`"),
            ExprKind::Tuple(_) => "a tuple".to_string(),
            ExprKind::Call(call) => format!("a call of `{}`", call.callee.name),
            ExprKind::Add(_) => "a sum".to_string(),
            ExprKind::Arith(_) => "an arithmetic expression".to_string(),
        }
    }
}

/// One precedence level of arithmetic, `first op operand op operand ...`,
/// evaluated left to right. It stays flat, like [`ExprKind::Add`], so a
/// long chain is no deep tree; a tighter level is an operand
/// (`a + b * c` is a chain of `a` and the chain `b * c`).
#[derive(Debug, Clone, PartialEq)]
pub struct Chain {
    pub first: Box<Expr>,
    pub rest: Vec<Operation>,
}

impl Chain {
    /// Every operand, in order.
    pub fn operands(&self) -> impl Iterator<Item = &Expr> {
        std::iter::once(&*self.first).chain(self.rest.iter().map(|step| &step.operand))
    }
}

/// `op operand` after the first operand of a [`Chain`].
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    pub op: BinOp,
    /// The operator itself.
    pub op_span: Span,
    pub operand: Expr,
}

/// An arithmetic operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    /// `//`: Python's floor division, rounding toward negative infinity.
    FloorDiv,
}

impl BinOp {
    /// As written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::FloorDiv => "//",
        }
    }
}

/// A number literal: its value and its text (`16` is an integer, `16.0` is
/// not).
#[derive(Debug, Clone, PartialEq)]
pub struct Number {
    pub value: f64,
    pub text: String,
}

impl Number {
    /// Written without a fraction or exponent.
    pub fn is_integer_literal(&self) -> bool {
        let digits = self.text.strip_prefix('-').unwrap_or(&self.text);
        !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
    }
}

/// `callee(arg, key=value, ...)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub callee: Ident,
    pub args: Vec<Arg>,
}

/// A positional (`16`) or keyword (`eps=1e-5`) argument.
#[derive(Debug, Clone, PartialEq)]
pub struct Arg {
    pub key: Option<Ident>,
    pub value: Expr,
    pub span: Span,
}
