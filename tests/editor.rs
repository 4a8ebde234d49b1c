//! The editor console's API end to end: drafts checked as typed, the try-it panel on the
//! drafts, publishing while questions keep being answered, a refused publish, rollback,
//! roles, the command line's import and export, several instances on PostgreSQL, and what
//! users could not get answered.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::console::{Agent, add_user};
use common::{Database, Env, Server};
use serde_json::{Value, json};

on_both_databases!(
    an_edit_is_tried_then_published_while_questions_keep_being_answered,
    a_document_with_problems_cannot_be_published_and_rollback_restores,
);

const QUESTION: &str = "コールセンターの電話番号は？";
const FAQ: &str = "faq/call-center.md";
const ADDED: &str = "（お電話の前に医療機関等コードをご用意ください。）";

fn answer(server: &Server, question: &str) -> Value {
    let response = server.post_json("/api/v1/chat", &json!({"message": question}));
    assert_eq!(response.status(), 200);
    response.json().unwrap()
}

fn no_limit(db: &Database) -> Vec<(&str, &str)> {
    let mut env = db.env();
    env.push(("SHIKAKU_RATE_LIMIT", "0"));
    env
}

fn put(editor: &Agent, path: &str, text: &str) -> reqwest::blocking::Response {
    editor
        .server
        .client
        .put(editor.server.url(&format!("/admin/api/documents/{path}")))
        .header("cookie", &editor.cookie)
        .header("x-csrf-token", &editor.csrf)
        .json(&json!({ "text": text }))
        .send()
        .unwrap()
}

fn draft(editor: &Agent, path: &str) -> String {
    let doc: Value = editor
        .get(&format!("/admin/api/documents/{path}"))
        .json()
        .unwrap();
    doc["text"].as_str().unwrap().to_string()
}

