//! The client side: a party talking to a coordinator with its own key, signing every request
//! or, once signed in, sending its session token.

use crate::{
	api::{self, Accepted, DocumentKind, MailboxEntry, MailboxPage, Mutes, Refusal},
	auth, session, CoordinatorError,
};
use pallet_referral_rebate::Framing;
use rebate_client::{documents::Envelope, keys::KeyPair};
use serde::de::DeserializeOwned;
use std::sync::Mutex;

/// A coordinator at a URL, spoken to with a party's key.
pub struct Coordinator {
	url: String,
	/// The authority requests are addressed to, as the `Host` header carries it (and so as a
	/// request's signature names it): the host, lower-cased, and the port unless it is the
	/// scheme's default.
	host: String,
	http: reqwest::Client,
	key: KeyPair,
	framing: Framing,
	/// The session requests go with, once signed in.
	session: Mutex<Option<api::Session>>,
}

/// A promotion as the coordinator shows it.
pub type PromotionView = api::PromotionView;

/// One mailbox entry.
pub type Mail = MailboxEntry;

/// A promotion's documents as the coordinator holds them.
#[derive(Clone, Debug)]
pub struct Documents {
	/// The promotion's rebate block (with the merchant and id, what names it).
	pub pay_at: u32,
	pub offer: Option<Envelope>,
	pub rebate: Option<Envelope>,
	pub purchase: Option<Envelope>,
}

/// At most this many mailbox pages are read by [`Coordinator::mailbox`].
const MAX_PAGES: usize = 100;
/// A session is renewed this long before it expires.
const RENEW_MS: u64 = 60_000;

impl Coordinator {
	/// A coordinator at `url` (`http://host:port`), for the party holding `key`.
	pub fn new(url: &str, key: KeyPair) -> Self {
		let http = reqwest::Client::builder()
			.connect_timeout(std::time::Duration::from_secs(5))
			.timeout(std::time::Duration::from_secs(30))
			.build()
			.unwrap_or_default();
		let url = url.trim_end_matches('/').to_owned();
		Self {
			host: authority(&url),
			url,
			http,
			key,
			framing: Framing::Raw,
			session: Mutex::new(None),
		}
	}

