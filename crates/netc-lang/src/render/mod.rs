//! Renderers turn diagnostics (data) into text for people and machines.
