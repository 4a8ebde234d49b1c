//! LINE and Telegram end to end: the real service talks over real HTTP to local fakes of
//! LINE's Messaging API and Telegram's Bot API (the only parts we cannot reach), which
//! record every request. Webhooks are signed (or not) as the platforms do.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::common::console::{Agent, add_user};
use crate::common::{self, Database, Env, Server, sqlite};

on_both_databases!(
    a_line_user_is_handed_to_an_agent_whose_replies_arrive_on_line,
    every_reply_owed_to_a_line_user_survives_a_crash,
);

const LINE_SECRET: &str = "line-channel-secret-for-tests";
const LINE_TOKEN: &str = "line-access-token-for-tests";
const TELEGRAM_TOKEN: &str = "123456:telegram-token-for-tests";
const TELEGRAM_SECRET: &str = "telegram_webhook-secret";
const PUBLIC_URL: &str = "https://portal.example.jp";
const QUESTION: &str = "カードリーダーの申込み締切は？";
const USER: &str = "U4af4980629aaaaaaaaaaaaaaaaaaaaaa";

/// One request a fake platform received.
#[derive(Debug, Clone)]
struct Call {
    path: String,
    headers: HashMap<String, String>,
    body: Value,
    /// The body as text (setWebhook is sent as a multipart form).
    raw: String,
}

#[derive(Default)]
struct Recorded {
    calls: Mutex<Vec<Call>>,
    /// LINE: refuse reply tokens (as for an expired one).
    refuse_reply: AtomicBool,
    /// LINE: every request waits while this is set (a platform that does not answer).
    hold: AtomicBool,
    /// LINE: pushes fail with 500.
    fail_push: AtomicBool,
    /// Telegram: the updates getUpdates serves (those at or after the offset asked for).
    updates: Mutex<Vec<Value>>,
    next_message_id: AtomicI64,
}

/// A fake of LINE's and Telegram's APIs on a port of its own.
struct Fake {
    base: String,
    recorded: Arc<Recorded>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Fake {
    fn start() -> Fake {
        let recorded = Arc::new(Recorded::default());
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let state = recorded.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                let app = axum::Router::new().fallback(platform).with_state(state);
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await
                    .unwrap();
            });
        });
        let addr = addr_rx.recv().unwrap();
        Fake {
            base: format!("http://{addr}"),
            recorded,
            stop: Some(stop),
        }
    }

    /// Requests whose path ends with `suffix`.
    fn calls(&self, suffix: &str) -> Vec<Call> {
        self.recorded
            .calls
            .lock()
            .unwrap()
            .iter()
            // Telegram's method names are case-insensitive (teloxide sends `SendMessage`).
            .filter(|c| c.path.to_lowercase().ends_with(&suffix.to_lowercase()))
            .cloned()
            .collect()
    }

    /// Waits (up to 30 s) until `n` requests to `suffix` arrived; returns them.
    fn wait_for(&self, suffix: &str, n: usize) -> Vec<Call> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let calls = self.calls(suffix);
            if calls.len() >= n {
                return calls;
            }
            assert!(
                Instant::now() < deadline,
                "waited 30 s for {n} request(s) to {suffix}; got {calls:#?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Queues a Telegram update for getUpdates.
    fn queue_update(&self, update: Value) {
        self.recorded.updates.lock().unwrap().push(update);
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Every path: LINE's `/v2/bot/…` or Telegram's `/bot{token}/{method}`.
async fn platform(
    axum::extract::State(recorded): axum::extract::State<Arc<Recorded>>,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let path = uri.path().to_string();
    let raw = String::from_utf8_lossy(&body).into_owned();
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    recorded.calls.lock().unwrap().push(Call {
        path: path.clone(),
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_string()))
            .collect(),
        body: body.clone(),
        raw,
    });
    if path.starts_with("/v2/") {
        while recorded.hold.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        if path == "/v2/bot/message/push" && recorded.fail_push.load(Ordering::SeqCst) {
            return (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "down").into_response();
        }
        if path == "/v2/bot/message/reply" && recorded.refuse_reply.load(Ordering::SeqCst) {
            return (
                axum::http::StatusCode::BAD_REQUEST,
                axum::Json(json!({"message": "Invalid reply token"})),
            )
                .into_response();
        }
        return axum::Json(json!({})).into_response();
    }
    let method = path.rsplit('/').next().unwrap_or_default().to_lowercase();
    let result = match method.as_str() {
        "getupdates" => {
            let offset = body["offset"].as_i64().unwrap_or(0);
            let pending: Vec<Value> = recorded
                .updates
                .lock()
                .unwrap()
                .iter()
                .filter(|u| u["update_id"].as_i64().unwrap() >= offset)
                .cloned()
                .collect();
            if pending.is_empty() {
                // A short long poll.
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            json!(pending)
        }
        "sendmessage" => json!({
            "message_id": recorded.next_message_id.fetch_add(1, Ordering::SeqCst) + 1,
            "date": 1_700_000_000,
            "chat": {"id": body["chat_id"], "type": "private", "first_name": "花子"},
            "text": "sent",
        }),
        _ => json!(true),
    };
    axum::Json(json!({"ok": true, "result": result})).into_response()
}

fn line_env<'a>(fake: &'a Fake, db: &'a Database) -> Vec<(&'a str, &'a str)> {
    let mut env = vec![
        ("SHIKAKU_LINE_CHANNEL_SECRET", LINE_SECRET),
        ("SHIKAKU_LINE_CHANNEL_ACCESS_TOKEN", LINE_TOKEN),
        ("SHIKAKU_LINE_API_URL", fake.base.as_str()),
        ("SHIKAKU_PUBLIC_URL", PUBLIC_URL),
    ];
    env.extend(db.env());
    env
}

