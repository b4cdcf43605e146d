//! Retention: documents are deleted a grace period after their promotion's rebate block (the
//! nonces as their windows close, with every commit). Only with a chain followed: its best block
//! is what the deadlines are measured against.

use crate::{app::App, model::Write};
use std::{sync::Arc, time::Duration};

/// Every `period`, forget the documents of promotions whose rebate block is more than the
/// configured grace behind the chain's best block.
pub fn spawn(app: Arc<App>, period: Duration) -> tokio::task::JoinHandle<()> {
	tokio::spawn(async move {
		let mut tick = tokio::time::interval(period);
		tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
		loop {
			tick.tick().await;
			if let Err(e) = sweep(&app).await {
				tracing::warn!(error = %e, "forgetting ended promotions failed");
			}
		}
	})
}

/// Forget what has ended at the chain's best block (nothing without a chain).
pub async fn sweep(app: &App) -> Result<(), crate::CoordinatorError> {
	let Some(best) = app.chain.best() else { return Ok(()) };
	let Some(before) = best.checked_sub(app.config.grace_blocks) else { return Ok(()) };
	app.store.write(Write::Forget { before }).await.map(|_| ())
}
