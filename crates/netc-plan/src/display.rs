//! A readable dump of a Plan: buffers with kind and size, then each op
//! list with its operands by name.

use std::fmt;

use crate::plan::{BufferId, BufferLen, Op, Operand, Plan};

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "plan {} (batch {}, loss {}, optimizer {} lr={}{})",
            self.model,
            self.batch,
            self.loss.name(),
            self.optimizer.name(),
            self.optimizer.lr(),
            match self.clip_grad_norm {
                Some(max) => format!(", clip_grad_norm {max}"),
                None => String::new(),
            }
        )?;
        writeln!(f, "buffers:")?;
        for (id, buffer) in self.buffers.iter().enumerate() {
            let size = match buffer.len {
                BufferLen::PerSample(width) => format!("[B, {width}]"),
                BufferLen::Fixed(len) => format!("[{len}]"),
            };
            writeln!(
                f,
                "  %{id:<3} {:<28} {:<16} {size}",
                buffer.name,
                buffer.kind.name()
            )?;
        }
        for (title, ops) in [
            ("forward (train)", &self.forward),
            ("inference (eval)", &self.inference),
            ("backward", &self.backward),
            ("update", &self.update),
        ] {
            writeln!(f, "{title}:")?;
            for op in ops {
                self.fmt_op(op, f)?;
            }
        }
        Ok(())
    }
}

impl Plan {
    /// `  name                 outputs <- inputs    ; origin`
    fn fmt_op(&self, op: &Op, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = |id: BufferId| self.buffers[id.0].name.clone();
        let fresh = op.kind.fresh().copied().unwrap_or_default();
        let (mut reads, mut writes) = (Vec::new(), Vec::new());
        // `=name` marks an output overwritten (fresh), not added into.
        let mut output = 0;
        for (_, operand) in op.kind.operands() {
            if let Operand::Write(_) | Operand::WriteOpt(_) = operand {
                output += 1;
            }
            match operand {
                Operand::Read(id) | Operand::ReadOpt(Some(id)) => reads.push(name(id)),
                Operand::Write(id) | Operand::WriteOpt(Some(id)) => {
                    let mark = if fresh.output(output - 1) { "=" } else { "" };
                    writes.push(format!("{mark}{}", name(id)));
                }
                Operand::Counter(id) | Operand::State(id) => writes.push(name(id)),
                _ => {}
            }
        }
        writeln!(
            f,
            "  {:<20} {} <- {}    ; {}",
            op.kind.name(),
            writes.join(", "),
            reads.join(", "),
            op.origin
        )
    }
}