fn sign(body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(LINE_SECRET.as_bytes()).unwrap();
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Posts LINE events to the webhook, signed as LINE signs them.
fn post_line(server: &Server, events: Value) -> reqwest::blocking::Response {
    let body = json!({"destination": "Ubot", "events": events}).to_string();
    server
        .client
        .post(server.url("/channels/line/webhook"))
        .header("content-type", "application/json")
        .header("x-line-signature", sign(body.as_bytes()))
        .body(body)
        .send()
        .unwrap()
}

fn line_event(id: &str, kind: &str, extra: Value) -> Value {
    let mut event = json!({
        "type": kind,
        "mode": "active",
        "timestamp": 1_700_000_000_000u64,
        "webhookEventId": id,
        "deliveryContext": {"isRedelivery": false},
        "source": {"type": "user", "userId": USER},
        "replyToken": format!("reply-{id}"),
    });
    for (k, v) in extra.as_object().unwrap() {
        event[k] = v.clone();
    }
    event
}

fn text_event(id: &str, text: &str) -> Value {
    line_event(
        id,
        "message",
        json!({"message": {"type": "text", "id": format!("m{id}"), "quoteToken": "q", "text": text}}),
    )
}

/// The text of the messages of one LINE request, joined.
fn line_text(call: &Call) -> String {
    call.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect::<Vec<_>>()
        .join("")
}

/// The widget's answer to a question, to compare the channels with.
fn widget_answer(server: &Server, question: &str) -> String {
    let answer: Value = server
        .post_json("/api/v1/chat", &json!({"message": question}))
        .json()
        .unwrap();
    answer["answer"].as_str().unwrap().to_string()
}

#[test]
fn a_line_question_gets_the_widgets_answer_with_sources_once() {
    let fake = Fake::start();
    let env = Env::new();
    let db = Database::sqlite();
    let server = Server::start(&env, &line_env(&fake, &db));
    assert!(
        server.startup.iter().any(|l| l.starts_with("LINE: on")),
        "{:?}",
        server.startup
    );
    // The console's Verify button sends no events.
    assert_eq!(post_line(&server, json!([])).status(), 200);

    let event = text_event("01HQ0000000000000000000001", QUESTION);
    assert_eq!(post_line(&server, json!([event.clone()])).status(), 200);
    let reply = &fake.wait_for("/v2/bot/message/reply", 1)[0];
    assert_eq!(
        reply.headers["authorization"],
        format!("Bearer {LINE_TOKEN}")
    );
    assert_eq!(reply.body["replyToken"], "reply-01HQ0000000000000000000001");
    let text = line_text(reply);
    let expected = widget_answer(&server, QUESTION);
    assert!(
        text.starts_with(&expected),
        "{text}\nvs the widget's: {expected}"
    );
    assert!(text.contains("3月31日"), "{text}");
    assert!(
        text.contains("出典：") && text.contains(&format!("{PUBLIC_URL}/kb/")),
        "{text}"
    );
    // The loading animation ran for the user while the answer was written.
    let loading = fake.calls("/v2/bot/chat/loading/start");
    assert_eq!(loading.len(), 1);
    assert_eq!(loading[0].body["chatId"], USER);

    // LINE redelivers the same event: it is not answered again.
    let mut again = event.clone();
    again["deliveryContext"]["isRedelivery"] = json!(true);
    assert_eq!(post_line(&server, json!([again])).status(), 200);
    // A later event proves the redelivery was processed (in order) before it.
    post_line(
        &server,
        json!([text_event(
            "01HQ0000000000000000000002",
            "コールセンターの電話番号は？"
        )]),
    );
    let replies = fake.wait_for("/v2/bot/message/reply", 2);
    std::thread::sleep(Duration::from_millis(500));
    let replies_now = fake.calls("/v2/bot/message/reply");
    assert_eq!(replies_now.len(), 2, "{replies:#?}");
    assert!(line_text(&replies_now[1]).contains("0800-0804583"));

    // Follow: a greeting with questions to tap.
    post_line(
        &server,
        json!([line_event(
            "01HQ0000000000000000000003",
            "follow",
            json!({})
        )]),
    );
    let greeting = &fake.wait_for("/v2/bot/message/reply", 3)[2];
    assert!(line_text(greeting).contains("シカク"));
    let items = greeting.body["messages"][0]["quickReply"]["items"]
        .as_array()
        .unwrap();
    assert!(
        items.iter().any(|i| i["action"]["text"] == QUESTION),
        "{items:?}"
    );
    assert!(
        items
            .iter()
            .all(|i| i["action"]["label"].as_str().unwrap().chars().count() <= 20)
    );

    // A sticker: asked to write.
    post_line(
        &server,
        json!([line_event(
            "01HQ0000000000000000000004",
            "message",
            json!({"message": {"type": "sticker", "id": "s1"}})
        )]),
    );
    let sticker = &fake.wait_for("/v2/bot/message/reply", 4)[3];
    assert!(line_text(sticker).contains("文字"), "{sticker:?}");
}

#[test]
fn a_line_webhook_without_the_right_signature_is_refused_and_nothing_happens() {
    let fake = Fake::start();
    let env = Env::new();
    let db = Database::sqlite();
    let server = Server::start(&env, &line_env(&fake, &db));
    let body = json!({"destination": "Ubot", "events": [text_event("01HQ0000000000000000000009", QUESTION)]})
        .to_string();
    let post = |signature: Option<String>, body: String| {
        let mut request = server
            .client
            .post(server.url("/channels/line/webhook"))
            .header("content-type", "application/json")
            .body(body);
        if let Some(s) = signature {
            request = request.header("x-line-signature", s);
        }
        request.send().unwrap()
    };
    assert_eq!(post(None, body.clone()).status(), 401);
    let mut other = Hmac::<Sha256>::new_from_slice(b"another channel's secret").unwrap();
    other.update(body.as_bytes());
    let wrong = base64::engine::general_purpose::STANDARD.encode(other.finalize().into_bytes());
    let refused = post(Some(wrong), body.clone());
    assert_eq!(refused.status(), 401);
    let error: Value = refused.json().unwrap();
    assert_eq!(error["error"]["code"], "invalid_signature");
    // Signed, then changed on the way.
    let tampered = body.replace(QUESTION, "別の質問");
    assert_eq!(post(Some(sign(body.as_bytes())), tampered).status(), 401);
    // Signed but not JSON.
    assert_eq!(
        post(Some(sign(b"not json")), "not json".into()).status(),
        400
    );
    std::thread::sleep(Duration::from_millis(800));
    assert!(
        fake.recorded.calls.lock().unwrap().is_empty(),
        "nothing may be processed"
    );
    // The same event, signed, is then taken (it was not recorded as seen).
    assert_eq!(
        post(Some(sign(body.as_bytes())), body.clone()).status(),
        200
    );
    fake.wait_for("/v2/bot/message/reply", 1);
}

#[test]
fn late_or_refused_reply_tokens_fall_back_to_push() {
    let fake = Fake::start();
    let env = Env::new();
    let db = Database::sqlite();
    // Every answer is "late": the reply token is not used.
    let mut settings = line_env(&fake, &db);
    settings.push(("SHIKAKU_LINE_REPLY_WINDOW", "0"));
    let server = Server::start(&env, &settings);
    post_line(
        &server,
        json!([text_event("01HQ0000000000000000000010", QUESTION)]),
    );
    let push = &fake.wait_for("/v2/bot/message/push", 1)[0];
    assert_eq!(push.body["to"], USER);
    assert!(line_text(push).contains("3月31日"));
    assert!(
        uuid_like(&push.headers["x-line-retry-key"]),
        "{:?}",
        push.headers
    );
    assert!(fake.calls("/v2/bot/message/reply").is_empty());
    drop(server);

    // LINE refuses the token (expired): the answer is pushed instead.
    let env = Env::new();
    let server = Server::start(&env, &line_env(&fake, &db));
    fake.recorded.refuse_reply.store(true, Ordering::SeqCst);
    post_line(
        &server,
        json!([text_event("01HQ0000000000000000000011", QUESTION)]),
    );
    fake.wait_for("/v2/bot/message/reply", 1);
    let pushes = fake.wait_for("/v2/bot/message/push", 2);
    assert!(line_text(&pushes[1]).contains("3月31日"));
}

/// A LINE message acknowledged with 200 is a durable job: one whose answer could not be
/// sent (LINE down), and one whose process was killed before it was answered, are both
/// answered by the next start, each exactly once, and a further restart sends nothing.
#[test]
fn line_messages_acknowledged_before_a_crash_or_a_failed_send_are_answered_once_after_restart() {
    let fake = Fake::start();
    let env = Env::new();
    let db = Database::sqlite();
    let mut settings = line_env(&fake, &db);
    settings.push(("SHIKAKU_LINE_REPLY_WINDOW", "0"));

    // 1. The answer is written, but every push fails.
    fake.recorded.fail_push.store(true, Ordering::SeqCst);
    let server = Server::start(&env, &settings);
    let sent = post_line(
        &server,
        json!([text_event("01HQ0000000000000000000020", QUESTION)]),
    );
    assert_eq!(sent.status(), 200);
    fake.wait_for("/v2/bot/message/push", 3);
    drop(server);

    // 2. Killed after the 200, before the answer (LINE hangs on the loading animation).
    fake.recorded.hold.store(true, Ordering::SeqCst);
    let server = Server::spawn(&env, &settings);
    let second = "顔認証付きカードリーダーは何台まで申し込めますか";
    let sent = post_line(
        &server,
        json!([text_event("01HQ0000000000000000000021", second)]),
    );
    assert_eq!(sent.status(), 200);
    fake.wait_for("/v2/bot/chat/loading/start", 2);
    server.signal_kill();
    drop(server);

    let (jobs, answers) = sqlite(&env, |pool| async move {
        let jobs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM channel_jobs")
            .fetch_one(&pool)
            .await
            .unwrap();
        let answers: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM messages WHERE role = 'assistant'")
                .fetch_one(&pool)
                .await
                .unwrap();
        // What a sweep sees some minutes later: both jobs left by their workers.
        sqlx::query("UPDATE channel_jobs SET claimed_at = '2000-01-01T00:00:00.000Z'")
            .execute(&pool)
            .await
            .unwrap();
        (jobs, answers)
    });
    assert_eq!((jobs, answers), (2, 1), "two jobs, the first one answered");

    // 3. The next start answers the second and sends both.
    fake.recorded.hold.store(false, Ordering::SeqCst);
    fake.recorded.fail_push.store(false, Ordering::SeqCst);
    let before = fake.calls("/v2/bot/message/push").len();
    let server = Server::spawn(&env, &settings);
    let pushes = fake.wait_for("/v2/bot/message/push", before + 2);
    let texts: Vec<String> = pushes[before..].iter().map(line_text).collect();
    assert!(pushes[before..].iter().all(|p| p.body["to"] == USER));
    assert!(texts[0].contains("3月31日"), "{texts:?}");
    assert!(texts[1].contains("台"), "{texts:?}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while sqlite(&env, |pool| async move {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM channel_jobs")
            .fetch_one(&pool)
            .await
            .unwrap()
    }) > 0
    {
        assert!(Instant::now() < deadline, "the jobs were not finished");
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(server);

    // 4. Each question has one answer, and another start sends nothing more.
    let server = Server::spawn(&env, &settings);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(fake.calls("/v2/bot/message/push").len(), before + 2);
    drop(server);
    let answers_per_question: Vec<i64> = sqlite(&env, |pool| async move {
        sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM messages a WHERE a.reply_to = u.id) \
             FROM messages u WHERE u.role = 'user' ORDER BY u.id",
        )
        .fetch_all(&pool)
        .await
        .unwrap()
    });
    assert_eq!(answers_per_question, [1, 1]);
}

