//! The agent console's API end to end, on SQLite and PostgreSQL: accounts, sign-in,
//! lockout, CSRF, roles, the queue, claim races, replies that reach the user's widget
//! live, notes, resolution, search and CSV.

use serde_json::{Value, json};

use crate::common::console::{
    Agent, PASSWORD, add_agent_shown_as, add_user, read_events, read_events_where,
};
use crate::common::{Database, Env, Server};

on_both_databases!(
    the_console_refuses_anyone_without_a_session_or_csrf_token,
    an_agent_takes_a_ticket_replies_live_and_resolves_it,
    two_agents_claiming_one_ticket_exactly_one_wins,
    parallel_sign_ins_never_check_more_than_five_passwords_before_the_lock,
    the_user_is_told_when_a_person_takes_and_leaves_and_a_resolved_conversation_starts_afresh,
    a_ticket_is_handed_on_given_back_and_reopened_and_the_clinics_history_is_shown,
    admins_keep_the_saved_replies_that_every_agent_reads,
);

/// Saved replies: an admin adds, changes and removes them; an agent reads them and may
/// not change them; a bad shortcut or text is a clear 422; a 12-digit number is removed.
fn admins_keep_the_saved_replies_that_every_agent_reads(db: &Database) {
    let env = Env::new();
    add_user(&env, db, "sato", "agent");
    add_user(&env, db, "kanri", "admin");
    let mut settings = db.env();
    settings.push(("SHIKAKU_RATE_LIMIT", "0"));
    let server = Server::start(&env, &settings);
    let admin = Agent::sign_in(&server, "kanri");
    let agent = Agent::sign_in(&server, "sato");
    let body = json!({"title": "確認中", "text": "確認いたします。少々お待ちください。"});
    let saved = admin.put("/agent/api/canned/kakunin", body.clone());
    assert_eq!(saved.status(), 200);
    assert_eq!(
        agent
            .put("/agent/api/canned/kakunin", body.clone())
            .status(),
        403
    );
    assert_eq!(agent.delete("/agent/api/canned/kakunin").status(), 403);
    for (path, body, code) in [
        (
            "/agent/api/canned/Kakunin",
            body.clone(),
            "invalid_shortcut",
        ),
        (
            "/agent/api/canned/%E7%A2%BA%E8%AA%8D",
            body.clone(),
            "invalid_shortcut",
        ),
        (
            "/agent/api/canned/x",
            json!({"title": " \u{200b}", "text": "本文"}),
            "invalid_text",
        ),
        (
            "/agent/api/canned/x",
            json!({"title": "題", "text": "a\u{1b}b"}),
            "invalid_text",
        ),
    ] {
        let refused = admin.put(path, body);
        assert_eq!(refused.status(), 422, "{path}");
        let error: Value = refused.json().unwrap();
        assert_eq!(error["error"]["code"], code, "{path}: {error}");
    }
    // Replaced, with a My Number in it: kept without the number.
    let changed = admin.put(
        "/agent/api/canned/kakunin",
        json!({"title": "確認中", "text": "番号 8731 4962 0587 を確認します。"}),
    );
    assert_eq!(changed.status(), 200);
    let listed: Value = agent.get("/agent/api/canned").json().unwrap();
    let all = listed["canned"].as_array().unwrap();
    assert_eq!(all.len(), 1, "{listed}");
    assert_eq!(all[0]["shortcut"], "kakunin");
    assert_eq!(all[0]["updated_by"], "kanri");
    let text = all[0]["text"].as_str().unwrap();
    assert!(
        !text.contains("0587") && text.contains("確認します"),
        "{text}"
    );
    assert_eq!(admin.delete("/agent/api/canned/kakunin").status(), 204);
    assert_eq!(admin.delete("/agent/api/canned/kakunin").status(), 404);
    let listed: Value = agent.get("/agent/api/canned").json().unwrap();
    assert_eq!(listed["canned"], json!([]));
}

/// A ticket as the console shows it, and the last message of its transcript.
fn ticket_and_last_message(agent: &Agent, id: i64) -> (Value, Value) {
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
    (detail, last)
}

