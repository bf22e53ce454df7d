//! Every layer and variable name written in a file, by model: what go to
//! definition, references, rename and hover look up.

use netc_lang::ast::{self, Expr, ExprKind, Item, Span, StatementKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// `fc1 = linear(...)`.
    LayerDeclaration,
    /// `fc1(x)` in `forward`.
    LayerCall,
    /// `input x: 9`.
    Input,
    /// `x = ...` in `forward`.
    Assignment,
    /// `x` read in `forward`.
    Use,
}

impl Role {
    pub fn is_layer(self) -> bool {
        matches!(self, Role::LayerDeclaration | Role::LayerCall)
    }

    pub fn is_definition(self) -> bool {
        matches!(
            self,
            Role::LayerDeclaration | Role::Input | Role::Assignment
        )
    }
}

/// One written name.
#[derive(Debug, Clone, PartialEq)]
pub struct Occurrence {
    pub name: String,
    pub span: Span,
    pub role: Role,
    /// Index of the model in the file.
    pub model: usize,
    /// Where a definition starts to be visible: the end of its statement
    /// (`x = f(x)` reads the `x` before it), the file start for the input.
    pub visible_from: usize,
}

/// The names of `file`, in source order within each model.
pub fn occurrences(file: &ast::File) -> Vec<Occurrence> {
    let mut found = Vec::new();
    for (index, model) in file.models.iter().enumerate() {
        let layers: Vec<&str> = model
            .items
            .iter()
            .filter_map(|item| match item {
                Item::Layer(decl) => Some(decl.name.name.as_str()),
                _ => None,
            })
            .collect();
        let mut push = |name: &str, span: Span, role: Role, visible_from: usize| {
            found.push(Occurrence {
                name: name.to_string(),
                span,
                role,
                model: index,
                visible_from,
            })
        };
        for item in &model.items {
            match item {
                Item::Input(decl) => push(&decl.name.name, decl.name.span, Role::Input, 0),
                Item::Layer(decl) => {
                    push(&decl.name.name, decl.name.span, Role::LayerDeclaration, 0)
                }
                Item::Forward(block) => {
                    for statement in &block.statements {
                        match &statement.kind {
                            StatementKind::Assign { target, value } => {
                                let end = statement.span.end;
                                push(&target.name, target.span, Role::Assignment, end);
                                walk(value, &layers, &mut |name, span, role| {
                                    push(name, span, role, span.start)
                                });
                            }
                            StatementKind::Return(value) => {
                                walk(value, &layers, &mut |name, span, role| {
                                    push(name, span, role, span.start)
                                })
                            }
                        }
                    }
                }
                Item::Train(_) => {}
            }
        }
    }
    found
}

/// The names a forward expression reads: layer calls and variables.
fn walk(expr: &Expr, layers: &[&str], push: &mut impl FnMut(&str, Span, Role)) {
    match &expr.kind {
        ExprKind::Name(name) => push(name, expr.span, Role::Use),
        ExprKind::Call(call) => {
            if layers.contains(&call.callee.name.as_str()) {
                push(&call.callee.name, call.callee.span, Role::LayerCall);
            }
            for arg in &call.args {
                // Keyword values (`negative_slope=0.2`) are no variables.
                if arg.key.is_none() {
                    walk(&arg.value, layers, push);
                }
            }
        }
        ExprKind::Tuple(items) | ExprKind::Add(items) => {
            for item in items {
                walk(item, layers, push);
            }
        }
        ExprKind::Arith(chain) => {
            for operand in chain.operands() {
                walk(operand, layers, push);
            }
        }
        ExprKind::Number(_) | ExprKind::Bool(_) | ExprKind::Str(_) => {}
    }
}

/// The occurrence under `offset` (its end counts: a cursor just after a
/// name is on it).
pub fn at(occurrences: &[Occurrence], offset: usize) -> Option<&Occurrence> {
    occurrences
        .iter()
        .find(|o| o.span.start <= offset && offset <= o.span.end)
}

/// The occurrences that name the same thing as `target`: same model, same
/// name, both layers or both values.
pub fn same_symbol<'o>(
    occurrences: &'o [Occurrence],
    target: &Occurrence,
) -> impl Iterator<Item = &'o Occurrence> + 'o {
    let (name, model, layer) = (target.name.clone(), target.model, target.role.is_layer());
    occurrences
        .iter()
        .filter(move |o| o.model == model && o.name == name && o.role.is_layer() == layer)
}

/// Where `target` is defined: a layer's declaration; for a value read in
/// `forward`, the last assignment before it (or the input); for an
/// assignment, itself.
pub fn definition<'o>(
    occurrences: &'o [Occurrence],
    target: &Occurrence,
) -> Option<&'o Occurrence> {
    let mut candidates = same_symbol(occurrences, target).filter(|o| o.role.is_definition());
    match target.role {
        Role::LayerCall | Role::LayerDeclaration => candidates.next(),
        Role::Input | Role::Assignment => candidates.find(|o| o.span == target.span),
        Role::Use => candidates
            .filter(|o| o.visible_from <= target.span.start)
            .max_by_key(|o| o.visible_from),
    }
}
