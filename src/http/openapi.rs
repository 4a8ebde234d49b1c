//! The API's OpenAPI document, generated from the handlers' `#[utoipa::path]` annotations
//! and the `ToSchema` types they send and receive; served at `GET /api/v1/openapi.json`.
//! The routes come from the router's own list (`super::all_routes`), so a route is
//! documented by being routed. The channels' webhooks are added from
//! [`crate::channels::WEBHOOKS`] (they are mounted per adapter; a test checks the two agree).

use std::sync::LazyLock;

use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::openapi::{ContentBuilder, PathItem, Ref, Required, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use super::responses::RateLimited;
use super::routes::chat;
use axum::http::header;
use axum::response::{IntoResponse, Response};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Shikaku chat API",
        version = "1",
        description = "シカク: answers about オンライン資格確認 from the official notices, with citations. Errors are {\"error\": {\"code\", \"message\", \"detail\"?}}; message is Japanese and can be shown to users."
    ),
    components(
        schemas(chat::StreamSession, chat::StreamText, chat::StreamError),
        responses(RateLimited)
    ),
    modifiers(&Sessions)
)]
pub struct ApiDoc;

/// The document as served (built once): the routes' operations, then the webhooks, then
/// the URL rules over every operation.
pub fn document() -> &'static str {
    static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
        let mut document = ApiDoc::openapi().merge_from(super::Routes::documented());
        Webhooks.modify(&mut document);
        UrlRules.modify(&mut document);
        document.to_json().expect("the OpenAPI document serializes")
    });
    &DOCUMENT
}

/// `GET /api/v1/openapi.json`.
#[utoipa::path(get, path = "/api/v1/openapi.json", summary = "This document",
    responses((status = 200, description = "OpenAPI 3.1", content_type = "application/json")))]
pub async fn serve() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], document()).into_response()
}

/// The consoles' session cookie and CSRF header.
struct Sessions;

impl Modify for Sessions {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                super::auth::COOKIE,
                "HttpOnly, SameSite=Strict; set by POST /agent/api/login",
            ))),
        );
        components.add_security_scheme(
            "csrf",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-CSRF-Token",
                "The `csrf` of /agent/api/login or `me`; every change needs it",
            ))),
        );
    }
}

/// One operation per messaging channel's webhook.
struct Webhooks;

impl Modify for Webhooks {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let error = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Error")))
                        .build(),
                )
                .build()
        };
        for hook in crate::channels::WEBHOOKS {
            let operation = OperationBuilder::new()
                .tag("webhooks")
                .operation_id(Some(hook.path.trim_start_matches('/').replace('/', "_")))
                .summary(Some(
                    "A messaging platform's events (only when the channel is on)",
                ))
                .description(Some(
                    "The body is the platform's own JSON; each event is stored before the 200, \
                     and answered afterwards.",
                ))
                .parameter(
                    ParameterBuilder::new()
                        .name(hook.auth_header)
                        .parameter_in(ParameterIn::Header)
                        .required(Required::True)
                        .description(Some("Proves that the platform sent the request"))
                        .schema(Some(
                            utoipa::openapi::ObjectBuilder::new()
                                .schema_type(utoipa::openapi::schema::Type::String),
                        )),
                )
                .request_body(Some(
                    RequestBodyBuilder::new()
                        .content("application/json", ContentBuilder::new().build())
                        .required(Some(Required::True))
                        .build(),
                ))
                .response(
                    "200",
                    ResponseBuilder::new()
                        .description("Taken: `{}`")
                        .content("application/json", ContentBuilder::new().build())
                        .build(),
                )
                .response("400", error("Not the platform's body"))
                .response("401", error("The signature or secret is missing or wrong"))
                .response("404", error("The channel's webhook is off"))
                .response("413", error("The body is over 1 MiB"))
                .response("500", error("Not stored: the platform delivers it again"))
                .response("503", error("`timeout`"))
                .build();
            openapi.paths.paths.insert(
                hook.path.to_string(),
                PathItem::new(HttpMethod::Post, operation),
            );
        }
    }
}

/// The URL rule of every route (`guard::no_control_in_url`): a path or query parameter
/// never holds a control character (a string parameter without a pattern gets one that says
/// so), and any operation may answer 422 `invalid_request` for a URL that does.
struct UrlRules;