/// Transfer to another agent (never to an editor or to a name no one has), give back to the
/// queue (the user is told to wait), reopen a resolved ticket (the user is told; refused
/// while the conversation has another open ticket), and the clinic's earlier tickets, by
/// 医療機関等コード, on the ticket.
fn a_ticket_is_handed_on_given_back_and_reopened_and_the_clinics_history_is_shown(db: &Database) {
    let env = Env::new();
    add_user(&env, db, "sato", "agent");
    add_user(&env, db, "tanaka", "agent");
    add_user(&env, db, "suzuki", "editor");
    let mut settings = db.env();
    settings.push(("SHIKAKU_RATE_LIMIT", "0"));
    let server = Server::start(&env, &settings);
    let first = waiting_conversation(&server, "山田クリニック");
    let sato = Agent::sign_in(&server, "sato");
    let tanaka = Agent::sign_in(&server, "tanaka");
    let queue: Value = sato.get("/agent/api/tickets?view=waiting").json().unwrap();
    let id = queue["tickets"][0]["id"].as_i64().unwrap();

    let agents: Value = sato.get("/agent/api/agents").json().unwrap();
    assert_eq!(agents["agents"], json!(["sato", "tanaka"]), "{agents}");
    assert_eq!(
        sato.post(&format!("/agent/api/tickets/{id}/claim"), json!({}))
            .status(),
        200
    );
    let path = |action: &str| format!("/agent/api/tickets/{id}/{action}");
    // Not to an editor, not to nobody; not by someone who does not own it.
    for to in ["suzuki", "nobody"] {
        assert_eq!(
            sato.post(&path("transfer"), json!({"to": to})).status(),
            409,
            "{to}"
        );
    }
    assert_eq!(
        tanaka
            .post(&path("transfer"), json!({"to": "tanaka"}))
            .status(),
        409
    );
    assert_eq!(
        sato.post(&path("transfer"), json!({"to": "tanaka"}))
            .status(),
        200
    );
    let detail: Value = tanaka
        .get(&format!("/agent/api/tickets/{id}"))
        .json()
        .unwrap();
    assert_eq!(detail["ticket"]["claimed_by"], "tanaka");
    assert_eq!(
        sato.post(&path("reply"), json!({"text": "佐藤です"}))
            .status(),
        409
    );

    // Given back: waiting, no owner, the user told; sato may claim it.
    assert_eq!(
        sato.post(&path("release"), json!({})).status(),
        409,
        "not sato's now"
    );
    assert_eq!(tanaka.post(&path("release"), json!({})).status(), 200);
    let (detail, last) = ticket_and_last_message(&sato, id);
    assert_eq!(detail["ticket"]["status"], "waiting");
    assert!(detail["ticket"]["claimed_by"].is_null());
    assert_eq!(last["role"], "system");
    assert!(
        last["text"]
            .as_str()
            .unwrap()
            .contains("担当者が交代します"),
        "{last}"
    );
    let r = server.post_json(
        "/api/v1/chat",
        &json!({"session_id": first, "message": "まだですか"}),
    );
    assert_eq!(r.status(), 202, "still for a person");

    // Resolved, then reopened: waiting again, the user told.
    assert_eq!(
        sato.post(&path("reopen"), json!({})).status(),
        409,
        "not resolved"
    );
    assert_eq!(sato.post(&path("claim"), json!({})).status(), 200);
    assert_eq!(
        sato.post(&path("resolve"), json!({"category": "その他"}))
            .status(),
        200
    );
    assert_eq!(sato.post(&path("reopen"), json!({})).status(), 200);
    let (detail, last) = ticket_and_last_message(&sato, id);
    assert_eq!(detail["ticket"]["status"], "waiting");
    assert!(detail["ticket"]["category"].is_null());
    assert!(
        last["text"].as_str().unwrap().contains("再開しました"),
        "{last}"
    );
    let r = server.post_json(
        "/api/v1/chat",
        &json!({"session_id": first, "message": "お願いします"}),
    );
    assert_eq!(r.status(), 202, "a person owns it again");

    // The same clinic writes again (another conversation, the same code): the new ticket
    // shows the first; a resolved ticket cannot be reopened beside an open one.
    let second = waiting_conversation(&server, "山田クリニック");
    let queue: Value = sato.get("/agent/api/tickets?view=waiting").json().unwrap();
    let newer = queue["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .max()
        .unwrap();
    let detail: Value = sato
        .get(&format!("/agent/api/tickets/{newer}"))
        .json()
        .unwrap();
    let earlier: Vec<i64> = detail["earlier"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(earlier, [id], "{detail}");
    assert_ne!(first, second);
    assert_eq!(sato.post(&path("claim"), json!({})).status(), 200);
    assert_eq!(
        sato.post(&path("resolve"), json!({"category": "その他"}))
            .status(),
        200
    );
    let handoff = server.post_json(
        "/api/v1/handoff",
        &json!({"session_id": first, "facility_name": "山田クリニック"}),
    );
    assert_eq!(handoff.status(), 201);
    let refused = sato.post(&path("reopen"), json!({}));
    assert_eq!(
        refused.status(),
        409,
        "another ticket of the conversation is open"
    );
}

/// The user is told, live, when an agent takes their conversation and when it is resolved
/// (both in the transcript); after the resolution the bot's earlier unhelpful answers no
/// longer count, so an answer is not met with the handoff offer again. (Before: nothing
/// was said, and every answer after a resolution came with the handoff form.) The user
/// rates the person's help on the notice that the ticket was resolved.
fn the_user_is_told_when_a_person_takes_and_leaves_and_a_resolved_conversation_starts_afresh(
    db: &Database,
) {
    let env = Env::new();
    add_user(&env, db, "sato", "agent");
    let mut settings = db.env();
    settings.push(("SHIKAKU_RATE_LIMIT", "0"));
    let server = Server::start(&env, &settings);
    let ask = |session: Option<&str>, message: &str| -> Value {
        let mut body = json!({"message": message});
        if let Some(s) = session {
            body["session_id"] = json!(s);
        }
        server.post_json("/api/v1/chat", &body).json().unwrap()
    };
    let first = ask(None, "レセコンの保守費用はいくらですか");
    assert_eq!(first["outcome"], "no_answer", "{first}");
    let session = first["session_id"].as_str().unwrap().to_string();
    let second = ask(Some(&session), "駐車場はありますか");
    assert_eq!(
        second["handoff"]["offer"], true,
        "offered after two: {second}"
    );
    let opened = server.post_json(
        "/api/v1/handoff",
        &json!({"session_id": session, "reason": "repeated_failure"}),
    );
    assert_eq!(opened.status(), 201);

    let agent = Agent::sign_in(&server, "sato");
    let queue: Value = agent.get("/agent/api/tickets?view=waiting").json().unwrap();
    let id = queue["tickets"][0]["id"].as_i64().unwrap();
    let events = || {
        let stream = server
            .client
            .get(server.url(&format!("/api/v1/sessions/{session}/events")))
            .send()
            .unwrap();
        let reader = first_message(stream);
        std::thread::sleep(std::time::Duration::from_millis(300));
        reader
    };
    let reader = events();
    let claimed = agent.post(&format!("/agent/api/tickets/{id}/claim"), json!({}));
    assert_eq!(claimed.status(), 200);
    let told = reader.join().unwrap();
    assert_eq!(told["role"], "system", "{told}");
    assert!(
        told["text"]
            .as_str()
            .unwrap()
            .contains("担当者が対応を始めました"),
        "{told}"
    );

    let reader = events();
    let resolved = agent.post(
        &format!("/agent/api/tickets/{id}/resolve"),
        json!({"category": "その他"}),
    );
    assert_eq!(resolved.status(), 200);
    let told = reader.join().unwrap();
    assert_eq!(told["role"], "system", "{told}");
    assert!(
        told["text"]
            .as_str()
            .unwrap()
            .contains("対応が終わりました"),
        "{told}"
    );

    // The user rates the person's help on the notice that closed the ticket, and only
    // there; the agent sees it on the ticket. A 👎 on a person is not the bot failing.
    assert_eq!(told["closes_ticket"], id, "{told}");
    let rate = |message: &Value, rating: &str| {
        server.post_json(
            "/api/v1/feedback",
            &json!({"session_id": session, "message_id": message["id"], "rating": rating,
                    "comment": "対応が遅かったです"}),
        )
    };
    let transcript: Value = server
        .client
        .get(server.url(&format!("/api/v1/sessions/{session}/messages")))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let claim_notice = transcript["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| {
            m["text"]
                .as_str()
                .is_some_and(|t| t.contains("担当者が対応を始めました"))
        })
        .unwrap();
    assert!(
        claim_notice.get("closes_ticket").is_none(),
        "{claim_notice}"
    );
    assert_eq!(rate(claim_notice, "down").status(), 404);
    let rated = rate(&told, "down");
    assert_eq!(rated.status(), 200);
    let rated: Value = rated.json().unwrap();
    assert!(rated.get("handoff").is_none(), "{rated}");
    let detail: Value = agent
        .get(&format!("/agent/api/tickets/{id}"))
        .json()
        .unwrap();
    assert_eq!(detail["ticket"]["help_rating"], "down", "{detail}");
    let closing = detail["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["closes_ticket"] == id)
        .unwrap();
    assert_eq!(closing["feedback"], "down");
    assert_eq!(closing["feedback_comment"], "対応が遅かったです");

    // Unhelpful again, once: no offer (two were before the resolution).
    let after = ask(Some(&session), "電子カルテの選び方を教えて");
    assert_eq!(after["outcome"], "no_answer", "{after}");
    assert!(
        after.get("handoff").is_none(),
        "offered again after the resolution: {after}"
    );
    let answered = ask(Some(&session), "カードリーダーの申込み締切は？");
    assert!(answered.get("handoff").is_none(), "{answered}");
    // A second unhelpful answer after the resolution offers a person again.
    let again = ask(Some(&session), "駐車場はありますか");
    assert_eq!(again["handoff"]["offer"], true, "{again}");

    let notices = server.notices(&session);
    assert_eq!(notices.len(), 3, "opened, taken, resolved: {notices:?}");
    assert!(
        notices[1].contains("担当者が対応を始めました")
            && notices[2].contains("対応が終わりました")
    );
}

/// 40 attempts at once, the right password among them: at most five passwords are checked
/// before the lock, every other attempt meets it (429), and once locked the right password
/// is refused too. (Before: 39 × 401, one 429, and the right password signed in.)
fn parallel_sign_ins_never_check_more_than_five_passwords_before_the_lock(db: &Database) {
    let env = Env::new();
    add_user(&env, db, "sato", "agent");
    let mut extra = db.env();
    extra.push(("SHIKAKU_RATE_LIMIT", "0"));
    let server = Server::start(&env, &extra);
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..40)
            .map(|i| {
                let server = &server;
                s.spawn(move || {
                    let password = if i == 20 { PASSWORD } else { "wrong password!" };
                    server
                        .post_json(
                            "/agent/api/login",
                            &json!({"name": "sato", "password": password}),
                        )
                        .status()
                        .as_u16()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let wrong_checked = statuses.iter().filter(|s| **s == 401).count();
    let locked = statuses.iter().filter(|s| **s == 429).count();
    let signed_in = statuses.iter().filter(|s| **s == 200).count();
    // Four wrong passwords answer 401 and the fifth locks (429). A right password among
    // the first five clears the count (as any sign-in does), and four more may follow.
    let most = if signed_in == 1 { 8 } else { 4 };
    assert!(
        wrong_checked <= most,
        "{wrong_checked} wrong passwords checked: {statuses:?}"
    );
    assert_eq!(wrong_checked + locked + signed_in, 40, "{statuses:?}");
    if !statuses.contains(&200) {
        let r = server.post_json(
            "/agent/api/login",
            &json!({"name": "sato", "password": PASSWORD}),
        );
        assert_eq!(r.status(), 429);
    }
}

/// Reads a widget's event stream on a thread until its first `message` event.
fn first_message(events: reqwest::blocking::Response) -> std::thread::JoinHandle<Value> {
    let messages = messages(events, 1);
    std::thread::spawn(move || messages.join().unwrap().remove(0))
}

/// The first `n` `message` events of a session's event stream.
fn messages(events: reqwest::blocking::Response, n: usize) -> std::thread::JoinHandle<Vec<Value>> {
    let events = read_events(events, n, Some("message"));
    std::thread::spawn(move || events.join().unwrap().into_iter().map(|(_, v)| v).collect())
}

/// A conversation handed to the call center; its session id.
pub(crate) fn waiting_conversation(server: &Server, facility: &str) -> String {
    let answer: Value = server
        .post_json(
            "/api/v1/chat",
            &json!({"message": "カードリーダーの申込み締切は？"}),
        )
        .json()
        .unwrap();
    let session = answer["session_id"].as_str().unwrap().to_string();
    let response = server.post_json(
        "/api/v1/handoff",
        &json!({"session_id": session, "facility_name": facility, "facility_code": "1234567", "reason": "requested_person"}),
    );
    assert_eq!(response.status(), 201);
    session
}

fn the_console_refuses_anyone_without_a_session_or_csrf_token(db: &Database) {
    let env = Env::new();
    add_user(&env, db, "sato", "agent");
    add_user(&env, db, "suzuki", "editor");
    add_user(&env, db, "admin", "admin");
    let server = Server::start(&env, &db.env());
    for path in [
        "/agent/api/tickets",
        "/agent/api/tickets/1",
        "/agent/api/tickets.csv",
        "/agent/api/users",
        "/agent/api/me",
    ] {
        assert_eq!(server.get(path).status(), 401, "{path}");
    }
    assert_eq!(
        server
            .post_json("/agent/api/tickets/1/claim", &json!({}))
            .status(),
        401
    );
    // A stolen-page request without the CSRF token is refused.
    let agent = Agent::sign_in(&server, "sato");
    let no_csrf = server
        .client
        .post(server.url("/agent/api/tickets/1/claim"))
        .header("cookie", &agent.cookie)
        .send()
        .unwrap();
    assert_eq!(no_csrf.status(), 403);
    // An agent is not an admin; an editor is not an agent.
    assert_eq!(agent.get("/agent/api/users").status(), 403);
    let admin = Agent::sign_in(&server, "admin");
    let users: Value = admin.get("/agent/api/users").json().unwrap();
    assert_eq!(users["users"].as_array().unwrap().len(), 3);
    let editor = Agent::sign_in(&server, "suzuki");
    assert_eq!(editor.get("/agent/api/tickets").status(), 403);
    // Signing out ends the session.
    assert_eq!(agent.post("/agent/api/logout", json!({})).status(), 200);
    assert_eq!(agent.get("/agent/api/tickets").status(), 401);
    // Five wrong passwords lock the account, even against the right one.
    for _ in 0..4 {
        let r = server.post_json(
            "/agent/api/login",
            &json!({"name": "sato", "password": "wrong password!"}),
        );
        assert_eq!(r.status(), 401);
    }
    let r = server.post_json(
        "/agent/api/login",
        &json!({"name": "sato", "password": "wrong password!"}),
    );
    assert_eq!(r.status(), 429);
    let r = server.post_json(
        "/agent/api/login",
        &json!({"name": "sato", "password": PASSWORD}),
    );
    assert_eq!(r.status(), 429);
    let locked: Value = r.json().unwrap();
    assert_eq!(locked["error"]["code"], "locked");
    // An unknown name looks like a wrong password, and locks as a real name does, with the
    // same answer: neither tells which names exist, nor when the lock ends.
    for _ in 0..4 {
        let r = server.post_json(
            "/agent/api/login",
            &json!({"name": "nobody", "password": PASSWORD}),
        );
        assert_eq!(r.status(), 401);
    }
    let r = server.post_json(
        "/agent/api/login",
        &json!({"name": "nobody", "password": PASSWORD}),
    );
    assert_eq!(r.status(), 429);
    let unknown_locked: Value = r.json().unwrap();
    assert_eq!(unknown_locked["error"], locked["error"], "{unknown_locked}");
    assert!(locked["error"]["detail"].is_null(), "{locked}");
    // The console page itself shows nothing but the sign-in form without a session.
    let page = server.get("/agent").text().unwrap();
    assert!(page.contains("login-form"));
}

fn an_agent_takes_a_ticket_replies_live_and_resolves_it(db: &Database) {
    let env = Env::new();
    // The user sees the agent's reply under the name the agent gives users, not the
    // sign-in name.
    add_agent_shown_as(&env, db, "sato", "佐藤");
    let server = Server::start(&env, &db.env());
    let session = waiting_conversation(&server, "山田クリニック");
    let agent = Agent::sign_in(&server, "sato");
    let queue: Value = agent.get("/agent/api/tickets?view=waiting").json().unwrap();
    let ticket = &queue["tickets"][0];
    assert_eq!(ticket["facility_name"], "山田クリニック");
    assert_eq!(ticket["reason"], "requested_person");
    assert!(ticket["age_seconds"].as_i64().unwrap() >= 0);
    let id = ticket["id"].as_i64().unwrap();
    let detail: Value = agent
        .get(&format!("/agent/api/tickets/{id}"))
        .json()
        .unwrap();
    assert_eq!(
        detail["messages"][0]["text"],
        "カードリーダーの申込み締切は？"
    );
    assert!(
        !detail["sources"].as_array().unwrap().is_empty(),
        "{detail}"
    );
    // Replying needs the ticket claimed first.
    let early = agent.post(
        &format!("/agent/api/tickets/{id}/reply"),
        json!({"text": "お待たせしました"}),
    );
    assert_eq!(early.status(), 409);
    assert_eq!(
        agent
            .post(&format!("/agent/api/tickets/{id}/claim"), json!({}))
            .status(),
        200
    );
    let mine: Value = agent.get("/agent/api/tickets?view=mine").json().unwrap();
    assert_eq!(mine["tickets"][0]["claimed_by"], "sato");

    // The user's widget listens on the session's event stream; the reply arrives there.
    let events = server
        .client
        .get(server.url(&format!("/api/v1/sessions/{session}/events")))
        .send()
        .unwrap();
    assert_eq!(events.status(), 200);
    // The claim's notice may still arrive (on PostgreSQL through LISTEN, after the claim
    // answered): the reply is the first message an agent wrote.
    let reader = read_events_where(events, 1, |name, m| {
        name == "message" && m["role"] == "agent"
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    let reply = agent.post(
        &format!("/agent/api/tickets/{id}/reply"),
        json!({"text": "お待たせしました。申請書を再送します。"}),
    );
    assert_eq!(reply.status(), 201);
    let received = reader.join().unwrap().remove(0).1;
    assert_eq!(received["text"], "お待たせしました。申請書を再送します。");
    assert_eq!(received["author"], "佐藤", "{received}");
    let transcript: Value = server
        .get(&format!("/api/v1/sessions/{session}/messages"))
        .json()
        .unwrap();
    let stored = transcript["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "agent")
        .unwrap();
    assert_eq!(stored["author"], "佐藤", "{transcript}");
    // The user's messages meanwhile are for the agent.
    let r = server.post_json(
        "/api/v1/chat",
        &json!({"session_id": session, "message": "ありがとうございます"}),
    );
    assert_eq!(r.status(), 202);

    assert_eq!(
        agent
            .post(
                &format!("/agent/api/tickets/{id}/notes"),
                json!({"text": "再送手配済み"})
            )
            .status(),
        201
    );
    let bad = agent.post(
        &format!("/agent/api/tickets/{id}/resolve"),
        json!({"category": "謎"}),
    );
    assert_eq!(bad.status(), 422);
    assert_eq!(
        agent
            .post(
                &format!("/agent/api/tickets/{id}/resolve"),
                json!({"category": "申込み・締切"})
            )
            .status(),
        200
    );
    // Resolved: the bot answers again.
    let again: Value = server
        .post_json(
            "/api/v1/chat",
            &json!({"session_id": session, "message": "カードリーダーの申込み締切は？"}),
        )
        .json()
        .unwrap();
    assert!(
        again["answer"].as_str().unwrap().contains("3月31日"),
        "{again}"
    );
    let detail: Value = agent
        .get(&format!("/agent/api/tickets/{id}"))
        .json()
        .unwrap();
    assert_eq!(detail["ticket"]["status"], "resolved");
    assert_eq!(detail["notes"][0]["text"], "再送手配済み");
    // Search and CSV.
    let found: Value = agent
        .get("/agent/api/tickets?view=all&q=%E5%B1%B1%E7%94%B0")
        .json()
        .unwrap();
    assert_eq!(found["tickets"].as_array().unwrap().len(), 1);
    let none: Value = agent
        .get("/agent/api/tickets?view=all&q=zzz")
        .json()
        .unwrap();
    assert_eq!(none["tickets"].as_array().unwrap().len(), 0);
    let csv = agent.get("/agent/api/tickets.csv").text().unwrap();
    assert!(
        csv.contains("\"山田クリニック\"") && csv.contains("\"申込み・締切\""),
        "{csv}"
    );
}

fn two_agents_claiming_one_ticket_exactly_one_wins(db: &Database) {
    let env = Env::new();
    add_user(&env, db, "sato", "agent");
    add_user(&env, db, "tanaka", "agent");
    let server = Server::start(&env, &db.env());
    for round in 0..5 {
        waiting_conversation(&server, &format!("クリニック{round}"));
    }
    let a = Agent::sign_in(&server, "sato");
    let b = Agent::sign_in(&server, "tanaka");
    let queue: Value = a.get("/agent/api/tickets?view=waiting").json().unwrap();
    for ticket in queue["tickets"].as_array().unwrap() {
        let id = ticket["id"].as_i64().unwrap();
        let path = format!("/agent/api/tickets/{id}/claim");
        let (ra, rb) = std::thread::scope(|s| {
            let ta = s.spawn(|| a.post(&path, json!({})).status().as_u16());
            let tb = s.spawn(|| b.post(&path, json!({})).status().as_u16());
            (ta.join().unwrap(), tb.join().unwrap())
        });
        let mut statuses = [ra, rb];
        statuses.sort();
        assert_eq!(statuses, [200, 409], "ticket {id}");
    }
}

/// Several instances on one PostgreSQL database: a reply written on one reaches a widget
/// connected to another (LISTEN/NOTIFY).
#[test]
fn a_reply_on_one_instance_reaches_a_widget_on_another() {
    let db = Database::postgres();
    let env_a = Env::new();
    let env_b = Env::new();
    add_user(&env_a, &db, "sato", "agent");
    let a = Server::start(&env_a, &db.env());
    let b = Server::start(&env_b, &db.env());
    let session = waiting_conversation(&b, "二台目クリニック");
    let events = b
        .client
        .get(b.url(&format!("/api/v1/sessions/{session}/events")))
        .send()
        .unwrap();
    let reader = messages(events, 2);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let agent = Agent::sign_in(&a, "sato");
    let queue: Value = agent.get("/agent/api/tickets?view=waiting").json().unwrap();
    let id = queue["tickets"][0]["id"].as_i64().unwrap();
    assert_eq!(
        agent
            .post(&format!("/agent/api/tickets/{id}/claim"), json!({}))
            .status(),
        200
    );
    let reply = agent.post(
        &format!("/agent/api/tickets/{id}/reply"),
        json!({"text": "別のサーバーから返信します"}),
    );
    assert_eq!(reply.status(), 201);
    // The notice that a person took the conversation, then the reply: both from the other
    // instance.
    let received = reader.join().unwrap();
    assert_eq!(received[0]["role"], "system", "{received:?}");
    assert_eq!(received[1]["text"], "別のサーバーから返信します");
}
