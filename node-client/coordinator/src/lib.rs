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
//! # Terminology
//!
//! - *Promotion*: a merchant's promotion id with its rebate block, as the pallet keys an open
//!   promotion; a reused id (a later rebate block) is another promotion.
//! - *Backed*: an offer is backed when the chain the coordinator follows holds its origin
//!   purchase, by the customer from the merchant; only backed offers are stored, so a stranger
//!   cannot address documents to a party who never bought.
//! - *Session*: a short-lived token for one account at this coordinator's origin, given for a
//!   signed challenge ([`session`]).
//!
//! # Interface
//!
//! `POST /v1/documents`, `GET /v1/promotions/{merchant}/{id}`, `GET /v1/mailbox` (paged),
//! `GET /v1/sessions/challenge`, `POST /v1/sessions`, `GET /v1/mutes`,
//! `PUT`/`DELETE /v1/mutes/{account}`, `GET /health`, `GET /ready`, `GET /metrics`,
//! `GET /openapi.json` (the OpenAPI description). [`Coordinator`] is the client side the CLI's
//! `--coordinator` and agents use; [`api`] holds the types both sides speak.

/// The stored documents' columns, in the order the store decodes them.
macro_rules! columns {
	() => {
		"merchant, promotion, pay_at, kind, links, customer, referee, next_signer, complete, creator, sender, deadline, body, digest"
	};
}

pub mod api;
mod app;
pub mod auth;
pub mod chain;
pub mod client;
pub mod error;
mod extract;
mod intake;
pub mod metrics;
pub mod model;
pub mod retention;
pub mod routes;
pub mod session;
pub mod store;
mod writer;

pub use app::{App, Config};
pub use chain::ChainView;
pub use client::Coordinator;
pub use error::CoordinatorError;
pub use routes::{openapi::json as openapi_json, router, MAX_BODY};
pub use store::Store;

use std::sync::Arc;

/// The service's OpenAPI description (generated from [`api`] and the routes; checked in as
/// `src/openapi.json`, which a test keeps equal to it).
pub const OPENAPI: &str = include_str!("openapi.json");

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
