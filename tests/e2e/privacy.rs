//! A My Number is never kept: every form of twelve digits, through every entry point where
//! text comes in, and then the database files and the service's log are scanned for it.

use serde_json::{Value, json};

use crate::common::console::{Agent, add_user};
use crate::common::{Database, Env, Server};

/// One number, 8731 4962 0587, as people type it (the test looks for its middle group).
const FORMS: &[&str] = &[
    "873149620587",
    "8731-4962-0587",
    "8731ー4962ー0587",
    "8731.4962.0587",
    "8731/4962/0587",
    "8731–4962–0587",
    "8731\t4962\t0587",
    "8731\n4962\n0587",
    "(8731)4962-0587",
    "873 149 620 587",
    "8 7 3 1 4 9 6 2 0 5 8 7",
    "八七三一四九六二〇五八七",
    "٨٧٣١٤٩٦٢٠٥٨٧",
    "８７３１－４９６２－０５８７",
    // What only looks different (issue 26): other separators, invisible characters, digits
    // of other scripts.
    "8731、4962、0587",
    "8731\u{200B}4962\u{200B}0587",
    "8731\u{00AD}4962\u{00AD}0587",
    "8731〜4962〜0587",
    "8731:4962:0587",
    "8731    4962    0587",
    "៨៧៣១៤៩៦២០៥៨៧",
    "𝟖𝟕𝟑𝟏𝟒𝟗𝟔𝟐𝟎𝟓𝟖𝟕",
];

/// Eight of its digits in a row, once digits of any script are read as ASCII and the
/// separators between them dropped: none may be left anywhere.
const NEEDLES: &[&str] = &["87314962", "49620587"];

/// A text's digits in ASCII with separators dropped (anything else stands as `|`); JSON's
/// escaped line breaks, tabs and \uXXXX escapes are read first.
fn digits_only(text: &str) -> String {
    let text = text.replace("\\n", " ").replace("\\t", " ");
    let text = unescape_json_u(&text);
    text.chars()
        .filter_map(|c| {
            let from = |zero: char| Some(c as u32 - zero as u32);
            let digit = match c {
                '0'..='9' => from('0'),
                '０'..='９' => from('０'),
                '٠'..='٩' => from('٠'),
                '០'..='៩' => from('០'),
                '𝟎'..='𝟗' => from('𝟎'),
                '〇' => Some(0),
                _ => "一二三四五六七八九"
                    .chars()
                    .position(|k| k == c)
                    .map(|i| i as u32 + 1),
            };
            match digit {
                Some(d) => char::from_digit(d, 10),
                None if c.is_whitespace()
                    || "-ー–－.・/()（）、〜:\u{200B}\u{00AD}".contains(c) =>
                {
                    None
                }
                None => Some('|'),
            }
        })
        .collect()
}

