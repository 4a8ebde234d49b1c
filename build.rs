//! Rebuilds when a migration is added: `sqlx::migrate!` embeds the folders at compile time
//! and cannot tell cargo to watch them on stable Rust.
fn main() {
    println!("cargo:rerun-if-changed=src/store/migrations");
}
