//! The HTTP service end to end: the real binary on port 0, real HTTP, a real SQLite file.

use serde_json::{Value, json};

use crate::common::{self, Database, Env, Server};

on_both_databases!(
    a_question_is_answered_with_citations_and_kept_in_the_transcript,
    the_stream_sends_the_session_then_the_final_answer,
    feedback_is_recorded_on_an_answer_of_the_same_session,
    conversations_survive_a_restart_and_my_numbers_are_not_stored,
    a_handoff_opens_one_ticket_and_the_bot_then_stays_silent,
    the_bot_offers_a_person_after_failing_twice,
    small_talk_gets_a_short_reply_and_never_the_offer_of_a_person,
    a_follow_up_is_read_with_the_conversation_and_the_transcript_shows_how,
    nul_bytes_and_invisible_messages_are_a_clear_422,
    no_confirmed_ticket_is_lost_when_the_process_is_killed,
    no_confirmed_chat_is_lost_when_the_process_is_killed,
);

const DEADLINE_QUESTION: &str = "カードリーダーの申込み締切は？";

fn chat(server: &Server, body: Value) -> Value {
    let response = server.post_json("/api/v1/chat", &body);
    assert_eq!(response.status(), 200, "{:?}", response.text());
    response.json().unwrap()
}

fn error_code(response: reqwest::blocking::Response) -> (u16, String, Value) {
    let status = response.status().as_u16();
    let body: Value = response.json().unwrap();
    let code = body["error"]["code"].as_str().unwrap().to_string();
    assert!(
        !body["error"]["message"].as_str().unwrap().is_empty(),
        "{body}"
    );
    (status, code, body)
}

/// Splits a Server-Sent Events body into (event, data) pairs.
fn events(body: &str) -> Vec<(String, Value)> {
    body.split("\n\n")
        .filter_map(|block| {
            let mut name = None;
            let mut data = String::new();
            for line in block.lines() {
                if let Some(n) = line.strip_prefix("event:") {
                    name = Some(n.trim().to_string());
                } else if let Some(d) = line.strip_prefix("data:") {
                    data.push_str(d.trim_start());
                }
            }
            Some((name?, serde_json::from_str(&data).unwrap()))
        })
        .collect()
}

fn a_question_is_answered_with_citations_and_kept_in_the_transcript(db: &Database) {
    let env = Env::new();
    let server = Server::start(&env, &db.env());
    let ready: Value = server.monitor("/readyz").json().unwrap();
    let backend = if db.url.is_some() {
        "postgres"
    } else {
        "sqlite"
    };
    assert_eq!(ready["database_backend"], backend, "{ready}");
    let first = chat(&server, json!({"message": DEADLINE_QUESTION}));
    assert_eq!(first["outcome"], "answered");
    assert!(
        first["answer"].as_str().unwrap().contains("3月31日"),
        "{first}"
    );
    assert!(!first["citations"].as_array().unwrap().is_empty());
    assert!(first["writer"].is_string());
    let session = first["session_id"].as_str().unwrap();

    let second = chat(
        &server,
        json!({"session_id": session, "message": "コールセンターの電話番号は？"}),
    );
    assert_eq!(second["session_id"], session);
    assert!(
        second["answer"].as_str().unwrap().contains("0800-0804583"),
        "{second}"
    );

    let transcript: Value = server
        .get(&format!("/api/v1/sessions/{session}/messages"))
        .json()
        .unwrap();
    let messages = transcript["messages"].as_array().unwrap();
    let roles: Vec<&str> = messages
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["user", "assistant", "user", "assistant"]);
    assert_eq!(messages[0]["text"], DEADLINE_QUESTION);
    assert_eq!(messages[1]["id"], first["message_id"]);
    assert_eq!(messages[1]["reply_to"], first["question_id"]);
    assert_eq!(messages[1]["text"], first["answer"]);
    assert_eq!(messages[1]["citations"], first["citations"]);
}