fn an_edit_is_tried_then_published_while_questions_keep_being_answered(db: &Database) {
    let env = Env::new();
    add_user(&env, db, "suzuki", "editor");
    let server = Server::start(&env, &no_limit(db));
    assert!(server.startup.iter().any(|l| l == "knowledge: release 1"));
    let editor = Agent::sign_in(&server, "suzuki");
    let list: Value = editor.get("/admin/api/documents").json().unwrap();
    let docs = list["documents"].as_array().unwrap();
    assert!(docs.len() > 20, "{list}");
    assert!(
        docs.iter()
            .all(|d| d["status"] == "published" && d["problems"] == 0)
    );
    let found: Value = editor.get("/admin/api/documents?q=0800").json().unwrap();
    assert!(
        found["documents"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["path"] == FAQ),
        "{found}"
    );

    // Edit the draft: the check runs on what was typed; nothing changes for users yet.
    let text = format!("{}{ADDED}\n", draft(&editor, FAQ).trim_end());
    let checked: Value = editor
        .post("/admin/api/check", json!({"path": FAQ, "text": text}))
        .json()
        .unwrap();
    assert_eq!(checked["problems"], json!([]));
    let saved = put(&editor, FAQ, &text);
    assert_eq!(saved.status(), 200);
    let tried: Value = editor
        .post("/admin/api/try", json!({"question": QUESTION}))
        .json()
        .unwrap();
    assert!(
        tried["answer"]["answer"].as_str().unwrap().contains(ADDED),
        "{tried}"
    );
    assert_eq!(tried["hits"][0]["doc_id"], "faq-call-center", "{tried}");
    assert!(tried["hits"][0]["score"].as_f64().unwrap() > 0.0);
    assert!(
        !answer(&server, QUESTION)["answer"]
            .as_str()
            .unwrap()
            .contains(ADDED)
    );

    // Publish while three clients keep asking: every question is answered.
    let stop = Arc::new(AtomicBool::new(false));
    let (answered, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let askers: Vec<_> = (0..3)
        .map(|_| {
            let (base, stop, answered, failed) = (
                server.base.clone(),
                stop.clone(),
                answered.clone(),
                failed.clone(),
            );
            std::thread::spawn(move || {
                let client = reqwest::blocking::Client::builder()
                    .no_proxy()
                    .build()
                    .unwrap();
                while !stop.load(Ordering::SeqCst) {
                    let r = client
                        .post(format!("{base}/api/v1/chat"))
                        .json(&json!({"message": QUESTION}))
                        .send();
                    match r {
                        Ok(r) if r.status() == 200 => {
                            let v: Value = r.json().unwrap();
                            assert!(v["answer"].as_str().unwrap().contains("0800-0804583"));
                            answered.fetch_add(1, Ordering::SeqCst);
                        }
                        _ => {
                            failed.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let published = editor.post("/admin/api/publish", json!({"note": "持ち物を追記"}));
    assert_eq!(published.status(), 201);
    let release: Value = published.json().unwrap();
    assert_eq!(release["release"]["id"], 2);
    // The very next question gets the new text.
    assert!(
        answer(&server, QUESTION)["answer"]
            .as_str()
            .unwrap()
            .contains(ADDED)
    );
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::SeqCst);
    for a in askers {
        a.join().unwrap();
    }
    assert_eq!(failed.load(Ordering::SeqCst), 0);
    assert!(answered.load(Ordering::SeqCst) > 3);

    // History: the release, its diff, and who did what.
    let releases: Value = editor.get("/admin/api/releases").json().unwrap();
    assert_eq!(releases["serving_release"], 2);
    let diff: Value = editor.get("/admin/api/releases/2/diff").json().unwrap();
    let files = diff["files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{diff}");
    assert_eq!(files[0]["path"], FAQ);
    assert!(
        files[0]["diff"]
            .as_str()
            .unwrap()
            .contains(&format!("+{}", text.lines().last().unwrap()))
    );
    let audit: Value = editor.get("/admin/api/audit").json().unwrap();
    let actions: Vec<(String, String)> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["user_name"].as_str().unwrap().to_string(),
                e["action"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        actions.contains(&("suzuki".into(), "publish".into())),
        "{actions:?}"
    );
    assert!(
        actions.contains(&("suzuki".into(), "save".into())),
        "{actions:?}"
    );
    // The cited document's page shows the new text too.
    let page = server.get("/kb/faq-call-center").text().unwrap();
    assert!(page.contains(ADDED));
}

fn a_document_with_problems_cannot_be_published_and_rollback_restores(db: &Database) {
    let env = Env::new();
    add_user(&env, db, "suzuki", "editor");
    let server = Server::start(&env, &db.env());
    let editor = Agent::sign_in(&server, "suzuki");
    let before = answer(&server, QUESTION)["answer"]
        .as_str()
        .unwrap()
        .to_string();

    // A valid edit, published as release 2.
    let text = format!("{}{ADDED}\n", draft(&editor, FAQ).trim_end());
    assert_eq!(put(&editor, FAQ, &text).status(), 200);
    assert_eq!(
        editor
            .post("/admin/api/publish", json!({"note": "追記"}))
            .status(),
        201
    );

    // A broken document is saved as a draft with its problems, and refuses to publish.
    let broken = "+++\nid = \"faq-broken\"\nkind = \"faq\"\ntitle = \"\"\n+++\n本文\n";
    let saved: Value = put(&editor, "faq/broken.md", broken).json().unwrap();
    assert!(!saved["problems"].as_array().unwrap().is_empty(), "{saved}");
    let refused = editor.post("/admin/api/publish", json!({}));
    assert_eq!(refused.status(), 422);
    let error: Value = refused.json().unwrap();
    assert_eq!(error["error"]["code"], "invalid_knowledge");
    assert!(
        error["error"]["detail"]
            .as_str()
            .unwrap()
            .contains("faq/broken.md"),
        "{error}"
    );
    let releases: Value = editor.get("/admin/api/releases").json().unwrap();
    assert_eq!(releases["serving_release"], 2);
    assert!(
        answer(&server, QUESTION)["answer"]
            .as_str()
            .unwrap()
            .contains(ADDED)
    );
    // A path outside the knowledge folder, or not a knowledge file, is refused.
    assert_eq!(put(&editor, "..%2F..%2Fetc%2Fpasswd.md", "x").status(), 422);
    assert_eq!(put(&editor, "faq/notes.txt", "x").status(), 422);

    // Roll back to release 1: the old answer, as release 3; the drafts follow it.
    let back = editor.post("/admin/api/releases/1/rollback", json!({}));
    assert_eq!(back.status(), 201);
    let back: Value = back.json().unwrap();
    assert_eq!(back["release"]["id"], 3);
    assert_eq!(answer(&server, QUESTION)["answer"], before);
    let list: Value = editor.get("/admin/api/documents").json().unwrap();
    assert!(
        !list["documents"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["path"] == "faq/broken.md")
    );
    // The serving release survives a restart.
    drop(server);
    let server = Server::start(&env, &db.env());
    assert!(
        server.startup.iter().any(|l| l == "knowledge: release 3"),
        "{:?}",
        server.startup
    );
    assert_eq!(answer(&server, QUESTION)["answer"], before);
}

#[test]
fn only_editors_and_admins_may_edit() {
    let env = Env::new();
    let db = Database::sqlite();
    add_user(&env, &db, "sato", "agent");
    add_user(&env, &db, "suzuki", "editor");
    let server = Server::start(&env, &[]);
    assert_eq!(server.get("/admin/api/documents").status(), 401);
    let agent = Agent::sign_in(&server, "sato");
    assert_eq!(agent.get("/admin/api/documents").status(), 403);
    assert_eq!(put(&agent, FAQ, "x").status(), 403);
    assert_eq!(agent.post("/admin/api/publish", json!({})).status(), 403);
    // An editor is not an agent.
    let editor = Agent::sign_in(&server, "suzuki");
    assert_eq!(editor.get("/agent/api/tickets").status(), 403);
    // Changes need the CSRF token.
    let no_csrf = server
        .client
        .put(server.url(&format!("/admin/api/documents/{FAQ}")))
        .header("cookie", &editor.cookie)
        .json(&json!({"text": "x"}))
        .send()
        .unwrap();
    assert_eq!(no_csrf.status(), 403);
    // The console page itself is served (the browser test uses it).
    let page = server.get("/admin").text().unwrap();
    assert!(page.contains("編集コンソール"));
    // Editors sign out like everyone.
    assert_eq!(editor.post("/agent/api/logout", json!({})).status(), 200);
    assert_eq!(editor.get("/admin/api/documents").status(), 401);
}

#[test]
fn the_command_line_exports_and_imports_and_a_running_service_follows() {
    let env = Env::new();
    let server = Server::start(&env, &[]);
    let export = tempfile::tempdir().unwrap();
    let out = env.run(&["kb", "export", export.path().to_str().unwrap()]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let original = std::fs::read_to_string(common::repo().join("knowledge").join(FAQ)).unwrap();
    let exported = export.path().join(FAQ);
    assert_eq!(std::fs::read_to_string(&exported).unwrap(), original);

    // A broken folder is not published, and nothing changes.
    let broken = tempfile::tempdir().unwrap();
    common::copy_dir(export.path(), broken.path());
    std::fs::write(broken.path().join("faq/broken.md"), "no front matter").unwrap();
    let out = env.run(&["kb", "import", broken.path().to_str().unwrap(), "--publish"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        common::stdout(&out).contains("faq/broken.md"),
        "{}",
        common::stdout(&out)
    );

    // An edited folder, published: the running service switches within seconds.
    std::fs::write(&exported, format!("{}{ADDED}\n", original.trim_end())).unwrap();
    let out = env.run(&[
        "kb",
        "import",
        export.path().to_str().unwrap(),
        "--publish",
        "--note",
        "gitから",
    ]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert!(common::stdout(&out).contains("release 2"));
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if answer(&server, QUESTION)["answer"]
            .as_str()
            .unwrap()
            .contains(ADDED)
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the service did not switch to release 2"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn every_instance_switches_to_a_new_release_within_seconds() {
    let db = Database::postgres();
    let (a_env, b_env) = (Env::new(), Env::new());
    add_user(&a_env, &db, "suzuki", "editor");
    let a = Server::start(&a_env, &db.env());
    let b = Server::start(&b_env, &db.env());
    let editor = Agent::sign_in(&a, "suzuki");
    let text = format!("{}{ADDED}\n", draft(&editor, FAQ).trim_end());
    assert_eq!(put(&editor, FAQ, &text).status(), 200);
    assert_eq!(editor.post("/admin/api/publish", json!({})).status(), 201);
    let published = Instant::now();
    loop {
        if answer(&b, QUESTION)["answer"]
            .as_str()
            .unwrap()
            .contains(ADDED)
        {
            break;
        }
        assert!(
            published.elapsed() < Duration::from_secs(15),
            "the other instance still serves the old release"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    println!(
        "the other instance switched after {:?}",
        published.elapsed()
    );
}

#[test]
fn editors_see_what_users_could_not_get_answered_without_personal_data() {
    let env = Env::new();
    let db = Database::sqlite();
    add_user(&env, &db, "suzuki", "editor");
    let server = Server::start(&env, &no_limit(&db));
    for q in [
        "駐車場はありますか",
        "駐車場はありますか？",
        "駐車場ありますか 03-1234-5678 まで連絡ください",
    ] {
        let a = answer(&server, q);
        assert_eq!(a["outcome"], "no_answer", "{a}");
    }
    let good = answer(&server, QUESTION);
    let feedback = server.post_json(
        "/api/v1/feedback",
        &json!({"session_id": good["session_id"], "message_id": good["message_id"], "rating": "up"}),
    );
    assert_eq!(feedback.status(), 200);
    let editor = Agent::sign_in(&server, "suzuki");
    let report: Value = editor.get("/admin/api/analytics?days=7").json().unwrap();
    let group = &report["unanswered"][0];
    assert_eq!(group["count"], 3, "{report}");
    assert_eq!(group["reasons"]["no_answer"], 3);
    let examples = group["examples"].to_string();
    assert!(
        !examples.contains("1234-5678") && examples.contains("＊＊＊"),
        "{examples}"
    );
    let today = report["days"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(today["questions"], 4, "{today}");
    assert_eq!(today["answer_rate"], 0.25);
    assert_eq!(today["up_rate"], 1.0);
    let csv = editor
        .get("/admin/api/analytics.csv?days=7")
        .text()
        .unwrap();
    assert!(
        csv.contains("駐車場") && !csv.contains("1234-5678"),
        "{csv}"
    );
    assert_eq!(editor.get("/admin/api/analytics?days=0").status(), 422);

    // A validity period: the FAQ past its end no longer answers (tried on the drafts).
    let text = draft(&editor, FAQ).replacen(
        "role = \"contact\"",
        "role = \"contact\"\nvalid_until = \"2020-12-31\"",
        1,
    );
    assert_eq!(put(&editor, FAQ, &text).status(), 200);
    let tried: Value = editor
        .post("/admin/api/try", json!({"question": QUESTION}))
        .json()
        .unwrap();
    assert!(
        tried["answer"]["citations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["doc_id"] != "faq-call-center"),
        "{tried}"
    );
}
