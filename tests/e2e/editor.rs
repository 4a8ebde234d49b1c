//! The editor console's API end to end: drafts checked as typed, the try-it panel on the
//! drafts, publishing while questions keep being answered, a refused publish, rollback,
//! roles, the command line's import and export, several instances on PostgreSQL, and what
//! users could not get answered.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::console::{Agent, add_user};
use crate::common::{self, Database, Env, Server};

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
    editor.put(
        &format!("/admin/api/documents/{path}"),
        json!({ "text": text }),
    )
}

/// Imports a file in the editor console: the paths of the drafts proposed.
fn import(editor: &Agent, name: &str, body: String) -> Vec<String> {
    let imported = editor
        .server
        .client
        .post(editor.server.url(&format!("/admin/api/import?name={name}")))
        .header("cookie", &editor.cookie)
        .header("x-csrf-token", &editor.csrf)
        .body(body)
        .send()
        .unwrap();
    assert_eq!(imported.status(), 201);
    let imported: Value = imported.json().unwrap();
    imported["proposed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect()
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
    // What publishing would change, reviewed before it is done: this file alone.
    let pending: Value = editor.get("/admin/api/drafts/changes").json().unwrap();
    assert_eq!(pending["serving_release"], 1, "{pending}");
    let files = pending["files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{pending}");
    assert_eq!(files[0]["path"], FAQ);
    assert_eq!(files[0]["change"], "changed");

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
    let ready: Value = server.monitor("/readyz").json().unwrap();
    assert_eq!(ready["knowledge"]["release"], 2, "{ready}");
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

    // Published: nothing is left to review.
    let pending: Value = editor.get("/admin/api/drafts/changes").json().unwrap();
    assert_eq!(pending["files"], json!([]), "{pending}");

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
    // A NUL or another control character, in a path or in a text, is a clear 422 (PostgreSQL
    // cannot even store a NUL), in saving and in deleting: refused with any URL that holds
    // one; an invisible character, as no file name.
    for (path, code) in [
        ("faq/a%00b.md", "invalid_request"),
        ("faq/a%1Bb.md", "invalid_request"),
        ("faq/%E2%80%8B.md", "invalid_path"),
    ] {
        let r = put(&editor, path, "x");
        assert_eq!(r.status(), 422, "{path}");
        let body: Value = r.json().unwrap();
        assert_eq!(body["error"]["code"], code, "{path}: {body}");
        let r = editor.delete(&format!("/admin/api/documents/{path}"));
        assert_eq!(r.status(), 422, "{path}");
    }
    let r = put(&editor, "faq/nul.md", "本文\u{0}です");
    assert_eq!(r.status(), 422);
    let body: Value = r.json().unwrap();
    assert_eq!(body["error"]["code"], "invalid_text", "{body}");

    // Unpublished work: an imported notice's proposals and an edited FAQ.
    let proposals = import(&editor, "notice.html", seed_html());
    assert!(proposals.len() >= 2, "{proposals:?}");
    let edited = format!("{}（下書きの追記）\n", draft(&editor, FAQ).trim_end());
    assert_eq!(put(&editor, FAQ, &edited).status(), 200);
    let drafts_before: Value = editor.get("/admin/api/documents").json().unwrap();

    // Roll back to release 1: the old answer is served, as release 3. The drafts are what
    // the editors left: nothing of their work is lost.
    let back = editor.post("/admin/api/releases/1/rollback", json!({}));
    assert_eq!(back.status(), 201);
    let back: Value = back.json().unwrap();
    assert_eq!(back["release"]["id"], 3);
    assert_eq!(answer(&server, QUESTION)["answer"], before);
    let list: Value = editor.get("/admin/api/documents").json().unwrap();
    let paths = |list: &Value| -> Vec<String> {
        list["documents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["path"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(paths(&list), paths(&drafts_before));
    for path in proposals.iter().chain([&"faq/broken.md".to_string()]) {
        assert!(paths(&list).contains(path), "{path} kept: {list}");
    }
    assert_eq!(draft(&editor, FAQ), edited);
    let state = |path: &str| {
        list["documents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["path"] == path)
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(state(FAQ), "changed", "against the release served now");
    assert_eq!(state(&proposals[0]), "new");
    // The editors remove what they do not want to publish; the rest goes on.
    for path in proposals.iter().chain([&"faq/broken.md".to_string()]) {
        assert_eq!(
            editor
                .delete(&format!("/admin/api/documents/{path}"))
                .status(),
            200,
            "{path}"
        );
    }
    // Old release folders are removed as releases pile up; the serving one stays.
    // (Marks without digits: a number in the Japanese alone would differ from the English
    // version's, which publishing refuses.)
    for mark in ["い", "ろ", "は", "に", "ほ"] {
        let text = format!("{}（改訂{mark}）\n", draft(&editor, FAQ).trim_end());
        assert_eq!(put(&editor, FAQ, &text).status(), 200);
        assert_eq!(editor.post("/admin/api/publish", json!({})).status(), 201);
    }
    let folders = std::fs::read_dir(env.data.path().join("releases"))
        .unwrap()
        .count();
    assert!(folders <= 4, "{folders} release folders kept");
    assert!(
        answer(&server, QUESTION)["answer"]
            .as_str()
            .unwrap()
            .contains("（改訂ほ）")
    );
    let back = editor.post("/admin/api/releases/3/rollback", json!({}));
    assert_eq!(back.status(), 201);
    assert_eq!(answer(&server, QUESTION)["answer"], before);

    // The serving release survives a restart.
    drop(server);
    let server = Server::start(&env, &db.env());
    assert!(
        server.startup.iter().any(|l| l == "knowledge: release 9"),
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
    // Both start at once on the empty database: the knowledge folder is imported once.
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| Server::start(&a_env, &db.env()));
        let b = s.spawn(|| Server::start(&b_env, &db.env()));
        (a.join().unwrap(), b.join().unwrap())
    });
    let editor = Agent::sign_in(&a, "suzuki");
    let releases: Value = editor.get("/admin/api/releases").json().unwrap();
    assert_eq!(
        releases["releases"].as_array().unwrap().len(),
        1,
        "{releases}"
    );
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
    // Small talk is not something the knowledge base lacks.
    let thanks = answer(&server, "ありがとうございます");
    assert_eq!(thanks["writer"], "small_talk", "{thanks}");
    // A 👎 with a comment: listed with the answer, ready to be fixed.
    let disliked = answer(&server, "カードリーダーの申込み締切は？");
    let feedback = server.post_json(
        "/api/v1/feedback",
        &json!({"session_id": disliked["session_id"], "message_id": disliked["message_id"],
                "rating": "down", "comment": "診療所の場合を知りたい（03-1234-5678）"}),
    );
    assert_eq!(feedback.status(), 200);
    let editor = Agent::sign_in(&server, "suzuki");
    let report: Value = editor.get("/admin/api/analytics?days=7").json().unwrap();
    let listed = report["unanswered"].to_string() + &report["top"].to_string();
    assert!(!listed.contains("ありがとう"), "{listed}");
    let fix = &report["disliked"][0];
    // Users' texts are normalised (NFKC) and masked; the answer is the bot's, as shown.
    assert_eq!(fix["question"], "カードリーダーの申込み締切は?", "{report}");
    assert_eq!(fix["answer"], disliked["answer"]);
    assert_eq!(fix["comment"], "診療所の場合を知りたい(＊＊＊)");
    let sources = fix["sources"].as_array().unwrap();
    assert!(
        !sources.is_empty() && sources.iter().all(|s| s.as_str().unwrap().contains('#')),
        "{fix}"
    );
    let group = &report["unanswered"][0];
    assert_eq!(group["count"], 3, "{report}");
    assert_eq!(group["reasons"]["no_answer"], 3);
    let examples = group["examples"].to_string();
    assert!(
        !examples.contains("1234-5678") && examples.contains("＊＊＊"),
        "{examples}"
    );
    let today = report["days"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(today["questions"], 6, "{today}");
    assert_eq!(today["up_rate"], 0.5);
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

/// The notice of the seeds (令和3年3月3日) as the ministry's text.
fn seed_text() -> String {
    let dir = common::repo().join("../shared/seeds");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    std::fs::read_to_string(&files[0]).unwrap()
}

/// The seed as a web page: its Markdown headings as h2/h3, every other line a paragraph.
fn seed_html() -> String {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let mut html = String::from(
        "<!doctype html><html lang=\"ja\"><head><meta charset=\"utf-8\"><title>通知</title></head><body>\n",
    );
    for line in seed_text().lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(h) = line.strip_prefix("### ") {
            html.push_str(&format!("<h3>{}</h3>\n", escape(h)));
        } else if let Some(h) = line.strip_prefix("## ") {
            html.push_str(&format!("<h2>{}</h2>\n", escape(h)));
        } else {
            html.push_str(&format!("<p>{}</p>\n", escape(line)));
        }
    }
    html.push_str("</body></html>\n");
    html
}

#[test]
fn a_notice_imported_as_html_is_published_only_after_review() {
    let env = Env::new();
    let db = Database::sqlite();
    add_user(&env, &db, "suzuki", "editor");
    let server = Server::start(&env, &[]);
    let editor = Agent::sign_in(&server, "suzuki");
    let paths = import(&editor, "r3-0303.html", seed_html());
    assert_eq!(paths[0], "notices/r3-0303.md");
    assert!(paths.len() > 2, "FAQ drafts too: {paths:?}");
    let notice = draft(&editor, &paths[0]);
    assert!(notice.contains("issued = \"2021-03-03\""), "{notice}");
    assert!(
        notice.contains("## 2 「オンライン資格確認」導入意向調査について {#"),
        "{notice}"
    );
    assert!(notice.contains("令和3年3月31日"));

    // Unreviewed, it cannot be published.
    let refused = editor.post("/admin/api/publish", json!({}));
    assert_eq!(refused.status(), 422);
    let error: Value = refused.json().unwrap();
    assert!(
        error["error"]["detail"]
            .as_str()
            .unwrap()
            .contains("確認が必要です"),
        "{error}"
    );
    // Reviewed (the marker removed from each), it can.
    for path in &paths {
        let text: String = draft(&editor, path)
            .lines()
            .filter(|l| !l.starts_with("needs_review"))
            .map(|l| format!("{l}\n"))
            .collect();
        let saved: Value = put(&editor, path, &text).json().unwrap();
        let own: Vec<&Value> = saved["problems"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["path"] == path.as_str())
            .collect();
        assert!(own.is_empty(), "{path}: {own:?}");
    }
    assert_eq!(editor.post("/admin/api/publish", json!({})).status(), 201);
    let page = server.get("/kb/notice-r3-0303");
    assert_eq!(page.status(), 200);
    assert!(page.text().unwrap().contains("導入意向調査"));
    // Not a file it can read.
    let bad = server
        .client
        .post(server.url("/admin/api/import?name=scan.png"))
        .header("cookie", &editor.cookie)
        .header("x-csrf-token", &editor.csrf)
        .body(vec![0u8; 16])
        .send()
        .unwrap();
    assert_eq!(bad.status(), 422);
}

#[test]
fn a_pdf_rendered_from_the_seed_is_split_into_sections_from_the_command_line() {
    let env = Env::new();
    let work = tempfile::tempdir().unwrap();
    let html = work.path().join("seed.html");
    std::fs::write(&html, seed_html()).unwrap();
    let pdf = work.path().join("r3-0303.pdf");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let rendered = std::process::Command::new(&chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
            &format!("--print-to-pdf={}", pdf.display()),
            &format!("file://{}", html.display()),
        ])
        .output()
        .unwrap_or_else(|e| panic!("{chromium} (scripts/install-browser.sh installs it): {e}"));
    assert!(pdf.is_file(), "{}", common::stderr(&rendered));

    // --publish is refused: proposals need review.
    let out = env.run(&["kb", "import", pdf.to_str().unwrap(), "--publish"]);
    assert_eq!(out.status.code(), Some(2));
    let out = env.run(&["kb", "import", pdf.to_str().unwrap()]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert!(common::stdout(&out).contains("notices/r3-0303.md"));
    let drafts = work.path().join("drafts");
    let out = env.run(&["kb", "export", drafts.to_str().unwrap(), "--drafts"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let notice = std::fs::read_to_string(drafts.join("notices/r3-0303.md")).unwrap();
    // The numbered headings of the PDF became sections; wrapped lines were joined.
    for heading in [
        "## 1 追加補助の締切を案内するリーフレットについて {#",
        "## 3 顔認証付きカードリーダーの提供申請書について {#",
        "## 【問い合わせ先】 {#",
    ] {
        assert!(notice.contains(heading), "{heading}:\n{notice}");
    }
    assert!(notice.contains("issued = \"2021-03-03\""));
    assert!(
        notice.contains("令和3年3月31日が締切であること"),
        "{notice}"
    );
    assert!(notice.contains("needs_review = "));
    // kb check on the drafts reports them for review.
    let check = env.run(&["--knowledge", drafts.to_str().unwrap(), "kb", "check"]);
    assert!(
        common::stdout(&check).contains("確認が必要です"),
        "{}",
        common::stdout(&check)
    );
}
