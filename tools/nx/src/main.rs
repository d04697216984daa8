//! nx
fn main() {}
