//! `rebate advance N`: produce (embedded, or a dev node) or wait for blocks.

use super::Context;
use crate::{coordination::CliError, output};
use rebate_client::chain::Chain;

#[derive(clap::Args)]
pub struct Args {
	/// How many blocks.
	n: u32,
}

impl Args {
	pub async fn run(self, ctx: &Context) -> Result<(), CliError> {
		let mut client = ctx.client().await?;
		let bar = output::progress(self.n as u64, "blocks");
		let best =
			client.chain.advance(self.n, &mut |done, _| bar.set_position(done as u64)).await?;
		bar.finish_and_clear();
		ctx.out.value(&format!("at block {best}"), serde_json::json!({ "best": best }));
		Ok(())
	}
}
