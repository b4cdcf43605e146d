//! # rebate-node
//!
//! A minimal but real Substrate node serving the referral-rebate test runtime: a ParityDB
//! database, the transaction pool, the standard JSON-RPC server (legacy and new-spec methods,
//! `system_accountNextIndex`, `engine_createBlock`), block production by manual seal and
//! finality with every sealed block. It runs the runtime's wasm only (the native runtime is
//! linked for its API types, never executed).
//!
//! Block production (`--consensus`):
//! - `instant-seal` (default): a block as soon as a transaction enters the pool;
//! - `manual-seal-MS`: a block every MS milliseconds, with whatever the pool holds;
//! - either way `engine_createBlock(createEmpty, finalize)` seals a block on request.
//!
//! Block `n` carries the timestamp `n × SLOT_DURATION` and Aura's pre-digest for slot `n`, as the
//! embedded chain and chopsticks do, so blocks can be made faster than the slot without breaking
//! Aura's rules and deadlines read the same on every backend.
//!
//! Built on polkadot-sdk's client crates (stable2609) the way its minimal template node is.

mod chain_spec;
mod cli;
mod command;
mod rpc;
mod service;

fn main() -> sc_cli::Result<()> {
	command::run()
}
