//! The off-chain coordinator of the referral-rebate protocol (CN113177820B).
//!
//! # Overview
//!
//! In the patent the merchant's server, the customer's device and the referee's device pass the
//! offer, the rebate and the referred purchase back and forth, each adding its signature. The
//! coordinator carries those documents: a party posts a document (with its new link), the next
//! signer finds it in its mailbox, signs, and posts it back. It holds no keys and trusts no one:
//!
//! - every request is signed by the caller's own key ([`auth`]): a signature over the method,
//!   path, body hash, timestamp and nonce, within a short window, each nonce once;
//! - every document is checked on arrival with the client's own checks (the pallet's rules, the
//!   chain's genesis, every link's signature, the deadline when the coordinator follows a chain),
//!   must extend the stored one link by link, and only the promotion's parties post or read it;
//! - nothing is acknowledged before it is committed ([`store`]: SQLite in WAL mode by default,
//!   PostgreSQL for several instances over one database).
//!
//! # Interface
//!
//! `POST /v1/documents`, `GET /v1/promotions/{merchant}/{id}`, `GET /v1/mailbox`, `GET /health`,
//! `GET /ready`, `GET /metrics`, `GET /openapi.json` (the OpenAPI description). [`Coordinator`]
//! is the client side the CLI's `--coordinator` and agents use.

/// The stored documents' columns, in the order the store decodes them.
macro_rules! columns {
	() => {
		"merchant, promotion, kind, links, customer, referee, next_signer, complete, body"
	};
}

pub mod auth;
pub mod client;
pub mod error;
pub mod metrics;
pub mod server;
pub mod store;
mod writer;

pub use client::Coordinator;
pub use error::CoordinatorError;
pub use server::{router, App, Config};
pub use store::Store;

use std::sync::{
	atomic::{AtomicU64, Ordering},
	Arc,
};

/// The service's OpenAPI description.
pub const OPENAPI: &str = include_str!("openapi.json");

/// The chain's best block as the coordinator last saw it (`None`: it follows no chain).
#[derive(Clone, Default)]
pub struct Clock(Arc<AtomicU64>);

const UNKNOWN: u64 = u64::MAX;

impl Clock {
	/// A clock that knows no chain: deadlines are not checked on arrival.
	pub fn none() -> Self {
		Self(Arc::new(AtomicU64::new(UNKNOWN)))
	}

	/// The best block, if known.
	pub fn best(&self) -> Option<u32> {
		match self.0.load(Ordering::Relaxed) {
			UNKNOWN => None,
			n => Some(n as u32),
		}
	}

	/// Set the best block.
	pub fn set(&self, best: u32) {
		self.0.store(best as u64, Ordering::Relaxed);
	}

	/// Follow the chain at `spec` (an embedded chain's directory or a node's URL): read its best
	/// block every `period`, opening it only for the read (an embedded chain is shared with the
	/// parties' processes).
	pub fn follow(spec: String, period: std::time::Duration) -> Self {
		let clock = Self::none();
		let c = clock.clone();
		tokio::spawn(async move {
			loop {
				// Opening an embedded chain waits for its lock: off the async workers.
				let s = spec.clone();
				let handle = tokio::runtime::Handle::current();
				let read = tokio::task::spawn_blocking(move || handle.block_on(read_best(&s)));
				match read
					.await
					.unwrap_or_else(|e| Err(rebate_client::ClientError::Backend(e.to_string())))
				{
					Ok(best) => c.set(best),
					Err(e) => {
						tracing::warn!(chain = %spec, error = %e, "cannot read the best block")
					}
				}
				tokio::time::sleep(period).await;
			}
		});
		clock
	}
}

async fn read_best(spec: &str) -> Result<u32, rebate_client::ClientError> {
	use rebate_client::chain::Chain;
	let mut chain = rebate_client::chain::AnyChain::open(spec).await?;
	Ok(chain.best().await?.0)
}

/// Serve `app` on `listener` until ctrl-c or SIGTERM.
pub async fn serve(listener: tokio::net::TcpListener, app: Arc<App>) -> std::io::Result<()> {
	let shutdown = async {
		let ctrl_c = tokio::signal::ctrl_c();
		#[cfg(unix)]
		{
			let mut term =
				tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
			tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
		}
		#[cfg(not(unix))]
		let _ = ctrl_c.await;
		Ok::<(), std::io::Error>(())
	};
	axum::serve(listener, router(app))
		.with_graceful_shutdown(async move {
			let _ = shutdown.await;
		})
		.await
}
