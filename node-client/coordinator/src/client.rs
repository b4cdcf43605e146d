//! The client side: a party talking to a coordinator with its own key.

use crate::{auth, server::Accepted, CoordinatorError};
use pallet_referral_rebate::Framing;
use rebate_client::{documents::Envelope, keys::KeyPair};
use serde::de::DeserializeOwned;

/// A coordinator at a URL, spoken to with a party's key.
pub struct Coordinator {
	url: String,
	http: reqwest::Client,
	key: KeyPair,
	framing: Framing,
}

/// A promotion as the coordinator shows it (the JSON of `GET /v1/promotions/…`).
pub type PromotionView = serde_json::Value;

/// A promotion's documents as the coordinator holds them.
#[derive(Clone, Debug)]
pub struct Documents {
	pub offer: Option<Envelope>,
	pub rebate: Option<Envelope>,
	pub purchase: Option<Envelope>,
}

/// One mailbox entry: what to do and the document.
#[derive(Clone, Debug, serde::Deserialize)]
pub struct Mail {
	/// `sign`, `settle` or `submit`.
	pub action: String,
	pub document: MailDocument,
}

/// A mailbox entry's document and the coordinator's inspection of it.
#[derive(Clone, Debug, serde::Deserialize)]
pub struct MailDocument {
	pub envelope: Envelope,
	pub inspection: serde_json::Value,
}

impl Coordinator {
	/// A coordinator at `url` (`http://host:port`), for the party holding `key`.
	pub fn new(url: &str, key: KeyPair) -> Self {
		let http = reqwest::Client::builder()
			.connect_timeout(std::time::Duration::from_secs(5))
			.timeout(std::time::Duration::from_secs(30))
			.build()
			.unwrap_or_default();
		Self { url: url.trim_end_matches('/').to_owned(), http, key, framing: Framing::Raw }
	}

	/// Sign requests inside `<Bytes>…</Bytes>`, as a browser wallet signs raw messages.
	pub fn with_framing(mut self, framing: Framing) -> Self {
		self.framing = framing;
		self
	}

	/// The key this client signs requests with.
	pub fn key(&self) -> &KeyPair {
		&self.key
	}

	/// The authority requests are addressed to (what the `Host` header carries).
	fn host(&self) -> &str {
		let rest = self.url.split_once("://").map_or(self.url.as_str(), |(_, r)| r);
		rest.split('/').next().unwrap_or(rest)
	}

	fn transport(&self, e: impl std::fmt::Display) -> CoordinatorError {
		CoordinatorError::Transport { url: self.url.clone(), reason: e.to_string() }
	}

	async fn send<T: DeserializeOwned>(
		&self,
		method: reqwest::Method,
		path: &str,
		body: Vec<u8>,
	) -> Result<T, CoordinatorError> {
		let mut request = self.http.request(method.clone(), format!("{}{path}", self.url));
		let headers =
			auth::sign_framed(&self.key, method.as_str(), self.host(), path, &body, self.framing);
		for (name, value) in headers {
			request = request.header(name, value);
		}
		if !body.is_empty() {
			request = request.header("content-type", "application/json").body(body);
		}
		let response = request.send().await.map_err(|e| self.transport(e))?;
		let status = response.status();
		let bytes = response.bytes().await.map_err(|e| self.transport(e))?;
		if !status.is_success() {
			#[derive(serde::Deserialize)]
			struct Refusal {
				code: String,
				message: String,
			}
			let refusal: Refusal = serde_json::from_slice(&bytes).unwrap_or(Refusal {
				code: "http".into(),
				message: String::from_utf8_lossy(&bytes).into_owned(),
			});
			return Err(CoordinatorError::Refused {
				status: status.as_u16(),
				code: refusal.code,
				message: refusal.message,
			});
		}
		serde_json::from_slice(&bytes)
			.map_err(|e| self.transport(format!("unexpected answer: {e}")))
	}

	/// Post a document (with this party's new link).
	pub async fn post(&self, envelope: &Envelope) -> Result<Accepted, CoordinatorError> {
		self.post_json(serde_json::to_vec(envelope).unwrap_or_default()).await
	}

	/// Post a document already serialised as its envelope's JSON.
	pub async fn post_json(&self, body: Vec<u8>) -> Result<Accepted, CoordinatorError> {
		self.send(reqwest::Method::POST, "/v1/documents", body).await
	}

	/// A promotion's documents and next steps.
	pub async fn promotion(
		&self,
		merchant: &str,
		promotion: u64,
	) -> Result<PromotionView, CoordinatorError> {
		self.send(reqwest::Method::GET, &format!("/v1/promotions/{merchant}/{promotion}"), vec![])
			.await
	}

	/// A promotion's documents, each as stored (`None`: not posted yet).
	pub async fn documents(
		&self,
		merchant: &str,
		promotion: u64,
	) -> Result<Documents, CoordinatorError> {
		// Typed, not through `serde_json::Value`: amounts are `u128`.
		#[derive(serde::Deserialize)]
		struct Doc {
			envelope: Envelope,
		}
		#[derive(serde::Deserialize)]
		struct View {
			offer: Option<Doc>,
			rebate: Option<Doc>,
			purchase: Option<Doc>,
		}
		let view: View = self
			.send(reqwest::Method::GET, &format!("/v1/promotions/{merchant}/{promotion}"), vec![])
			.await?;
		let envelope = |d: Option<Doc>| d.map(|d| d.envelope);
		Ok(Documents {
			offer: envelope(view.offer),
			rebate: envelope(view.rebate),
			purchase: envelope(view.purchase),
		})
	}

	/// One document of a promotion (`offer`, `rebate` or `purchase`).
	pub async fn document(
		&self,
		merchant: &str,
		promotion: u64,
		kind: &str,
	) -> Result<Envelope, CoordinatorError> {
		let mut docs = self.documents(merchant, promotion).await?;
		let doc = match kind {
			"offer" => docs.offer.take(),
			"rebate" => docs.rebate.take(),
			_ => docs.purchase.take(),
		};
		doc.ok_or_else(|| {
			CoordinatorError::NotFound(format!("no {kind} of promotion {promotion} yet"))
		})
	}

	/// What waits for this party.
	pub async fn mailbox(&self) -> Result<Vec<Mail>, CoordinatorError> {
		self.send(reqwest::Method::GET, "/v1/mailbox", vec![]).await
	}
}