/// A greeting after a follow, 「文字で送ってください」 after a sticker and the confirmation of a
/// handoff asked for with the button are owed to the user once LINE got its 200: killed
/// (SIGKILL) while LINE hangs, the next start sends each of them once, and a further
/// restart sends nothing. (Before, 0 of 3 arrived: only questions were durable.)
fn every_reply_owed_to_a_line_user_survives_a_crash(db: &Database) {
    let fake = Fake::start();
    let env = Env::new();
    let settings = line_env(&fake, db);
    fake.recorded.hold.store(true, Ordering::SeqCst);
    let server = Server::spawn(&env, &settings);
    let sent = post_line(
        &server,
        json!([
            line_event("01HQ0000000000000000000030", "follow", json!({})),
            line_event(
                "01HQ0000000000000000000031",
                "message",
                json!({"message": {"type": "sticker", "id": "s1"}})
            ),
            line_event(
                "01HQ0000000000000000000032",
                "postback",
                json!({"postback": {"data": "handoff"}})
            ),
        ]),
    );
    assert_eq!(sent.status(), 200);
    // The first reply hangs at LINE: the process dies with all three unsent.
    fake.wait_for("/v2/bot/message/reply", 1);
    server.signal_kill();
    drop(server);
    let [owed, tickets] = db.sql(
        &env,
        &[
            "SELECT COUNT(*) FROM channel_outbox",
            "SELECT COUNT(*) FROM tickets WHERE status = 'waiting'",
        ],
    )[..] else {
        unreachable!()
    };
    assert_eq!(
        (owed, tickets),
        (3, 1),
        "three replies owed, the ticket opened"
    );
    // What a sweep sees some minutes later.
    db.sql(
        &env,
        &["UPDATE channel_outbox SET claimed_at = '2000-01-01T00:00:00.000Z'"],
    );

    fake.recorded.hold.store(false, Ordering::SeqCst);
    let before = fake.calls("/v2/bot/message/push").len();
    let server = Server::spawn(&env, &settings);
    let pushes = fake.wait_for("/v2/bot/message/push", before + 3);
    let texts: Vec<String> = pushes[before..].iter().map(line_text).collect();
    assert!(pushes[before..].iter().all(|p| p.body["to"] == USER));
    assert!(
        texts[0].contains("友だち追加ありがとうございます"),
        "{texts:?}"
    );
    assert!(texts[1].contains("文字"), "{texts:?}");
    assert!(
        texts[2].contains("担当者") && texts[2].contains("0800-0804583"),
        "{texts:?}"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while db.sql(&env, &["SELECT COUNT(*) FROM channel_outbox"])[0] > 0 {
        assert!(
            Instant::now() < deadline,
            "the owed replies were not finished"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(server);
    let server = Server::spawn(&env, &settings);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(fake.calls("/v2/bot/message/push").len(), before + 3);
    // Delivered again by LINE, the events are answered no more.
    let again = post_line(
        &server,
        json!([line_event(
            "01HQ0000000000000000000030",
            "follow",
            json!({})
        )]),
    );
    assert_eq!(again.status(), 200);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(fake.calls("/v2/bot/message/reply").len(), 1);
    assert_eq!(db.sql(&env, &["SELECT COUNT(*) FROM tickets"])[0], 1);
}

fn uuid_like(s: &str) -> bool {
    s.len() == 36 && s.chars().filter(|&c| c == '-').count() == 4
}

fn a_line_user_is_handed_to_an_agent_whose_replies_arrive_on_line(db: &Database) {
    let fake = Fake::start();
    let env = Env::new();
    add_user(&env, db, "sato", "agent");
    let server = Server::start(&env, &line_env(&fake, db));
    // Asking for a person offers the handoff button.
    post_line(
        &server,
        json!([text_event("01HQ0000000000000000000020", "担当者と話したい")]),
    );
    let offer = &fake.wait_for("/v2/bot/message/reply", 1)[0];
    let items =
        offer.body["messages"].as_array().unwrap().last().unwrap()["quickReply"]["items"].clone();
    assert!(
        items
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["action"]["type"] == "postback" && i["action"]["data"] == "handoff"),
        "{items}"
    );
    // The user taps it: a ticket, and the confirmation with the call center's number.
    post_line(
        &server,
        json!([line_event(
            "01HQ0000000000000000000021",
            "postback",
            json!({"postback": {"data": "handoff"}})
        )]),
    );
    let confirmation = line_text(&fake.wait_for("/v2/bot/message/reply", 2)[1]);
    assert!(
        confirmation.contains("引き継ぎを受け付けました") && confirmation.contains("0800-0804583"),
        "{confirmation}"
    );

    let agent = Agent::sign_in(&server, "sato");
    let queue: Value = agent.get("/agent/api/tickets?view=waiting").json().unwrap();
    let tickets = queue["tickets"].as_array().unwrap();
    assert_eq!(tickets.len(), 1, "{queue}");
    assert_eq!(tickets[0]["channel"], "line");
    assert_eq!(tickets[0]["reason"], "requested_person");
    let id = tickets[0]["id"].as_i64().unwrap();
    assert_eq!(
        agent
            .post(&format!("/agent/api/tickets/{id}/claim"), json!({}))
            .status(),
        200
    );
    // The user is told that a person took the conversation.
    let taken = &fake.wait_for("/v2/bot/message/push", 1)[0];
    assert_eq!(taken.body["to"], USER);
    assert!(
        line_text(taken).contains("担当者が対応を始めました"),
        "{}",
        line_text(taken)
    );
    let reply: Value = agent
        .post(
            &format!("/agent/api/tickets/{id}/reply"),
            json!({"text": "ご連絡ありがとうございます。<確認>いたします。"}),
        )
        .json()
        .unwrap();
    assert_eq!(reply["delivery"]["delivered"], true, "{reply}");
    let push = &fake.wait_for("/v2/bot/message/push", 2)[1];
    assert_eq!(push.body["to"], USER);
    assert_eq!(
        line_text(push),
        "【担当者からの返信】\nご連絡ありがとうございます。<確認>いたします。"
    );
    // A reply longer than one LINE message (emoji are two UTF-16 units each): split at
    // sentence ends, nothing lost, in one push.
    let long = long_reply();
    let reply: Value = agent
        .post(
            &format!("/agent/api/tickets/{id}/reply"),
            json!({"text": long}),
        )
        .json()
        .unwrap();
    assert_eq!(reply["delivery"]["delivered"], true, "{reply}");
    let push = &fake.wait_for("/v2/bot/message/push", 3)[2];
    let messages = push.body["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    for m in messages {
        let text = m["text"].as_str().unwrap();
        assert!(text.encode_utf16().count() <= 5000 && text.ends_with('。'));
    }
    assert_eq!(line_text(push), format!("【担当者からの返信】\n{long}"));

    // While the agent owns the conversation the bot is silent; the agent sees the message.
    post_line(
        &server,
        json!([text_event(
            "01HQ0000000000000000000022",
            "医療機関コードは1234567です"
        )]),
    );
    let ack = line_text(&fake.wait_for("/v2/bot/message/reply", 3)[2]);
    assert!(ack.contains("担当者にお伝えしました"), "{ack}");
    let detail: Value = agent
        .get(&format!("/agent/api/tickets/{id}"))
        .json()
        .unwrap();
    let last = detail["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["role"], "user", "the bot did not answer: {last}");
    assert_eq!(last["text"], "医療機関コードは1234567です");

    // Resolved: the bot answers on LINE again.
    assert_eq!(
        agent
            .post(
                &format!("/agent/api/tickets/{id}/resolve"),
                json!({"category": "申込み・締切"})
            )
            .status(),
        200
    );
    let done = line_text(&fake.wait_for("/v2/bot/message/push", 4)[3]);
    assert!(done.contains("担当者の対応が終わりました"), "{done}");
    post_line(
        &server,
        json!([text_event("01HQ0000000000000000000023", QUESTION)]),
    );
    let answer = line_text(&fake.wait_for("/v2/bot/message/reply", 4)[3]);
    assert!(answer.contains("3月31日"), "{answer}");

    // A second handoff; the user blocks the account before the agent replies: the agent
    // is told the reply did not reach them.
    post_line(
        &server,
        json!([line_event(
            "01HQ0000000000000000000024",
            "postback",
            json!({"postback": {"data": "handoff"}})
        )]),
    );
    fake.wait_for("/v2/bot/message/reply", 5);
    let queue: Value = agent.get("/agent/api/tickets?view=waiting").json().unwrap();
    let id = queue["tickets"][0]["id"].as_i64().unwrap();
    agent.post(&format!("/agent/api/tickets/{id}/claim"), json!({}));
    fake.wait_for("/v2/bot/message/push", 5);
    post_line(
        &server,
        json!([line_event(
            "01HQ0000000000000000000025",
            "unfollow",
            json!({})
        )]),
    );
    let reply: Value = agent
        .post(
            &format!("/agent/api/tickets/{id}/reply"),
            json!({"text": "お待たせしました。"}),
        )
        .json()
        .unwrap();
    assert_eq!(reply["delivery"]["delivered"], false, "{reply}");
    assert!(
        reply["delivery"]["error"]
            .as_str()
            .unwrap()
            .contains("left line"),
        "{reply}"
    );
    // Claimed, two replies, resolved, claimed again: nothing after the user left.
    assert_eq!(fake.calls("/v2/bot/message/push").len(), 5);
}

fn telegram_update(id: i64, chat: i64, text: &str) -> Value {
    json!({
        "update_id": id,
        "message": {
            "message_id": id,
            "date": 1_700_000_000,
            "chat": {"id": chat, "type": "private", "first_name": "花子"},
            "from": {"id": chat, "is_bot": false, "first_name": "花子"},
            "text": text,
        }
    })
}

fn post_telegram(
    server: &Server,
    secret: Option<&str>,
    update: &Value,
) -> reqwest::blocking::Response {
    let mut request = server
        .client
        .post(server.url("/channels/telegram/webhook"))
        .json(update);
    if let Some(s) = secret {
        request = request.header("x-telegram-bot-api-secret-token", s);
    }
    request.send().unwrap()
}

#[test]
fn telegram_webhook_checks_its_secret_and_answers_in_escaped_html() {
    let fake = Fake::start();
    let env = Env::new();
    let server = Server::start(
        &env,
        &[
            ("SHIKAKU_TELEGRAM_BOT_TOKEN", TELEGRAM_TOKEN),
            ("SHIKAKU_TELEGRAM_MODE", "webhook"),
            ("SHIKAKU_TELEGRAM_WEBHOOK_SECRET", TELEGRAM_SECRET),
            ("SHIKAKU_TELEGRAM_API_URL", fake.base.as_str()),
            ("SHIKAKU_PUBLIC_URL", PUBLIC_URL),
        ],
    );
    // At start it points Telegram at its webhook, with the secret Telegram must send.
    let set = &fake.wait_for("/setWebhook", 1)[0];
    assert!(
        set.path.starts_with(&format!("/bot{TELEGRAM_TOKEN}/")),
        "{}",
        set.path
    );
    let form = |name: &str, value: &str| {
        let field = format!("name=\"{name}\"");
        set.raw
            .split(&field)
            .nth(1)
            .is_some_and(|rest| rest.trim_start().starts_with(value))
    };
    assert!(
        form("url", &format!("{PUBLIC_URL}/channels/telegram/webhook")),
        "{}",
        set.raw
    );
    assert!(form("secret_token", TELEGRAM_SECRET), "{}", set.raw);

    let update = telegram_update(9001, 777, QUESTION);
    assert_eq!(post_telegram(&server, None, &update).status(), 401);
    assert_eq!(post_telegram(&server, Some("wrong"), &update).status(), 401);
    std::thread::sleep(Duration::from_millis(500));
    assert!(fake.calls("/sendMessage").is_empty());

    assert_eq!(
        post_telegram(&server, Some(TELEGRAM_SECRET), &update).status(),
        200
    );
    let sent = &fake.wait_for("/sendMessage", 1)[0];
    assert_eq!(sent.body["chat_id"], 777);
    assert_eq!(sent.body["parse_mode"], "HTML");
    let html = sent.body["text"].as_str().unwrap();
    let expected = widget_answer(&server, QUESTION);
    assert!(
        html.starts_with(
            &expected
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
        ),
        "{html}\nvs {expected}"
    );
    assert!(
        html.contains(&format!("<a href=\"{PUBLIC_URL}/kb/")),
        "sources are links: {html}"
    );
    // Telegram sends the update again: answered once.
    assert_eq!(
        post_telegram(&server, Some(TELEGRAM_SECRET), &update).status(),
        200
    );
    assert_eq!(
        post_telegram(
            &server,
            Some(TELEGRAM_SECRET),
            &telegram_update(9002, 777, "/help@ShikakuBot")
        )
        .status(),
        200
    );
    let sent = fake.wait_for("/sendMessage", 2);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(fake.calls("/sendMessage").len(), 2, "{sent:#?}");
    assert!(sent[1].body["text"].as_str().unwrap().contains("/operator"));
    // Not JSON of an update.
    assert_eq!(
        server
            .client
            .post(server.url("/channels/telegram/webhook"))
            .header("x-telegram-bot-api-secret-token", TELEGRAM_SECRET)
            .body("{")
            .send()
            .unwrap()
            .status(),
        400
    );
}

#[test]
fn telegram_long_polling_hands_over_and_delivers_the_agents_reply_escaped() {
    let fake = Fake::start();
    let env = Env::new();
    let db = Database::sqlite();
    add_user(&env, &db, "sato", "agent");
    let server = Server::start(
        &env,
        &[
            ("SHIKAKU_TELEGRAM_BOT_TOKEN", TELEGRAM_TOKEN),
            ("SHIKAKU_TELEGRAM_API_URL", fake.base.as_str()),
        ],
    );
    assert!(
        server
            .startup
            .iter()
            .any(|l| l.contains("Telegram: on (long polling")),
        "{:?}",
        server.startup
    );
    fake.wait_for("/deleteWebhook", 1);
    fake.queue_update(telegram_update(500, 4242, "/start"));
    fake.queue_update(telegram_update(501, 4242, QUESTION));
    let sent = fake.wait_for("/sendMessage", 2);
    let greeting = &sent[0].body;
    assert!(greeting["text"].as_str().unwrap().contains("シカク"));
    let keyboard = &greeting["reply_markup"]["keyboard"];
    assert!(
        keyboard.to_string().contains(QUESTION),
        "suggested questions as a keyboard: {greeting}"
    );
    assert!(sent[1].body["text"].as_str().unwrap().contains("3月31日"));
    // Without a public URL the sources are named, not linked.
    assert!(!sent[1].body["text"].as_str().unwrap().contains("<a href"));

    fake.queue_update(telegram_update(502, 4242, "/operator"));
    let confirmation = &fake.wait_for("/sendMessage", 3)[2];
    assert!(
        confirmation.body["text"]
            .as_str()
            .unwrap()
            .contains("引き継ぎを受け付けました")
    );
    // The polling moved past what it took: nothing was answered twice.
    let polls = fake.calls("/getUpdates");
    assert!(
        polls.iter().any(|p| p.body["offset"] == 503),
        "{:?}",
        polls.last()
    );
    assert_eq!(fake.calls("/sendMessage").len(), 3);

    let agent = Agent::sign_in(&server, "sato");
    let queue: Value = agent.get("/agent/api/tickets?view=waiting").json().unwrap();
    let ticket = &queue["tickets"][0];
    assert_eq!(ticket["channel"], "telegram");
    let id = ticket["id"].as_i64().unwrap();
    agent.post(&format!("/agent/api/tickets/{id}/claim"), json!({}));
    let taken = &fake.wait_for("/sendMessage", 4)[3];
    assert_eq!(taken.body["chat_id"], 4242);
    assert!(
        taken.body["text"]
            .as_str()
            .unwrap()
            .contains("担当者が対応を始めました"),
        "{}",
        taken.body
    );
    let reply: Value = agent
        .post(
            &format!("/agent/api/tickets/{id}/reply"),
            json!({"text": "A&B <b>太字ではありません</b>"}),
        )
        .json()
        .unwrap();
    assert_eq!(reply["delivery"]["delivered"], true, "{reply}");
    let pushed = &fake.wait_for("/sendMessage", 5)[4];
    assert_eq!(pushed.body["chat_id"], 4242);
    assert_eq!(pushed.body["parse_mode"], "HTML");
    assert_eq!(
        pushed.body["text"],
        "【担当者からの返信】\nA&amp;B &lt;b&gt;太字ではありません&lt;/b&gt;"
    );
    // Longer than one Telegram message: two, each within 4,096 units.
    let long = long_reply();
    agent.post(
        &format!("/agent/api/tickets/{id}/reply"),
        json!({"text": long}),
    );
    let sent = fake.wait_for("/sendMessage", 7);
    let texts: Vec<&str> = sent[5..]
        .iter()
        .map(|c| c.body["text"].as_str().unwrap())
        .collect();
    assert!(
        texts
            .iter()
            .all(|t| t.encode_utf16().count() <= 4096 && t.ends_with('。'))
    );
    assert_eq!(texts.concat(), format!("【担当者からの返信】\n{long}"));
}

/// An agent's reply within the console's 4,000 characters but over 5,000 UTF-16 units.
fn long_reply() -> String {
    "ご確認ありがとうございます🙇🙇🙇🙇🙇🙇🙇🙇🙇🙇。".repeat(160)
}

#[test]
fn channels_without_credentials_are_off_and_secrets_never_reach_the_log() {
    let env = Env::new();
    let server = Server::start(&env, &[]);
    for off in ["LINE: off", "Telegram: off"] {
        assert!(
            server.startup.iter().any(|l| l.starts_with(off)),
            "{off}: {:?}",
            server.startup
        );
    }
    assert_eq!(post_line(&server, json!([])).status(), 404);
    drop(server);

    // One LINE credential alone: the service refuses to start and names the other.
    let out = env
        .command()
        .args(["serve", "--addr", "127.0.0.1:0"])
        .env("SHIKAKU_LINE_CHANNEL_SECRET", LINE_SECRET)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        common::stderr(&out).contains("SHIKAKU_LINE_CHANNEL_ACCESS_TOKEN is missing"),
        "{}",
        common::stderr(&out)
    );

    // Every channel on, the log at its most detailed, failures included: no secret in it.
    let fake = Fake::start();
    let db = Database::sqlite();
    let log_path = env.data.path().join("serve.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut settings = line_env(&fake, &db);
    settings.extend([
        ("SHIKAKU_TELEGRAM_BOT_TOKEN", TELEGRAM_TOKEN),
        ("SHIKAKU_TELEGRAM_API_URL", "http://127.0.0.1:9"), // nothing listens: errors
        ("SHIKAKU_LOG", "debug"),
    ]);
    let server = Server::spawn_with_log(&env, &settings, log);
    post_line(
        &server,
        json!([text_event("01HQ0000000000000000000030", QUESTION)]),
    );
    fake.wait_for("/v2/bot/message/reply", 1);
    std::thread::sleep(Duration::from_secs(4)); // a few failed polls
    server.stop();
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        log.contains("getUpdates"),
        "the failures were logged: {log}"
    );
    for secret in [LINE_SECRET, LINE_TOKEN, TELEGRAM_TOKEN] {
        assert!(!log.contains(secret), "{secret} is in the log");
    }
}
