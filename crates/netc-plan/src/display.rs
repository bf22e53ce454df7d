//! A readable dump of a Plan: buffers with kind and size, then each op
//! list with its operands by name.

use std::fmt;

use crate::plan::{Access, BufferLen, Op, Plan};

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
        let mut reads = Vec::new();
        let mut writes = Vec::new();
        op.kind.for_each_buffer(|id, access| {
            let name = &self.buffers[id.0].name;
            match access {
                Access::Read => reads.push(name.as_str()),
                Access::Write => writes.push(name.as_str()),
            }
        });
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