/// [`UrlRules`]' pattern: no C0 or C1 control character.
pub const NO_CONTROL_IN_URL: &str = r"^[^\x00-\x1F\x7F-\x9F]*$";

impl Modify for UrlRules {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::schema::{Schema, SchemaType, Type};
        use utoipa::openapi::{RefOr, path::Operation};
        let refused = ResponseBuilder::new()
            .description("`invalid_request`: a control character (NUL…) in the URL's path or query")
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Error")))
                    .build(),
            )
            .build();
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
                &mut item.head,
            ];
            for operation in operations.into_iter().flatten() {
                let Operation {
                    parameters,
                    responses,
                    ..
                } = operation;
                for parameter in parameters.iter_mut().flatten() {
                    let RefOr::T(parameter) = parameter else {
                        continue;
                    };
                    if !matches!(
                        parameter.parameter_in,
                        ParameterIn::Path | ParameterIn::Query
                    ) {
                        continue;
                    }
                    if let Some(RefOr::T(Schema::Object(object))) = &mut parameter.schema
                        && object.schema_type == SchemaType::Type(Type::String)
                        && object.pattern.is_none()
                    {
                        object.pattern = Some(NO_CONTROL_IN_URL.to_string());
                    }
                }
                responses
                    .responses
                    .entry("422".to_string())
                    .or_insert_with(|| RefOr::T(refused.clone()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// The webhooks mounted when every channel is on, as `(method, path)`.
    fn mounted_webhooks() -> BTreeSet<(String, String)> {
        let config = crate::settings::channels::ChannelsConfig::load(|name| {
            Some(match name {
                "SHIKAKU_LINE_CHANNEL_SECRET"
                | "SHIKAKU_LINE_CHANNEL_ACCESS_TOKEN"
                | "SHIKAKU_TELEGRAM_BOT_TOKEN" => "test-token".to_string(),
                "SHIKAKU_TELEGRAM_MODE" => "polling".to_string(),
                _ => return None,
            })
        })
        .expect("channels configured");
        let channels = crate::channels::Channels::new(&config).expect("channels");
        assert!(channels.adapters().len() >= 2, "every channel should be on");
        channels
            .adapters()
            .iter()
            .filter_map(|a| a.webhook())
            .map(|hook| ("post".to_string(), hook.path.to_string()))
            .collect()
    }

    /// `(method, path)` of every operation of a document.
    fn operations(document: &serde_json::Value) -> BTreeSet<(String, String)> {
        let paths = document["paths"].as_object().expect("paths");
        paths
            .iter()
            .flat_map(|(path, item)| {
                item.as_object()
                    .expect("path item")
                    .keys()
                    .filter(|key| {
                        ["get", "put", "post", "delete", "patch", "head"].contains(&key.as_str())
                    })
                    .map(move |method| (method.clone(), path.clone()))
            })
            .collect()
    }

    fn documented() -> BTreeSet<(String, String)> {
        operations(&serde_json::from_str(document()).expect("JSON"))
    }

    /// The document holds the routes' operations and the webhooks, and nothing else; a
    /// route that takes the rest of the path (`{*path}` to axum) is documented as `{path}`.
    #[test]
    fn the_document_holds_every_route_and_webhook_and_nothing_else() {
        let routes = serde_json::to_value(super::super::Routes::documented()).expect("JSON");
        let mut expected = operations(&routes);
        assert!(expected.len() > 50, "{} routes", expected.len());
        expected.extend(mounted_webhooks());
        assert_eq!(documented(), expected);
        let rest = "/admin/api/documents/{path}".to_string();
        for method in ["get", "put", "delete"] {
            assert!(
                expected.contains(&(method.to_string(), rest.clone())),
                "{method}"
            );
        }
        assert!(
            !document().contains("{*"),
            "an axum wildcard in the document"
        );
    }

    #[test]
    fn the_document_is_openapi_3_1_with_unique_operation_ids() {
        let document: serde_json::Value = serde_json::from_str(document()).expect("JSON");
        assert_eq!(document["openapi"], "3.1.0");
        assert_eq!(document["info"]["title"], "Shikaku chat API");
        let mut ids = BTreeSet::new();
        for item in document["paths"].as_object().unwrap().values() {
            for operation in item.as_object().unwrap().values() {
                let id = operation["operationId"].as_str().expect("operationId");
                assert!(ids.insert(id.to_string()), "operationId {id} twice");
            }
        }
    }

    /// The free-text fields of requests say in their pattern what the service refuses
    /// (control characters; a message that is blank), with the patterns of `text`, so that
    /// a fuzzer's schema-valid text is never refused.
    #[test]
    fn free_text_fields_carry_the_services_own_patterns() {
        use crate::text::{MESSAGE_PATTERN, NO_CONTROL_PATTERN};
        let doc: serde_json::Value = serde_json::from_str(document()).unwrap();
        let schemas = &doc["components"]["schemas"];
        for (schema, field, pattern) in [
            ("ChatRequest", "message", MESSAGE_PATTERN),
            ("AgentText", "text", MESSAGE_PATTERN),
            ("TryBody", "question", MESSAGE_PATTERN),
            ("FeedbackRequest", "comment", NO_CONTROL_PATTERN),
            ("HandoffRequest", "facility_name", NO_CONTROL_PATTERN),
            ("HandoffRequest", "question", NO_CONTROL_PATTERN),
            ("DraftText", "text", MESSAGE_PATTERN),
            ("CheckBody", "text", NO_CONTROL_PATTERN),
        ] {
            let property = &schemas[schema]["properties"][field];
            assert_eq!(
                property["pattern"].as_str(),
                Some(pattern),
                "{schema}.{field}: {property}"
            );
        }
        // What the patterns say, the service's checks say too.
        let no_control = regex::Regex::new(NO_CONTROL_PATTERN).unwrap();
        for text in ["改行\nとタブ\tと\u{85}", "", "ふつうの文"] {
            assert!(
                no_control.is_match(text) && !crate::text::has_control(text),
                "{text:?}"
            );
        }
        for text in ["\u{0}", "a\u{1b}b", "\u{9f}", "\u{7f}"] {
            assert!(
                !no_control.is_match(text) && crate::text::has_control(text),
                "{text:?}"
            );
        }
        let message = regex::Regex::new(MESSAGE_PATTERN).unwrap();
        for (text, accepted) in [
            ("締切は？", true),
            (" 　\n", false),
            ("\u{200b}", false),
            ("締切\u{0}", false),
        ] {
            assert_eq!(message.is_match(text), accepted, "{text:?}");
        }
        // Every character of the Basic Multilingual Plane, alone: the pattern accepts it
        // exactly when the service would take it as a message.
        for c in (0..=0xFFFFu32).filter_map(char::from_u32) {
            let text = c.to_string();
            let taken = !crate::text::is_blank(&text) && !crate::text::has_control(&text);
            assert_eq!(message.is_match(&text), taken, "U+{:04X}", c as u32);
        }
    }

    /// Every request the service documents as valid fits in its body limit, even with each
    /// character written as a JSON escape of a surrogate pair (12 bytes): a valid request is
    /// never refused with 413. The editor's and the webhooks' bodies have their own, larger
    /// limits.
    #[test]
    fn the_longest_valid_request_fits_in_the_body_limit() {
        let doc: serde_json::Value = serde_json::from_str(document()).unwrap();
        let mut checked = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            if path.starts_with("/admin/") || path.starts_with("/channels/") {
                continue;
            }
            for operation in item.as_object().unwrap().values() {
                let schema = &operation["requestBody"]["content"]["application/json"]["schema"];
                let Some(reference) = schema["$ref"].as_str() else {
                    continue;
                };
                let name = reference.rsplit('/').next().unwrap();
                let properties = doc["components"]["schemas"][name]["properties"]
                    .as_object()
                    .unwrap();
                let longest: u64 = properties
                    .iter()
                    .map(|(field, property)| {
                        let chars = property["maxLength"].as_u64().unwrap_or(64);
                        field.len() as u64 + 6 + chars * 12
                    })
                    .sum();
                assert!(
                    longest < super::super::BODY_LIMIT as u64,
                    "{path}: {name} may be {longest} bytes"
                );
                checked += 1;
            }
        }
        assert!(checked >= 4, "only {checked} request bodies checked");
    }
}
