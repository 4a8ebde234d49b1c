//! The agent console's desk, end to end on SQLite and PostgreSQL: its live events (a ticket
//! opened, claimed, labelled; a user writing in a conversation an agent owns) over
//! Server-Sent Events, on one instance and across two; and tickets' priority and tags.

use serde_json::{Value, json};

use crate::agent::waiting_conversation;
use crate::common::console::{Agent, add_user, read_events};
use crate::common::{Database, Env, Server};

on_both_databases!(
    the_desk_hears_tickets_opened_claimed_and_labelled_and_users_writing,
    priority_orders_the_waiting_queue_and_tags_are_checked_and_searched,
    a_desk_stream_ends_with_its_session,
);

/// The first `n` events of a desk stream, as (name, data).
fn desk_events(agent: &Agent, n: usize) -> std::thread::JoinHandle<Vec<(String, Value)>> {
    let stream = agent.get("/agent/api/events");
    assert_eq!(stream.status(), 200);
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    read_events(stream, n, None)
}

fn the_desk_hears_tickets_opened_claimed_and_labelled_and_users_writing(db: &Database) {
    let env = Env::new();
    add_user(&env, db, "sato", "agent");
    let server = Server::start(&env, &db.env());
    // Without a session there is no stream.
    assert_eq!(server.get("/agent/api/events").status(), 401);
    let agent = Agent::sign_in(&server, "sato");
    let heard = desk_events(&agent, 4);

    let session = waiting_conversation(&server, "山田クリニック");
    let queue: Value = agent.get("/agent/api/tickets?view=waiting").json().unwrap();
    let id = queue["tickets"][0]["id"].as_i64().unwrap();
    let claim = agent.post(&format!("/agent/api/tickets/{id}/claim"), json!({}));
    assert_eq!(claim.status(), 200);
    let wrote = server.post_json(
        "/api/v1/chat",
        &json!({"session_id": session, "message": "補助金の申請もお願いできますか"}),
    );
    // Accepted for the agent; the bot stays silent.
    assert_eq!(wrote.status(), 202);
    let labelled = agent.put(
        &format!("/agent/api/tickets/{id}/labels"),
        json!({"priority": "high", "tags": ["補助金"]}),
    );
    assert_eq!(labelled.status(), 200);

    let heard = heard.join().unwrap();
    let expected = [
        (
            "ticket",
            json!({"kind": "ticket", "ticket": id, "claimed_by": null}),
        ),
        (
            "ticket",
            json!({"kind": "ticket", "ticket": id, "claimed_by": "sato"}),
        ),
        (
            "message",
            json!({"kind": "message", "ticket": id, "claimed_by": "sato"}),
        ),
        (
            "ticket",
            json!({"kind": "ticket", "ticket": id, "claimed_by": "sato"}),
        ),
    ];
    let expected: Vec<(String, Value)> = expected
        .into_iter()
        .map(|(n, v)| (n.to_string(), v))
        .collect();
    assert_eq!(heard, expected);

    // The user's message is in the ticket, and the queue previews it.
    let mine: Value = agent.get("/agent/api/tickets?view=mine").json().unwrap();
    assert_eq!(
        mine["tickets"][0]["last_user_message"],
        "補助金の申請もお願いできますか"
    );
}

