//! `rebate endorse`, `rebate accept`, `rebate sign`: add the signer's link to a document, after
//! verifying the links before it, and pass it on.

use super::{account, Context, InOut, Signer};
use crate::coordination::CliError;
use rebate_client::{keys, ClientError};
use rebate_coordinator::api::DocumentKind;

/// `rebate endorse`: the customer endorses an offer, naming the referee.
#[derive(clap::Args)]
pub struct Endorse {
	#[command(flatten)]
	signer: Signer,
	/// The referee (the friend).
	#[arg(long)]
	referee: String,
	#[command(flatten)]
	io: InOut,
}

/// `rebate accept`: the referee accepts an offer or a rebate.
#[derive(clap::Args)]
pub struct Accept {
	#[command(flatten)]
	signer: Signer,
	#[command(flatten)]
	io: InOut,
}

/// `rebate sign`: any party adds the next link.
#[derive(clap::Args)]
pub struct Sign {
	#[command(flatten)]
	signer: Signer,
	/// The referee, where this link must name one (the customer's offer link).
	#[arg(long)]
	referee: Option<String>,
	#[command(flatten)]
	io: InOut,
}

impl Endorse {
	pub async fn run(self, ctx: &Context) -> Result<(), CliError> {
		sign(ctx, &self.signer, Some(&self.referee), &self.io, Some(DocumentKind::Offer)).await
	}
}

impl Accept {
	pub async fn run(self, ctx: &Context) -> Result<(), CliError> {
		sign(ctx, &self.signer, None, &self.io, None).await
	}
}

impl Sign {
	pub async fn run(self, ctx: &Context) -> Result<(), CliError> {
		sign(ctx, &self.signer, self.referee.as_deref(), &self.io, None).await
	}
}

/// Load the document, check it is of the `expect`ed kind, sign it as `signer` (naming
/// `referee` where the link names one), and pass it on.
async fn sign(
	ctx: &Context,
	signer: &Signer,
	referee: Option<&str>,
	io: &InOut,
	expect: Option<DocumentKind>,
) -> Result<(), CliError> {
	let mut client = ctx.client().await?;
	let key = signer.key()?;
	let docs = ctx.docs(&key);
	let mut envelope = docs.load(&io.input).await?;
	if let Some(kind) = expect {
		let got = DocumentKind::of(&envelope.document);
		if got != kind {
			return Err(ClientError::Rule(format!("expected a {kind}, got a {got}")).into());
		}
	}
	let referee = referee.map(account).transpose()?;
	client.sign(&mut envelope, &key, referee).await?;
	// With a coordinator the signed document goes back to it (and to `-o` if given); without
	// one it is written over the input unless `-o` says otherwise.
	let file = match (&docs.coordinator, &io.out) {
		(_, Some(out)) => Some(out.clone()),
		(None, None) => Some(io.input.clone()),
		(Some(_), None) => None,
	};
	let path = docs.save(&envelope, file.as_deref()).await?;
	// Signing verified every link before adding this one: inspected without verifying again.
	let now = client.now().await?;
	let inspection =
		rebate_client::documents::inspect_verified(&client.genesis(), client.clock(now), &envelope);
	if file.as_deref() != Some("-") {
		let next = if inspection.complete {
			"complete".to_string()
		} else {
			format!("next: {}", inspection.next.clone().unwrap_or_default())
		};
		ctx.out.value(
			&format!("{} signed by {} → {path} ({next})", envelope.kind(), keys::display_name(&key.account())),
			serde_json::json!({ "document": path, "complete": inspection.complete, "next": inspection.next }),
		);
	}
	Ok(())
}