fn the_stream_sends_the_session_then_the_final_answer(db: &Database) {
    let env = Env::new();
    let server = Server::start(&env, &db.env());
    let response = server.post_json(
        "/api/v1/chat/stream",
        &json!({"message": DEADLINE_QUESTION}),
    );
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let body = response.text().unwrap();
    let events = events(&body);
    assert_eq!(events.first().unwrap().0, "session", "{body}");
    let (last, done) = events.last().unwrap();
    assert_eq!(last, "done", "{body}");
    assert!(done["answer"].as_str().unwrap().contains("3月31日"));
    // The text streamed is the final answer, and nothing but it.
    let names: Vec<&str> = events.iter().map(|(name, _)| name.as_str()).collect();
    assert!(
        names[1..names.len() - 1].iter().all(|n| *n == "token"),
        "{names:?}"
    );
    let streamed: String = events
        .iter()
        .filter(|(name, _)| name == "token")
        .map(|(_, data)| data["text"].as_str().unwrap())
        .collect();
    assert_eq!(streamed, done["answer"].as_str().unwrap());
    let session = events[0].1["session_id"].as_str().unwrap();
    assert_eq!(done["session_id"], session);
    assert_eq!(done["question_id"], events[0].1["question_id"]);
    // What the stream said is what the transcript keeps.
    let transcript: Value = server
        .get(&format!("/api/v1/sessions/{session}/messages"))
        .json()
        .unwrap();
    assert_eq!(transcript["messages"][1]["text"], done["answer"]);
}

#[test]
fn bad_requests_get_clear_errors() {
    let env = Env::new();
    let server = Server::start(&env, &[("SHIKAKU_RATE_LIMIT", "0")]);
    let raw = |body: &str, content_type: &str| {
        server
            .client
            .post(server.url("/api/v1/chat"))
            .header("content-type", content_type)
            .body(body.to_string())
            .send()
            .unwrap()
    };
    let (status, code, body) = error_code(raw("{\"message\": ", "application/json"));
    assert_eq!((status, code.as_str()), (400, "invalid_json"), "{body}");
    assert!(
        body["error"]["detail"].as_str().unwrap().contains("EOF"),
        "{body}"
    );
    let (status, code, body) = error_code(raw("{\"question\": \"x\"}", "application/json"));
    assert_eq!((status, code.as_str()), (422, "invalid_request"));
    assert!(
        body["error"]["detail"]
            .as_str()
            .unwrap()
            .contains("question"),
        "{body}"
    );
    let (status, code, _) = error_code(raw("{\"message\": \"x\"}", "text/plain"));
    assert_eq!((status, code.as_str()), (415, "unsupported_media_type"));
    let big = format!("{{\"message\": \"{}\"}}", "あ".repeat(30_000));
    let (status, code, _) = error_code(raw(&big, "application/json"));
    assert_eq!((status, code.as_str()), (413, "too_large"));
    // The longest valid message, each character a JSON escape (12 bytes for a surrogate
    // pair), is read, not refused for its size.
    let escaped = format!("{{\"message\": \"{}\"}}", "\\ud83d\\ude00".repeat(2000));
    assert!(escaped.len() > 24_000, "{}", escaped.len());
    let answered = raw(&escaped, "application/json");
    assert_eq!(answered.status(), 200);
    let (status, code, _) = error_code(server.post_json("/api/v1/chat", &json!({"message": "  "})));
    assert_eq!((status, code.as_str()), (422, "invalid_message"));
    let long = "あ".repeat(2001);
    let (status, code, body) =
        error_code(server.post_json("/api/v1/chat", &json!({"message": long})));
    assert_eq!((status, code.as_str()), (422, "invalid_message"));
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("2000文字"),
        "{body}"
    );
    let (status, code, _) = error_code(server.post_json(
        "/api/v1/chat",
        &json!({"session_id": "no-such-session", "message": DEADLINE_QUESTION}),
    ));
    assert_eq!((status, code.as_str()), (404, "unknown_session"));
    let (status, code, _) = error_code(server.post_json(
        "/api/v1/chat/stream",
        &json!({"session_id": "no-such-session", "message": DEADLINE_QUESTION}),
    ));
    assert_eq!((status, code.as_str()), (404, "unknown_session"));
    let (status, code, _) = error_code(server.get("/api/v1/sessions/no-such-session/messages"));
    assert_eq!((status, code.as_str()), (404, "unknown_session"));
    let (status, code, _) = error_code(server.get("/api/v1/nothing-here"));
    assert_eq!((status, code.as_str()), (404, "not_found"));
}