fn priority_orders_the_waiting_queue_and_tags_are_checked_and_searched(db: &Database) {
    let env = Env::new();
    add_user(&env, db, "sato", "agent");
    let server = Server::start(&env, &db.env());
    waiting_conversation(&server, "一番目クリニック");
    waiting_conversation(&server, "二番目薬局");
    let agent = Agent::sign_in(&server, "sato");
    let ids = |view: &str| -> Vec<i64> {
        let q: Value = agent
            .get(&format!("/agent/api/tickets?{view}"))
            .json()
            .unwrap();
        q["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_i64().unwrap())
            .collect()
    };
    let waiting = ids("view=waiting");
    assert_eq!(waiting.len(), 2);
    let (first, second) = (waiting[0], waiting[1]);
    assert!(first < second, "oldest first: {waiting:?}");

    // The second made urgent comes first; tags are trimmed and kept once.
    let r = agent.put(
        &format!("/agent/api/tickets/{second}/labels"),
        json!({"priority": "urgent", "tags": [" 補助金 ", "再連絡", "補助金"]}),
    );
    assert_eq!(r.status(), 200);
    let labels: Value = r.json().unwrap();
    assert_eq!(
        labels,
        json!({"priority": "urgent", "tags": ["補助金", "再連絡"]})
    );
    assert_eq!(ids("view=waiting"), [second, first]);
    let detail: Value = agent
        .get(&format!("/agent/api/tickets/{second}"))
        .json()
        .unwrap();
    assert_eq!(detail["ticket"]["priority"], "urgent");
    assert_eq!(detail["ticket"]["tags"], json!(["補助金", "再連絡"]));
    // The search finds a tag.
    assert_eq!(ids("view=all&q=再連絡"), [second]);
    // Low goes after normal.
    let r = agent.put(
        &format!("/agent/api/tickets/{second}/labels"),
        json!({"priority": "low", "tags": []}),
    );
    assert_eq!(r.status(), 200);
    assert_eq!(ids("view=waiting"), [first, second]);

    // Bad labels get a clear error naming what is wrong; nothing changes.
    for (body, status, says) in [
        (json!({"priority": "soon", "tags": []}), 422, "soon"),
        (
            json!({"priority": "high", "tags": ["再 連絡"]}),
            422,
            "「再 連絡」",
        ),
        (
            json!({"priority": "high", "tags": ["123456789012"]}),
            422,
            "12桁",
        ),
        // Nine are one over the limit of eight, even when they are the same tag; the
        // same tag twice within the limit is kept once.
        (
            json!({"priority": "high", "tags": vec!["あ"; 9]}),
            422,
            "8個まで",
        ),
        (json!({"priority": "high", "tags": ["あ", " あ "]}), 200, ""),
        (
            json!({"priority": "high", "tags": ["a", "b", "c", "d", "e", "f", "g", "h", "i"]}),
            422,
            "8個まで",
        ),
    ] {
        let r = agent.put(&format!("/agent/api/tickets/{first}/labels"), body.clone());
        assert_eq!(r.status(), status, "{body}");
        let text = r.text().unwrap();
        assert!(text.contains(says), "{body}: {text}");
    }
    let detail: Value = agent
        .get(&format!("/agent/api/tickets/{first}"))
        .json()
        .unwrap();
    assert_eq!(detail["ticket"]["tags"], json!(["あ"]));
    assert!(!detail.to_string().contains("123456789012"));
    let unknown = agent.put(
        "/agent/api/tickets/999999/labels",
        json!({"priority": "high", "tags": []}),
    );
    assert_eq!(unknown.status(), 404);
    let no_csrf = server
        .client
        .put(server.url(&format!("/agent/api/tickets/{first}/labels")))
        .header("cookie", &agent.cookie)
        .json(&json!({"priority": "high", "tags": []}))
        .send()
        .unwrap();
    assert_eq!(no_csrf.status(), 403);
}

/// Several instances on one PostgreSQL database: a ticket opened on one is heard by a
/// console connected to another (LISTEN/NOTIFY).
#[test]
fn a_ticket_opened_on_one_instance_is_heard_by_a_console_on_another() {
    let db = Database::postgres();
    let (env_a, env_b) = (Env::new(), Env::new());
    add_user(&env_a, &db, "sato", "agent");
    let a = Server::start(&env_a, &db.env());
    let b = Server::start(&env_b, &db.env());
    let agent = Agent::sign_in(&a, "sato");
    let heard = desk_events(&agent, 1);
    waiting_conversation(&b, "二台目クリニック");
    let (name, event) = heard.join().unwrap().remove(0);
    assert_eq!(name, "ticket");
    assert_eq!(event["kind"], "ticket");
    assert_eq!(event["claimed_by"], Value::Null);
}

/// A user who writes in English is told in English that the request was received (with
/// the call center's number and hours), that a person took the conversation and that they
/// finished; a Japanese user in Japanese.
#[test]
fn the_user_is_told_in_the_language_they_write() {
    let db = Database::sqlite();
    let env = Env::new();
    add_user(&env, &db, "sato", "agent");
    let server = Server::start(&env, &db.env());
    let asked: Value = server
        .post_json(
            "/api/v1/chat",
            &json!({"message": "How many card readers can a clinic get?"}),
        )
        .json()
        .unwrap();
    let session = asked["session_id"].as_str().unwrap();
    let handed: Value = server
        .post_json(
            "/api/v1/handoff",
            &json!({"session_id": session, "reason": "button"}),
        )
        .json()
        .unwrap();
    let confirmation = handed["message"].as_str().unwrap();
    assert!(
        confirmation.starts_with("Your request for a person has been received.")
            && confirmation.contains("0800-0804583"),
        "{confirmation}"
    );
    let agent = Agent::sign_in(&server, "sato");
    let id = handed["ticket_id"].as_i64().unwrap();
    assert_eq!(
        agent
            .post(&format!("/agent/api/tickets/{id}/claim"), json!({}))
            .status(),
        200
    );
    let resolved = agent.post(
        &format!("/agent/api/tickets/{id}/resolve"),
        json!({"category": "その他"}),
    );
    assert_eq!(resolved.status(), 200);
    let told = server.notices(session);
    assert_eq!(told.len(), 3, "{told:?}");
    assert!(
        told[1].starts_with("A member of staff has taken up"),
        "{told:?}"
    );
    assert!(
        told[2].starts_with("The member of staff has finished"),
        "{told:?}"
    );

    // In Japanese for a Japanese question.
    let session = waiting_conversation(&server, "日本語クリニック");
    let told = server.notices(&session);
    assert!(
        told[0].starts_with("担当者への引き継ぎを受け付けました"),
        "{told:?}"
    );
}

/// An open desk stream ends when its session does — signed out, the account disabled, its
/// password reset — and hears nothing more. (Before, it went on receiving every ticket.)
fn a_desk_stream_ends_with_its_session(db: &Database) {
    use std::io::{BufRead, BufReader};
    use std::time::{Duration, Instant};
    let env = Env::new();
    add_user(&env, db, "sato", "agent");
    add_user(&env, db, "kanri", "admin");
    let server = Server::start(&env, &db.env());
    let admin = Agent::sign_in(&server, "kanri");
    type Ending<'a> = (&'a str, Box<dyn Fn(&Agent) + 'a>);
    let endings: Vec<Ending> = vec![
        (
            "signed out",
            Box::new(|agent: &Agent| {
                assert_eq!(agent.post("/agent/api/logout", json!({})).status(), 200);
            }),
        ),
        (
            "disabled",
            Box::new(|_: &Agent| {
                let off = admin.put("/agent/api/users/sato/disabled", json!({"disabled": true}));
                assert_eq!(off.status(), 200);
                let on = admin.put("/agent/api/users/sato/disabled", json!({"disabled": false}));
                assert_eq!(on.status(), 200);
            }),
        ),
        (
            // Last: the agent's password is then one the test does not know.
            "password reset",
            Box::new(|_: &Agent| {
                let reset = admin.post("/agent/api/users/sato/password", json!({}));
                assert_eq!(reset.status(), 200);
            }),
        ),
    ];
    for (how, end) in &endings {
        let agent = Agent::sign_in(&server, "sato");
        let stream = agent.get("/agent/api/events");
        assert_eq!(stream.status(), 200, "{how}");
        let reader = std::thread::spawn(move || {
            let mut names = Vec::new();
            for line in BufReader::new(stream).lines() {
                match line {
                    Ok(line) => {
                        if let Some(name) = line.strip_prefix("event:") {
                            names.push(name.trim().to_string());
                        }
                    }
                    Err(_) => break,
                }
            }
            names
        });
        end(&agent);
        // Something happens at the desk: the ended session must not hear of it.
        waiting_conversation(&server, &format!("{how}クリニック"));
        let started = Instant::now();
        while !reader.is_finished() {
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "{how}: the stream is still open"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let heard = reader.join().unwrap();
        assert!(
            heard.is_empty(),
            "{how}: heard {heard:?} after its session ended"
        );
    }
}
