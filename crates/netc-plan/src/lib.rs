//! IR → Plan (autodiff, buffer scheduling) and the Plan interpreter.
