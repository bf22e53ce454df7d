//! `netc_runtime::Network` over the interpreter.

use netc_runtime::{loss, Network, NonFinite, TensorRef, WeightError};

use super::{state, Interpreter};

impl Network for Interpreter {
    fn input_width(&self) -> usize {
        self.plan.input_width
    }

    fn output_width(&self) -> usize {
        self.plan.output_width
    }

    fn target_width(&self) -> usize {
        self.plan.target_width
    }

    fn train_step(&mut self, x: &[f32], y: &[f32]) -> f32 {
        self.train(x, y)
    }

    fn predict(&mut self, x: &[f32], out: &mut [f32]) {
        self.infer(x, out)
    }

    fn loss(&self, out: &[f32], y: &[f32]) -> f32 {
        let width = self.plan.output_width;
        let batch = out.len() / width.max(1);
        loss::loss_forward(&self.plan.loss, out, y, batch, width)
    }

    fn learning_rate(&self) -> f64 {
        self.optimizer.lr()
    }

    fn set_learning_rate(&mut self, lr: f64) {
        self.optimizer = self.optimizer.with_lr(lr);
    }

    fn state_dict(&self) -> Vec<TensorRef<'_>> {
        state::state_dict(&self.plan, &self.store)
    }

    fn load_state_dict(&mut self, tensors: &[TensorRef<'_>]) -> Result<(), WeightError> {
        state::load_state_dict(&self.plan, &mut self.store, tensors)
    }

    fn parameter(&self, name: &str) -> Option<&[f32]> {
        let entry = self.plan.state_entry(name).filter(|e| e.is_parameter())?;
        Some(self.store.get(entry.buffer, self.plan.batch))
    }

    fn parameter_mut(&mut self, name: &str) -> Option<&mut [f32]> {
        let entry = self.plan.state_entry(name).filter(|e| e.is_parameter())?;
        Some(self.store.get_mut(entry.buffer, self.plan.batch))
    }

    fn gradient(&self, name: &str) -> Option<&[f32]> {
        let grad = self.plan.state_entry(name)?.grad?;
        Some(self.store.get(grad, self.plan.batch))
    }

    fn parameter_names(&self) -> Vec<&str> {
        self.plan
            .state
            .iter()
            .filter(|e| e.is_parameter())
            .map(|e| e.name.as_str())
            .collect()
    }

    fn first_non_finite(&self) -> Option<NonFinite> {
        let index = self.first_non_finite?;
        Some(NonFinite {
            location: self.plan.forward[index].origin.clone(),
        })
    }
}
