//! `gdshrink::studies`: `validate` driven through the library on the GPU and on
//! a replayed golden engine, and `reproduce`'s claims and protocols. The
//! `compare` study is driven through its command (`cli/compare.rs`), as are
//! the command-line sides of `validate` and `reproduce`.

#[cfg(feature = "plot")]
mod reproduce;
mod sweep;
mod validate;