fn feedback_is_recorded_on_an_answer_of_the_same_session(db: &Database) {
    let env = Env::new();
    let server = Server::start(&env, &db.env());
    let answer = chat(&server, json!({"message": DEADLINE_QUESTION}));
    let session = answer["session_id"].as_str().unwrap();
    let id = &answer["message_id"];
    let (status, code, _) = error_code(server.post_json(
        "/api/v1/feedback",
        &json!({"session_id": session, "message_id": id, "rating": "meh"}),
    ));
    assert_eq!((status, code.as_str()), (422, "invalid_rating"));
    let (status, code, _) = error_code(server.post_json(
        "/api/v1/feedback",
        &json!({"session_id": session, "message_id": answer["question_id"], "rating": "up"}),
    ));
    assert_eq!(
        (status, code.as_str()),
        (404, "unknown_message"),
        "a user's message cannot be rated"
    );
    let other = chat(&server, json!({"message": DEADLINE_QUESTION}));
    let (status, _, _) = error_code(server.post_json(
        "/api/v1/feedback",
        &json!({"session_id": other["session_id"], "message_id": id, "rating": "up"}),
    ));
    assert_eq!(status, 404, "another session's answer cannot be rated");
    let ok = server.post_json(
        "/api/v1/feedback",
        &json!({"session_id": session, "message_id": id, "rating": "down", "comment": "古い情報では？"}),
    );
    assert_eq!(ok.status(), 200);
    let transcript: Value = server
        .get(&format!("/api/v1/sessions/{session}/messages"))
        .json()
        .unwrap();
    assert_eq!(transcript["messages"][1]["feedback"], "down");
    let metrics = server.monitor("/metrics").text().unwrap();
    assert!(
        metrics.contains("shikaku_feedback_total{rating=\"down\"} 1"),
        "{metrics}"
    );
}

#[test]
fn a_client_over_the_rate_limit_is_told_when_to_retry() {
    let env = Env::new();
    let server = Server::start(&env, &[("SHIKAKU_RATE_LIMIT", "3")]);
    for _ in 0..3 {
        chat(&server, json!({"message": DEADLINE_QUESTION}));
    }
    let response = server.post_json("/api/v1/chat", &json!({"message": DEADLINE_QUESTION}));
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=21).contains(&retry), "Retry-After {retry}");
    let (status, code, _) = error_code(response);
    assert_eq!((status, code.as_str()), (429, "rate_limited"));
    // Reading is not limited.
    assert_eq!(server.get("/readyz").status(), 200);
}