/// `\uXXXX` escapes (as JSON may write a character) read as the characters.
fn unescape_json_u(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("\\u") {
        out.push_str(&rest[..at]);
        let hex = rest.get(at + 2..at + 6).unwrap_or_default();
        match u32::from_str_radix(hex, 16).ok().and_then(char::from_u32) {
            Some(c) if hex.len() == 4 => {
                out.push(c);
                rest = &rest[at + 6..];
            }
            _ => {
                out.push_str("\\u");
                rest = &rest[at + 2..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn holds_the_number(text: &str) -> Option<&'static str> {
    let digits = digits_only(text);
    NEEDLES.iter().copied().find(|n| digits.contains(n))
}

#[test]
fn no_form_of_a_my_number_is_stored_logged_or_echoed() {
    let env = Env::new();
    let db = Database::sqlite();
    add_user(&env, &db, "sato", "agent");
    add_user(&env, &db, "suzuki", "editor");
    let log_path = env.data.path().join("serve.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let server = Server::spawn_with_log(
        &env,
        &[("SHIKAKU_LOG", "debug"), ("SHIKAKU_RATE_LIMIT", "0")],
        log,
    );
    let agent = Agent::sign_in(&server, "sato");
    let editor = Agent::sign_in(&server, "suzuki");
    let echoed = |what: &str, body: &str| {
        assert_eq!(holds_the_number(body), None, "{what} echoed it: {body}");
    };
    for form in FORMS {
        // Chat, and the stream.
        let response = server.post_json(
            "/api/v1/chat",
            &json!({"message": format!("私の番号は{form}です")}),
        );
        assert_eq!(response.status(), 200);
        let answer: Value = response.json().unwrap();
        echoed("chat", &answer.to_string());
        assert!(
            answer["answer"].as_str().unwrap().contains("削除しました"),
            "the user is told: {answer}"
        );
        let session = answer["session_id"].as_str().unwrap().to_string();
        let stream = server
            .client
            .post(server.url("/api/v1/chat/stream"))
            .json(&json!({"session_id": session, "message": format!("番号 {form}")}))
            .send()
            .unwrap()
            .text()
            .unwrap();
        echoed("the stream", &stream);
        // Feedback on the answer, with the number in the comment.
        let feedback = server.post_json(
            "/api/v1/feedback",
            &json!({"session_id": session, "message_id": answer["message_id"], "rating": "down", "comment": format!("番号{form}")}),
        );
        assert!(feedback.status().is_success(), "{:?}", feedback.text());
        // A contact with the number is refused; free text loses it.
        let refused = server.post_json(
            "/api/v1/handoff",
            &json!({"session_id": session, "contact": form}),
        );
        assert_eq!(refused.status(), 422);
        echoed("a refused handoff", &refused.text().unwrap());
        let handoff = server.post_json(
            "/api/v1/handoff",
            &json!({"session_id": session, "facility_name": format!("山田医院{form}"), "question": format!("番号{form}の件")}),
        );
        assert_eq!(handoff.status(), 201);
        let handoff: Value = handoff.json().unwrap();
        echoed("the handoff", &handoff.to_string());
        assert!(
            handoff["message"]
                .as_str()
                .unwrap()
                .contains("削除しました"),
            "{handoff}"
        );
        // The agent claims, replies and notes with the number.
        let id = handoff["ticket_id"].as_i64().unwrap();
        let claimed = agent.post(&format!("/agent/api/tickets/{id}/claim"), json!({}));
        assert_eq!(claimed.status(), 200);
        let reply = agent.post(
            &format!("/agent/api/tickets/{id}/reply"),
            json!({"text": format!("番号{form}を確認しました")}),
        );
        assert_eq!(reply.status(), 201);
        let note = agent.post(
            &format!("/agent/api/tickets/{id}/notes"),
            json!({"text": format!("番号{form}")}),
        );
        assert_eq!(note.status(), 201);
        let detail = agent
            .get(&format!("/agent/api/tickets/{id}"))
            .text()
            .unwrap();
        echoed("the ticket", &detail);
        // A tag holding it is refused without naming it.
        let tagged = agent.put(
            &format!("/agent/api/tickets/{id}/labels"),
            json!({"priority": "normal", "tags": [format!("番号{form}")]}),
        );
        assert_eq!(tagged.status(), 422);
        echoed("a refused tag", &tagged.text().unwrap());
        let resolved = agent.post(
            &format!("/agent/api/tickets/{id}/resolve"),
            json!({"category": "申込み・締切"}),
        );
        assert!(resolved.status().is_success(), "{:?}", resolved.text());
        // A sign-in under it: an unknown name is counted under its keyed hash.
        let login = server.post_json(
            "/agent/api/login",
            &json!({"name": format!("sato{form}"), "password": "wrong password"}),
        );
        assert_eq!(login.status(), 401);
        echoed("a refused sign-in", &login.text().unwrap());
        // An editor's draft or an imported file holding it is refused, the line named: a
        // published page is shown to everyone.
        let draft = editor.put(
            "/admin/api/documents/faq/number.md",
            json!({"text": format!("+++\nid = \"faq-number\"\n+++\n番号は{form}です\n")}),
        );
        assert_eq!(draft.status(), 422, "{form:?}");
        let draft: Value = draft.json().unwrap();
        assert_eq!(draft["error"]["code"], "personal_number", "{draft}");
        assert!(
            draft["error"]["message"]
                .as_str()
                .unwrap()
                .contains("4行目"),
            "{draft}"
        );
        echoed("a refused draft", &draft.to_string());
        let imported = server
            .client
            .post(server.url("/admin/api/import?name=notice.txt"))
            .header("cookie", &editor.cookie)
            .header("x-csrf-token", &editor.csrf)
            .body(format!("お知らせ\n\n1 概要\n\n番号は{form}です。\n"))
            .send()
            .unwrap();
        assert_eq!(imported.status(), 422, "{form:?}");
        echoed("a refused import", &imported.text().unwrap());
    }
    // A number where the API wants text: the parser's complaint does not quote it.
    let typed = server.post_json("/api/v1/chat", &json!({"message": 873149620587u64}));
    assert_eq!(typed.status(), 422);
    echoed("a JSON type error", &typed.text().unwrap());
    let drafts: Value = editor
        .get("/admin/api/documents?q=faq-number")
        .json()
        .unwrap();
    assert_eq!(drafts["documents"], json!([]), "nothing was stored");
    // A caller's request id of twelve digits is not logged.
    let response = server
        .client
        .get(server.url("/healthz"))
        .header("x-request-id", "873149620587")
        .send()
        .unwrap();
    assert_ne!(
        response.headers()["x-request-id"].to_str().unwrap(),
        "873149620587"
    );
    echoed(
        "the ticket CSV",
        &agent.get("/agent/api/tickets.csv").text().unwrap(),
    );
    server.stop();

    let mut scanned = 0;
    for entry in std::fs::read_dir(env.data.path()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.starts_with("shikaku.db") || name == "serve.log" {
            let bytes = std::fs::read(&path).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            assert_eq!(holds_the_number(&text), None, "{name} holds it");
            scanned += 1;
        }
    }
    assert!(scanned >= 2, "the database and the log were scanned");
}

#[test]
fn numbers_stored_by_earlier_versions_are_removed_at_start() {
    let env = Env::new();
    let server = Server::start(&env, &[]);
    let answer: Value = server
        .post_json("/api/v1/chat", &json!({"message": "締切はいつですか"}))
        .json()
        .unwrap();
    let session = answer["session_id"].as_str().unwrap().to_string();
    drop(server);
    // What an earlier version kept: the number as typed, and no record of the clean-up.
    let db = env.data.path().join("shikaku.db");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let url = format!("sqlite://{}", db.display());
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        sqlx::query("UPDATE messages SET text = '番号は8731ー4962ー0587です' WHERE role = 'user'")
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("DELETE FROM maintenance")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    });

    let server = Server::start(&env, &[]);
    let transcript: Value = server
        .get(&format!("/api/v1/sessions/{session}/messages"))
        .json()
        .unwrap();
    let asked = transcript["messages"][0]["text"].as_str().unwrap();
    assert_eq!(asked, "番号は［番号削除］です", "{transcript}");
    drop(server);
    for entry in std::fs::read_dir(env.data.path()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.starts_with("shikaku.db") {
            let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).to_string();
            assert_eq!(holds_the_number(&text), None, "{name} still holds it");
        }
    }
}