	/// Sign requests (and sign-in challenges) inside `<Bytes>…</Bytes>`, as a browser wallet
	/// signs raw messages.
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
		&self.host
	}

	fn transport(&self, e: impl std::fmt::Display) -> CoordinatorError {
		CoordinatorError::Transport { url: self.url.clone(), reason: e.to_string() }
	}

	/// The session token to send, if signed in and not about to expire.
	fn token(&self) -> Option<String> {
		let session = self.session.lock().ok()?;
		let s = session.as_ref()?;
		(s.expires_ms > auth::now_ms().saturating_add(RENEW_MS)).then(|| s.token.clone())
	}

	/// Sign in: sign a challenge once, and send the session's token instead of a signature
	/// with every later request (renewed as it nears its end).
	pub async fn sign_in(&self) -> Result<api::Session, CoordinatorError> {
		let account = rebate_client::keys::ss58(&self.key.account());
		let challenge: api::Challenge = self
			.exchange(
				reqwest::Method::GET,
				&format!("/v1/sessions/challenge?account={account}"),
				None,
				false,
			)
			.await?;
		let answer = session::answer(&self.key, &challenge, self.framing);
		let body = serde_json::to_vec(&answer).map_err(|e| self.transport(e))?;
		let session: api::Session =
			self.exchange(reqwest::Method::POST, "/v1/sessions", Some(body), false).await?;
		if let Ok(mut held) = self.session.lock() {
			*held = Some(session.clone());
		}
		Ok(session)
	}

	/// Whether this client signed in (and signs in again as its session nears its end).
	fn signed_in(&self) -> bool {
		self.session.lock().map(|s| s.is_some()).unwrap_or(false)
	}

	async fn send<T: DeserializeOwned>(
		&self,
		method: reqwest::Method,
		path: &str,
		body: Vec<u8>,
	) -> Result<T, CoordinatorError> {
		if self.signed_in() && self.token().is_none() {
			self.sign_in().await?;
		}
		self.exchange(method, path, Some(body), true).await
	}

	/// One request: authenticated (by the session's token, or signed) unless `authenticate` is
	/// false.
	async fn exchange<T: DeserializeOwned>(
		&self,
		method: reqwest::Method,
		path: &str,
		body: Option<Vec<u8>>,
		authenticate: bool,
	) -> Result<T, CoordinatorError> {
		let body = body.unwrap_or_default();
		let mut request = self.http.request(method.clone(), format!("{}{path}", self.url));
		if authenticate {
			match self.token() {
				Some(token) => request = request.bearer_auth(token),
				None => {
					let headers = auth::sign_framed(
						&self.key,
						method.as_str(),
						self.host(),
						path,
						&body,
						self.framing,
					);
					for (name, value) in headers {
						request = request.header(name, value);
					}
				}
			}
		}
		if !body.is_empty() {
			request = request.header("content-type", "application/json").body(body);
		}
		let response = request.send().await.map_err(|e| self.transport(e))?;
		let status = response.status();
		let bytes = response.bytes().await.map_err(|e| self.transport(e))?;
		if !status.is_success() {
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
		let bytes = if bytes.is_empty() { &b"null"[..] } else { &bytes[..] };
		serde_json::from_slice(bytes).map_err(|e| self.transport(format!("unexpected answer: {e}")))
	}

	/// Post a document (with this party's new link).
	pub async fn post(&self, envelope: &Envelope) -> Result<Accepted, CoordinatorError> {
		self.post_json(serde_json::to_vec(envelope).unwrap_or_default()).await
	}

	/// Post a document already serialised as its envelope's JSON.
	pub async fn post_json(&self, body: Vec<u8>) -> Result<Accepted, CoordinatorError> {
		self.send(reqwest::Method::POST, "/v1/documents", body).await
	}

	fn promotion_path(merchant: &str, promotion: u64, pay_at: Option<u32>) -> String {
		let which = pay_at.map(|p| format!("?pay_at={p}")).unwrap_or_default();
		format!("/v1/promotions/{merchant}/{promotion}{which}")
	}

	/// A promotion's documents and next steps: the latest promotion of that id this party is a
	/// party of, or the one with rebate block `pay_at`.
	pub async fn promotion(
		&self,
		merchant: &str,
		promotion: u64,
		pay_at: Option<u32>,
	) -> Result<PromotionView, CoordinatorError> {
		self.send(reqwest::Method::GET, &Self::promotion_path(merchant, promotion, pay_at), vec![])
			.await
	}

	/// A promotion's documents, each as stored (`None`: not posted yet).
	pub async fn documents(
		&self,
		merchant: &str,
		promotion: u64,
		pay_at: Option<u32>,
	) -> Result<Documents, CoordinatorError> {
		// Typed, not through `serde_json::Value`: amounts are `u128`.
		#[derive(serde::Deserialize)]
		struct Doc {
			envelope: Envelope,
		}
		#[derive(serde::Deserialize)]
		struct View {
			pay_at: u32,
			offer: Option<Doc>,
			rebate: Option<Doc>,
			purchase: Option<Doc>,
		}
		let path = Self::promotion_path(merchant, promotion, pay_at);
		let view: View = self.send(reqwest::Method::GET, &path, vec![]).await?;
		let envelope = |d: Option<Doc>| d.map(|d| d.envelope);
		Ok(Documents {
			pay_at: view.pay_at,
			offer: envelope(view.offer),
			rebate: envelope(view.rebate),
			purchase: envelope(view.purchase),
		})
	}

	/// One document of a promotion.
	pub async fn document(
		&self,
		merchant: &str,
		promotion: u64,
		pay_at: Option<u32>,
		kind: DocumentKind,
	) -> Result<Envelope, CoordinatorError> {
		let mut docs = self.documents(merchant, promotion, pay_at).await?;
		let doc = match kind {
			DocumentKind::Offer => docs.offer.take(),
			DocumentKind::Rebate => docs.rebate.take(),
			DocumentKind::Purchase => docs.purchase.take(),
		};
		doc.ok_or_else(|| {
			CoordinatorError::NotFound(format!("no {kind} of promotion {promotion} yet"))
		})
	}

	/// One page of this party's mailbox, from `cursor` (`None`: the first).
	pub async fn mailbox_page(
		&self,
		cursor: Option<&str>,
	) -> Result<MailboxPage, CoordinatorError> {
		let path = match cursor {
			Some(c) => format!("/v1/mailbox?cursor={c}"),
			None => "/v1/mailbox".to_owned(),
		};
		self.send(reqwest::Method::GET, &path, vec![]).await
	}

	/// What waits for this party: every page (what to do on chain first).
	pub async fn mailbox(&self) -> Result<Vec<Mail>, CoordinatorError> {
		let mut all = Vec::new();
		let mut cursor: Option<String> = None;
		for _ in 0..MAX_PAGES {
			let page = self.mailbox_page(cursor.as_deref()).await?;
			all.extend(page.entries);
			match page.next_cursor {
				Some(next) => cursor = Some(next),
				None => break,
			}
		}
		Ok(all)
	}

	/// Mute `account`: its documents to sign no longer reach this party's mailbox.
	pub async fn mute(&self, account: &str) -> Result<(), CoordinatorError> {
		let path = format!("/v1/mutes/{account}");
		self.send::<serde_json::Value>(reqwest::Method::PUT, &path, vec![]).await.map(|_| ())
	}

	/// Unmute `account`.
	pub async fn unmute(&self, account: &str) -> Result<(), CoordinatorError> {
		let path = format!("/v1/mutes/{account}");
		self.send::<serde_json::Value>(reqwest::Method::DELETE, &path, vec![]).await.map(|_| ())
	}

	/// The senders this party muted.
	pub async fn mutes(&self) -> Result<Vec<String>, CoordinatorError> {
		Ok(self.send::<Mutes>(reqwest::Method::GET, "/v1/mutes", vec![]).await?.muted)
	}
}

/// The `Host` header a request to `url` carries: the URL's host and, unless it is the scheme's
/// default, its port (`http://Example.com:80` → `example.com`); for an unparsable URL its text
/// up to the path.
fn authority(url: &str) -> String {
	match reqwest::Url::parse(url) {
		Ok(u) => match (u.host_str(), u.port()) {
			(Some(host), Some(port)) => format!("{host}:{port}"),
			(Some(host), None) => host.to_owned(),
			(None, _) => String::new(),
		},
		Err(_) => {
			let rest = url.split_once("://").map_or(url, |(_, r)| r);
			rest.split('/').next().unwrap_or(rest).to_owned()
		}
	}
}

#[cfg(test)]
mod tests {
	#[test]
	fn the_signed_host_is_the_host_header_a_request_carries() {
		use super::authority;
		assert_eq!(authority("http://127.0.0.1:8080"), "127.0.0.1:8080");
		// The scheme's default port is left out of the Host header, so out of the signature.
		assert_eq!(authority("http://127.0.0.1:80"), "127.0.0.1");
		assert_eq!(authority("https://Coordinator.Example.com:443/v1"), "coordinator.example.com");
		assert_eq!(
			authority("https://coordinator.example.com:8443"),
			"coordinator.example.com:8443"
		);
		assert_eq!(authority("http://[::1]:9000"), "[::1]:9000");
	}
}
