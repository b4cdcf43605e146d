//! The OpenAPI description, generated from the request and response types ([`crate::api`]) and
//! the routes' annotations. `src/openapi.json` is its checked-in copy: a test fails when the two
//! differ (`REBATE_UPDATE_OPENAPI=1 cargo test -p rebate-coordinator openapi` rewrites it).

use crate::api;
use utoipa::{
	openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme},
	Modify, OpenApi,
};

#[derive(OpenApi)]
#[openapi(
	info(
		title = "referral-rebate coordinator",
		version = "2.0.0",
		description = "Relays the referral-rebate protocol's partially signed documents (offer, rebate, referred purchase) between the merchant, the customer and the referee. A promotion is named by its merchant, id and rebate block. Requests are authenticated by the caller's own key: either a session token (`Authorization: Bearer`, from a signed sign-in challenge) or a signature of the request itself over \"rebate-coordinator/v1\\n{METHOD}\\n{HOST}\\n{PATH?QUERY}\\n{hex(blake2_256(body))}\\n{X-Rebate-Timestamp}\\n{X-Rebate-Nonce}\" (HOST: the coordinator's public origin; a request addressed to another is refused with 421), each (account, nonce) once within the window. Refusals are `{code, message}` with the status saying their class."
	),
	paths(
		super::documents::post,
		super::promotions::get,
		super::mailbox::get,
		super::sessions::challenge,
		super::sessions::open,
		super::mutes::list,
		super::mutes::mute,
		super::mutes::unmute,
		super::service::health,
		super::service::ready,
		super::service::metrics,
		super::service::openapi,
	),
	components(schemas(
		api::Accepted,
		api::PostStatus,
		api::DocumentKind,
		api::Action,
		api::DocumentView,
		api::PromotionView,
		api::MailboxEntry,
		api::MailboxPage,
		api::Challenge,
		api::SessionRequest,
		api::Session,
		api::Mutes,
		api::Refusal,
	)),
	modifiers(&Security)
)]
struct ApiDoc;

/// The two ways a request is authenticated.
struct Security;

impl Modify for Security {
	fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
		let components = openapi.components.get_or_insert_with(Default::default);
		components.add_security_scheme(
			"signature",
			SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
				"X-Rebate-Signature",
				"0x-hex SCALE MultiSignature over the request message, raw or <Bytes>-framed as X-Rebate-Framing (`raw`, the default, or `bytes`) says; with X-Rebate-Account (an SS58 address), X-Rebate-Timestamp (milliseconds since the Unix epoch, within the window) and X-Rebate-Nonce (1-64 hex digits, never reused).",
			))),
		);
		components.add_security_scheme(
			"session",
			SecurityScheme::Http(
				HttpBuilder::new()
					.scheme(HttpAuthScheme::Bearer)
					.bearer_format("v1.ACCOUNT.EXPIRES_MS.TAG")
					.description(Some(
						"A session token from POST /v1/sessions: scoped to one account at this coordinator's origin, valid until it expires.",
					))
					.build(),
			),
		);
	}
}

/// The description as JSON.
pub fn json() -> String {
	ApiDoc::openapi().to_pretty_json().unwrap_or_default()
}

#[cfg(test)]
mod tests {
	#[test]
	fn the_checked_in_openapi_description_is_the_generated_one() {
		let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/openapi.json");
		let generated = super::json() + "\n";
		if std::env::var_os("REBATE_UPDATE_OPENAPI").is_some() {
			std::fs::write(path, &generated).expect("writes openapi.json");
		}
		let checked_in = std::fs::read_to_string(path).expect("reads openapi.json");
		assert!(
			checked_in == generated,
			"src/openapi.json is not what the types and routes describe; regenerate it with \
			 REBATE_UPDATE_OPENAPI=1 cargo test -p rebate-coordinator openapi"
		);
		let parsed: serde_json::Value = serde_json::from_str(&generated).expect("JSON");
		for path in ["/v1/documents", "/v1/mailbox", "/v1/sessions", "/v1/mutes/{account}"] {
			assert!(parsed["paths"][path].is_object(), "{path} described");
		}
		// Every operation has an id of its own.
		let mut ids: Vec<&str> = parsed["paths"]
			.as_object()
			.into_iter()
			.flat_map(|paths| paths.values())
			.flat_map(|ops| ops.as_object().into_iter().flat_map(|o| o.values()))
			.filter_map(|op| op["operationId"].as_str())
			.collect();
		let n = ids.len();
		ids.sort();
		ids.dedup();
		assert_eq!(ids.len(), n, "operation ids are unique: {ids:?}");
	}
}
