//! nxsym
fn main() {}