/// Behind one trusted proxy, the client is the entry the proxy appended (the rightmost):
/// what a client writes to the left of it changes nothing. (Before: the leftmost was taken
/// and 60 of 60 requests passed a limit of 30 by changing it.)
#[test]
fn the_rate_limit_takes_the_client_the_trusted_proxy_saw() {
    let env = Env::new();
    let server = Server::start(
        &env,
        &[("SHIKAKU_RATE_LIMIT", "3"), ("SHIKAKU_TRUST_PROXY", "1")],
    );
    let ask = |forwarded: &str| {
        server
            .client
            .post(server.url("/api/v1/chat"))
            .header("x-forwarded-for", forwarded)
            .json(&json!({"message": DEADLINE_QUESTION}))
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    let spoofed: Vec<u16> = (0..6)
        .map(|i| ask(&format!("198.51.100.{i}, 203.0.113.7")))
        .collect();
    assert_eq!(spoofed, [200, 200, 200, 429, 429, 429]);
    // Another client behind the same proxy has its own allowance.
    assert_eq!(ask("203.0.113.8"), 200);
}

#[test]
fn cors_allows_only_the_configured_portal_origins() {
    let env = Env::new();
    let server = Server::start(
        &env,
        &[("SHIKAKU_CORS_ORIGINS", "https://portal.example.jp")],
    );
    let preflight = |origin: &str| {
        server
            .client
            .request(reqwest::Method::OPTIONS, server.url("/api/v1/chat"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
            .unwrap()
    };
    let allowed = preflight("https://portal.example.jp");
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://portal.example.jp"
    );
    let refused = preflight("https://evil.example.com");
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[test]
fn health_readiness_metrics_and_the_api_document() {
    let env = Env::new();
    let server = Server::start(&env, &[]);
    assert_eq!(server.get("/healthz").text().unwrap(), "ok\n");
    let ready: Value = server.monitor("/readyz").json().unwrap();
    assert_eq!(ready["ready"], true, "{ready}");
    assert_eq!(ready["database"], "ok");
    assert_eq!(ready["model"]["state"], "off");
    assert!(ready["index"]["passages"].as_u64().unwrap() > 100);
    let response = server.post_json("/api/v1/chat", &json!({"message": DEADLINE_QUESTION}));
    assert!(response.headers().contains_key("x-request-id"));
    let writer = response.json::<Value>().unwrap()["writer"]
        .as_str()
        .unwrap()
        .to_string();
    let metrics = server.monitor("/metrics").text().unwrap();
    assert!(
        metrics.contains(&format!(
            "shikaku_answers_total{{outcome=\"answered\",writer=\"{writer}\"}} 1"
        )),
        "{metrics}"
    );
    assert!(
        metrics.contains("shikaku_http_requests_total{route=\"/api/v1/chat\",status=\"200\"} 1")
    );
    assert!(metrics.contains("shikaku_model_loaded 0"));
    let api: Value = server.get("/api/v1/openapi.json").json().unwrap();
    assert_eq!(api["openapi"], "3.1.0");
    for path in [
        "/api/v1/chat",
        "/api/v1/chat/stream",
        "/api/v1/sessions/{id}/messages",
        "/api/v1/feedback",
        "/api/v1/handoff",
        "/healthz",
        "/readyz",
        "/metrics",
        "/widget.js",
        "/kb/{doc_id}",
    ] {
        assert!(api["paths"].get(path).is_some(), "{path} is not documented");
    }
}

#[test]
fn the_widget_the_demo_page_and_cited_documents_are_served() {
    let env = Env::new();
    let server = Server::start(&env, &[]);
    let widget = server.get("/widget.js");
    assert_eq!(widget.status(), 200);
    assert!(
        widget.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    let etag = widget.headers()["etag"].to_str().unwrap().to_string();
    assert!(widget.text().unwrap().contains("attachShadow"));
    let again = server
        .client
        .get(server.url("/widget.js"))
        .header("if-none-match", &etag)
        .send()
        .unwrap();
    assert_eq!(again.status(), 304);
    let demo = server.get("/").text().unwrap();
    let hashed = demo
        .split("src=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    assert!(hashed.starts_with("/assets/widget-"), "{hashed}");
    let asset = server.get(&hashed);
    assert!(
        asset.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    assert_eq!(server.get("/assets/widget-0000.js").status(), 404);
    // A citation's link: the document with the section's anchor.
    let answer = chat(&server, json!({"message": DEADLINE_QUESTION}));
    let citation = &answer["citations"][0];
    let page = server.get(&format!("/kb/{}", citation["doc_id"].as_str().unwrap()));
    assert_eq!(page.status(), 200);
    let html = page.text().unwrap();
    if let Some(section) = citation["section_id"].as_str() {
        assert!(html.contains(&format!("id=\"{section}\"")), "{html}");
    }
    assert!(
        server
            .get("/kb/notice-main")
            .text()
            .unwrap()
            .contains("id=\"leaflet\"")
    );
    assert_eq!(server.get("/kb/no-such-doc").status(), 404);
}

/// The pages hold no inline script or style, and their Content-Security-Policy refuses
/// any; the consoles are never framed, the public pages only by this origin and the portals
/// allowed by CORS; every response says `nosniff`; the session cookie is `Secure` when the
/// service is reached over https.
#[test]
fn every_response_carries_the_security_headers() {
    let env = Env::new();
    let db = Database::sqlite();
    common::console::add_user(&env, &db, "sato", "agent");
    let portal = "https://portal.example.jp";
    let mut vars = db.env();
    vars.extend([
        ("SHIKAKU_CORS_ORIGINS", portal),
        ("SHIKAKU_PUBLIC_URL", "https://shikaku.example.jp"),
    ]);
    let server = Server::start(&env, &vars);
    let header = |response: &reqwest::blocking::Response, name: &str| -> String {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    for (path, console) in [
        ("/", false),
        ("/kb/notice-main", false),
        ("/kb/no-such-doc", false),
        ("/agent", true),
        ("/admin", true),
    ] {
        let page = server.get(path);
        let csp = header(&page, "content-security-policy");
        assert!(
            csp.contains("script-src 'self'") && csp.contains("style-src 'self'"),
            "{path}: {csp}"
        );
        assert!(!csp.contains("unsafe"), "{path}: {csp}");
        assert_eq!(header(&page, "x-content-type-options"), "nosniff", "{path}");
        if console {
            assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
            assert_eq!(header(&page, "x-frame-options"), "DENY", "{path}");
        } else {
            assert!(
                csp.contains(&format!("frame-ancestors 'self' {portal}")),
                "{path}: {csp}"
            );
        }
        let html = page.text().unwrap();
        assert!(!html.contains("<style"), "{path}: an inline style");
        for script in html.split("<script").skip(1) {
            let tag = script.split('>').next().unwrap();
            assert!(tag.contains(" src=\"/assets/"), "{path}: an inline script");
        }
        // What the page loads is served, as what it is.
        for link in html.split("=\"/assets/").skip(1) {
            let file = link.split('"').next().unwrap();
            let asset = server.get(&format!("/assets/{file}"));
            assert_eq!(asset.status(), 200, "{file}");
            let kind = header(&asset, "content-type");
            let expected = match file.rsplit_once('.').map(|(_, e)| e) {
                Some("css") => "text/css",
                Some("svg") => "image/svg+xml",
                _ => "text/javascript",
            };
            assert!(kind.starts_with(expected), "{file}: {kind}");
            assert_eq!(header(&asset, "x-content-type-options"), "nosniff");
        }
    }
    let api = server.post_json("/api/v1/chat", &json!({"message": DEADLINE_QUESTION}));
    assert_eq!(header(&api, "x-content-type-options"), "nosniff");
    assert_eq!(header(&api, "x-frame-options"), "DENY");
    assert!(header(&api, "content-security-policy").contains("default-src 'none'"));
    let missing = server.get("/no/such/path");
    assert_eq!(missing.status(), 404);
    assert_eq!(header(&missing, "x-content-type-options"), "nosniff");

    let login = server.post_json(
        "/agent/api/login",
        &json!({"name": "sato", "password": common::console::PASSWORD}),
    );
    assert_eq!(login.status(), 200);
    let cookie = header(&login, "set-cookie");
    assert!(
        cookie.contains("; Secure") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    drop(server);
    // Over plain http (no https public URL) a Secure cookie would never come back.
    let server = Server::start(&env, &db.env());
    let login = server.post_json(
        "/agent/api/login",
        &json!({"name": "sato", "password": common::console::PASSWORD}),
    );
    assert!(!header(&login, "set-cookie").contains("Secure"));
}

fn conversations_survive_a_restart_and_my_numbers_are_not_stored(db: &Database) {
    let env = Env::new();
    let server = Server::spawn(&env, &db.env());
    let answer = chat(
        &server,
        json!({"message": "マイナンバーは1234 5678 9018です。締切はいつ？"}),
    );
    let session = answer["session_id"].as_str().unwrap().to_string();
    assert!(server.stop().success(), "a graceful stop exits 0");

    let server = Server::start(&env, &db.env());
    let transcript: Value = server
        .get(&format!("/api/v1/sessions/{session}/messages"))
        .json()
        .unwrap();
    let messages = transcript["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2, "{transcript}");
    let asked = messages[0]["text"].as_str().unwrap();
    assert!(!asked.contains("9018") && asked.contains("締切"), "{asked}");
    assert_eq!(messages[1]["text"], answer["answer"]);
    // The conversation goes on after the restart.
    chat(
        &server,
        json!({"session_id": session, "message": DEADLINE_QUESTION}),
    );
}

#[test]
fn bad_configuration_is_refused_with_the_setting_named() {
    let env = Env::new();
    for (var, value, says) in [
        ("SHIKAKU_RATE_LIMIT", "lots", "SHIKAKU_RATE_LIMIT"),
        (
            "SHIKAKU_CORS_ORIGINS",
            "portal.example.jp/path",
            "SHIKAKU_CORS_ORIGINS",
        ),
        ("SHIKAKU_ADDR", "localhost", "SHIKAKU_ADDR"),
        (
            "DATABASE_URL",
            "mysql://db/shikaku",
            "unsupported database URL",
        ),
    ] {
        let out = env.command().arg("serve").env(var, value).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{var}={value}");
        let err = common::stderr(&out);
        assert!(err.contains(says), "{var}={value}: {err}");
    }
}

fn a_handoff_opens_one_ticket_and_the_bot_then_stays_silent(db: &Database) {
    let env = Env::new();
    let server = Server::spawn(&env, &db.env());
    let first = chat(&server, json!({"message": DEADLINE_QUESTION}));
    let session = first["session_id"].as_str().unwrap();
    // Every detail is optional, and each given one is checked.
    let response = server.post_json(
        "/api/v1/handoff",
        &json!({"session_id": session, "facility_code": "12345", "contact": "nope"}),
    );
    assert_eq!(response.status(), 422);
    let body: Value = response.json().unwrap();
    let fields: Vec<&str> = body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["facility_code", "contact"], "{body}");
    let (status, code, _) = error_code(server.post_json(
        "/api/v1/handoff",
        &json!({"session_id": session, "favourite_colour": "blue"}),
    ));
    assert_eq!((status, code.as_str()), (422, "invalid_request"));
    let (status, code, _) = error_code(server.post_json(
        "/api/v1/handoff",
        &json!({"session_id": session, "reason": "bored"}),
    ));
    assert_eq!((status, code.as_str()), (422, "invalid_reason"));

    let response = server.post_json(
        "/api/v1/handoff",
        &json!({"session_id": session, "facility_name": "山田クリニック", "facility_code": "１２３４５６７", "contact": "03-1234-5678"}),
    );
    assert_eq!(response.status(), 201);
    let ticket: Value = response.json().unwrap();
    assert_eq!(ticket["state"], "waiting");
    assert!(
        ticket["message"].as_str().unwrap().contains("0800-0804583"),
        "{ticket}"
    );
    // One open ticket per conversation.
    let again = server.post_json("/api/v1/handoff", &json!({"session_id": session}));
    assert_eq!(again.status(), 409);
    let again: Value = again.json().unwrap();
    assert_eq!(again["error"]["ticket_id"], ticket["ticket_id"]);

    // While the conversation waits for a person, messages are for the agent: stored, not answered.
    let response = server.post_json(
        "/api/v1/chat",
        &json!({"session_id": session, "message": "追加で質問です"}),
    );
    assert_eq!(response.status(), 202);
    let forwarded: Value = response.json().unwrap();
    assert_eq!(forwarded["forwarded"], true);
    let body = server
        .post_json(
            "/api/v1/chat/stream",
            &json!({"session_id": session, "message": DEADLINE_QUESTION}),
        )
        .text()
        .unwrap();
    let names: Vec<String> = events(&body).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["session", "forwarded"], "{body}");
    let transcript: Value = server
        .get(&format!("/api/v1/sessions/{session}/messages"))
        .json()
        .unwrap();
    let roles: Vec<&str> = transcript["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["user", "assistant", "system", "user", "user"]);
    assert_eq!(transcript["messages"][2]["text"], ticket["message"]);
    // A handoff before any question opens a conversation of its own.
    let fresh = server.post_json("/api/v1/handoff", &json!({}));
    assert_eq!(fresh.status(), 201);
    let fresh: Value = fresh.json().unwrap();
    assert_ne!(fresh["session_id"], session);
    // A widget listening for the agent's replies does not hold up a graceful stop.
    let listening = server
        .client
        .get(server.url(&format!("/api/v1/sessions/{session}/events")))
        .send()
        .unwrap();
    assert_eq!(listening.status(), 200);
    assert!(server.stop().success(), "a graceful stop exits 0");
    drop(listening);
}

fn the_bot_offers_a_person_after_failing_twice(db: &Database) {
    let env = Env::new();
    let server = Server::start(&env, &db.env());
    let out_of_scope = "今日の天気はどうですか";
    let first = chat(&server, json!({"message": out_of_scope}));
    assert_eq!(first["outcome"], "no_answer", "{first}");
    assert!(first.get("handoff").is_none(), "{first}");
    let second = chat(
        &server,
        json!({"session_id": first["session_id"], "message": out_of_scope}),
    );
    assert_eq!(second["handoff"]["offer"], true, "{second}");
    // Two 👎 in a conversation also bring the offer.
    let third = chat(&server, json!({"message": DEADLINE_QUESTION}));
    let session = third["session_id"].as_str().unwrap();
    let fourth = chat(
        &server,
        json!({"session_id": session, "message": DEADLINE_QUESTION}),
    );
    let rate = |answer: &Value| -> Value {
        server
            .post_json(
                "/api/v1/feedback",
                &json!({"session_id": session, "message_id": answer["message_id"], "rating": "down"}),
            )
            .json()
            .unwrap()
    };
    assert!(rate(&third).get("handoff").is_none());
    assert_eq!(rate(&fourth)["handoff"]["offer"], true);
    // Asking for a person is a handoff at once.
    let person = chat(&server, json!({"message": "担当者と話したいです"}));
    assert_eq!(person["outcome"], "handoff");
    assert_eq!(person["handoff"]["reason"], "requested_person");
}

fn small_talk_gets_a_short_reply_and_never_the_offer_of_a_person(db: &Database) {
    let env = Env::new();
    let server = Server::start(&env, &db.env());
    let mut session = Value::Null;
    for message in [
        "こんにちは",
        "あなたはAIですか？",
        "わかりました。ありがとう",
    ] {
        let reply = chat(&server, json!({"session_id": session, "message": message}));
        session = reply["session_id"].clone();
        assert_eq!(reply["outcome"], "answered", "{message}: {reply}");
        assert_eq!(reply["writer"], "small_talk", "{message}: {reply}");
        assert!(reply.get("handoff").is_none(), "{message}: {reply}");
        let text = reply["answer"].as_str().unwrap();
        assert!(!text.contains("申し訳ありません"), "{message}: {text}");
    }
    // A question beside a greeting is still answered from the sources.
    let question = chat(
        &server,
        json!({"session_id": session, "message": "こんにちは。カードリーダーの申込み締切は？"}),
    );
    assert_ne!(question["writer"], "small_talk", "{question}");
    assert!(
        question["answer"].as_str().unwrap().contains("3月31日"),
        "{question}"
    );
}

fn a_follow_up_is_read_with_the_conversation_and_the_transcript_shows_how(db: &Database) {
    let env = Env::new();
    let server = Server::start(&env, &db.env());
    let first = chat(&server, json!({"message": "病院は何台申し込めますか"}));
    let session = first["session_id"].clone();
    assert!(first.get("understood_as").is_none(), "{first}");
    // Small talk between them does not break the thread.
    chat(
        &server,
        json!({"session_id": session, "message": "ありがとう"}),
    );
    let follow = chat(
        &server,
        json!({"session_id": session, "message": "薬局の場合は？"}),
    );
    assert_eq!(follow["outcome"], "answered", "{follow}");
    assert!(
        follow["answer"].as_str().unwrap().contains("1台"),
        "{follow}"
    );
    assert_eq!(
        follow["understood_as"], "薬局は何台申し込めますか",
        "{follow}"
    );
    assert_eq!(follow["language"], "ja");
    // Another conversation does not lean on this one.
    let alone = chat(&server, json!({"message": "薬局の場合は？"}));
    assert!(alone.get("understood_as").is_none(), "{alone}");
    // The stored transcript says how the bot understood it (for the agent).
    let transcript: Value = server
        .get(&format!(
            "/api/v1/sessions/{}/messages",
            session.as_str().unwrap()
        ))
        .json()
        .unwrap();
    let understood: Vec<&Value> = transcript["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m.get("understood_as"))
        .collect();
    assert_eq!(
        understood,
        [&json!("薬局は何台申し込めますか")],
        "{transcript}"
    );
    // English is answered in English, in the same conversation.
    let english = chat(
        &server,
        json!({"session_id": session, "message": "What is the call center's phone number?"}),
    );
    assert_eq!(english["language"], "en", "{english}");
    assert!(
        english["answer"].as_str().unwrap().contains("0800-0804583"),
        "{english}"
    );
}

/// A NUL byte was a 500 on PostgreSQL (it cannot store one); a message of zero-width
/// characters alone was taken as a question.
fn nul_bytes_and_invisible_messages_are_a_clear_422(db: &Database) {
    let env = Env::new();
    let server = Server::start(&env, &db.env());
    for message in [
        "締切\u{0}はいつ",
        "\u{200B}\u{200B}",
        "\u{0}",
        "\u{FEFF}\u{2060} ",
    ] {
        let (status, code, body) =
            error_code(server.post_json("/api/v1/chat", &json!({"message": message})));
        assert_eq!(
            (status, code.as_str()),
            (422, "invalid_message"),
            "{message:?}: {body}"
        );
    }
    let (status, _, body) = error_code(server.post_json(
        "/api/v1/handoff",
        &json!({"facility_name": "山田\u{0}医院"}),
    ));
    assert_eq!(status, 422, "{body}");
    let answer = chat(&server, json!({"message": DEADLINE_QUESTION}));
    let (status, code, body) = error_code(server.post_json(
        "/api/v1/feedback",
        &json!({"session_id": answer["session_id"], "message_id": answer["message_id"], "rating": "down", "comment": "a\u{0}b"}),
    ));
    assert_eq!((status, code.as_str()), (422, "invalid_comment"), "{body}");
}

/// Four clients send until the service is SIGKILLed under them (after `for_how_long`):
/// what each `send` confirmed (`Some`: the service said it was kept), and a server
/// restarted on the same data.
fn confirmed_before_a_kill<T: Send>(
    db: &Database,
    for_how_long: std::time::Duration,
    send: impl Fn(&Server, usize, usize) -> Option<T> + Sync,
) -> (Vec<T>, Server, Env) {
    let env = Env::new();
    let mut extra = db.env();
    extra.push(("SHIKAKU_RATE_LIMIT", "0"));
    let server = Server::spawn(&env, &extra);
    let confirmed = std::sync::Mutex::new(Vec::new());
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        for worker in 0..4 {
            let (server, confirmed, stop, send) = (&server, &confirmed, &stop, &send);
            s.spawn(move || {
                let mut n = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    n += 1;
                    if let Some(kept) = send(server, worker, n) {
                        confirmed.lock().unwrap().push(kept);
                    }
                }
            });
        }
        std::thread::sleep(for_how_long);
        // SIGKILL while the workers are still sending.
        server.signal_kill();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
    });
    drop(server);
    let confirmed = confirmed.into_inner().unwrap();
    assert!(
        confirmed.len() > 10,
        "only {} confirmed before the kill",
        confirmed.len()
    );
    let server = Server::start(&env, &db.env());
    (confirmed, server, env)
}

fn no_confirmed_ticket_is_lost_when_the_process_is_killed(db: &Database) {
    let (confirmed, server, _env) = confirmed_before_a_kill(
        db,
        std::time::Duration::from_millis(1500),
        |server, worker, n| {
            let sent = server
                .client
                .post(server.url("/api/v1/handoff"))
                .json(&json!({"facility_name": format!("crash-{worker}-{n}")}))
                .send();
            // Only a 201 the client received counts as confirmed.
            sent.ok()
                .filter(|r| r.status() == 201)
                .and_then(|r| r.json::<Value>().ok())
        },
    );
    for ticket in &confirmed {
        let session = ticket["session_id"].as_str().unwrap();
        let transcript: Value = server
            .get(&format!("/api/v1/sessions/{session}/messages"))
            .json()
            .unwrap();
        assert_eq!(
            transcript["state"], "waiting",
            "{ticket} lost: {transcript}"
        );
        assert_eq!(transcript["messages"][0]["text"], ticket["message"]);
    }
}

/// Chats under load from four clients, first questions and follow-ups, then SIGKILL while
/// they are still sending: after a restart every question whose 200 (`saved`) reached its
/// client is in the transcript, with the very answer the client got.
fn no_confirmed_chat_is_lost_when_the_process_is_killed(db: &Database) {
    const QUESTIONS: [&str; 4] = [
        "カードリーダーの申込み締切は？",
        "コールセンターの電話番号は？",
        "紙の申請書はどこに送りますか",
        "駐車場はありますか",
    ];
    // Each client goes on in its conversation for three questions, then starts another.
    let sessions = std::sync::Mutex::new([const { None::<String> }; 4]);
    let (confirmed, server, _env) = confirmed_before_a_kill(
        db,
        std::time::Duration::from_millis(2000),
        |server, worker, n| {
            let question = QUESTIONS[(worker + n) % QUESTIONS.len()];
            let mut body = json!({"message": question});
            if let Some(id) = &sessions.lock().unwrap()[worker] {
                body["session_id"] = json!(id);
            }
            let sent = server
                .client
                .post(server.url("/api/v1/chat"))
                .json(&body)
                .send();
            // Only a 200 the client received counts as confirmed; it must say it was saved.
            let answer = sent
                .ok()
                .filter(|r| r.status() == 200)
                .and_then(|r| r.json::<Value>().ok())?;
            assert_eq!(answer["saved"], true, "{answer}");
            sessions.lock().unwrap()[worker] =
                (n % 3 != 0).then(|| answer["session_id"].as_str().unwrap().to_string());
            Some((question, answer))
        },
    );
    for (question, answer) in &confirmed {
        let session = answer["session_id"].as_str().unwrap();
        let transcript: Value = server
            .get(&format!("/api/v1/sessions/{session}/messages"))
            .json()
            .unwrap();
        let messages = transcript["messages"].as_array().unwrap();
        let find = |id: &Value| messages.iter().find(|m| m["id"] == *id);
        let stored = find(&answer["message_id"]).unwrap_or_else(|| panic!("lost: {answer}"));
        assert_eq!(stored["text"], answer["answer"], "{answer}");
        assert_eq!(stored["reply_to"], answer["question_id"], "{answer}");
        let asked =
            find(&answer["question_id"]).unwrap_or_else(|| panic!("question lost: {answer}"));
        assert_eq!(asked["text"], *question);
    }
}
