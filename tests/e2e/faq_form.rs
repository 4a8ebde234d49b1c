//! The editor console's FAQ form, end to end: the sections an answer can cite, an FAQ read
//! into the form and written back with every other key kept, the result saved, checked and
//! tried on the drafts; what the form cannot show is said, not guessed.

use serde_json::{Value, json};

use crate::common::console::{Agent, add_user};
use crate::common::{Database, Env, Server};

const FAQ: &str = "faq/call-center.md";
const NEW_WORDING: &str = "サポート窓口の番号を知りたい";

#[test]
fn an_faq_is_edited_in_the_form_saved_checked_and_tried() {
    let env = Env::new();
    let db = Database::sqlite();
    add_user(&env, &db, "suzuki", "editor");
    add_user(&env, &db, "sato", "agent");
    let server = Server::start(&env, &db.env());
    let agent = Agent::sign_in(&server, "sato");
    assert_eq!(agent.get("/admin/api/sections").status(), 403);
    let editor = Agent::sign_in(&server, "suzuki");

    let sections: Value = editor.get("/admin/api/sections").json().unwrap();
    let contacts = sections["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["ref"] == "leaflet#contacts")
        .unwrap_or_else(|| panic!("{sections}"));
    assert!(!contacts["heading"].as_str().unwrap().is_empty());
    assert!(
        !sections.to_string().contains("faq-"),
        "FAQs are not citable"
    );

    let doc: Value = editor
        .get(&format!("/admin/api/documents/{FAQ}"))
        .json()
        .unwrap();
    let text = doc["text"].as_str().unwrap().to_string();
    let read: Value = editor
        .post("/admin/api/faq/read", json!({ "text": text }))
        .json()
        .unwrap();
    let mut form = read["form"].clone();
    assert_eq!(form["id"], "faq-call-center", "{read}");
    assert_eq!(form["sources"], json!(["leaflet#contacts"]));
    assert!(
        form["english"]["answer"]
            .as_str()
            .unwrap()
            .contains("0800-0804583")
    );
    assert!(form["answer"].as_str().unwrap().contains("0800-0804583"));

    form["questions"]
        .as_array_mut()
        .unwrap()
        .push(json!(NEW_WORDING));
    let written: Value = editor
        .post(
            "/admin/api/faq/write",
            json!({ "text": text, "form": form }),
        )
        .json()
        .unwrap();
    let new_text = written["text"]
        .as_str()
        .unwrap_or_else(|| panic!("{written}"));
    // The keys the form does not show are kept.
    assert!(new_text.contains("role = \"contact\""), "{new_text}");
    assert!(new_text.contains("synonyms = ["), "{new_text}");
    assert!(new_text.contains(NEW_WORDING));
    let saved: Value = editor
        .put(
            &format!("/admin/api/documents/{FAQ}"),
            json!({ "text": new_text }),
        )
        .json()
        .unwrap();
    assert_eq!(saved["problems"], json!([]), "{saved}");
    let tried: Value = editor
        .post("/admin/api/try", json!({ "question": NEW_WORDING }))
        .json()
        .unwrap();
    assert!(
        tried["answer"]["citations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["doc_id"] == "faq-call-center"),
        "{tried}"
    );

    // A new FAQ from nothing is a file the checker reads; one without an answer's source
    // is saved with its problem named.
    let new: Value = editor
        .post(
            "/admin/api/faq/write",
            json!({"text": "", "form": {"id": "faq-parking", "title": "駐車場はありますか",
                   "questions": [], "answer": "", "sources": [], "tags": []}}),
        )
        .json()
        .unwrap();
    let new_text = new["text"].as_str().unwrap();
    assert!(
        new_text.starts_with("+++\nid = \"faq-parking\"\nkind = \"faq\"\n"),
        "{new_text}"
    );
    let saved: Value = editor
        .put(
            "/admin/api/documents/faq/parking.md",
            json!({ "text": new_text }),
        )
        .json()
        .unwrap();
    assert_ne!(saved["problems"], json!([]), "{saved}");

    // What the form cannot show is said.
    for (text, says) in [
        ("本文だけ", "+++"),
        (
            "+++\nid = \"n\"\nkind = \"notice\"\ntitle = \"T\"\n+++\n",
            "faq",
        ),
        ("+++\nid = \n+++\n", "TOML"),
        ("+++\nid = \"a\u{1}\"\n+++\n", "制御文字"),
    ] {
        let r: Value = editor
            .post("/admin/api/faq/read", json!({ "text": text }))
            .json()
            .unwrap();
        assert!(r["form"].is_null(), "{r}");
        assert!(r["problem"].as_str().unwrap().contains(says), "{text}: {r}");
    }
    let bad: Value = editor
        .post(
            "/admin/api/faq/write",
            json!({"text": "", "form": {"id": "faq-x", "title": "a\u{7}", "answer": ""}}),
        )
        .json()
        .unwrap();
    assert!(
        bad["text"].is_null() && bad["problem"].as_str().unwrap().contains("制御文字"),
        "{bad}"
    );
    // Over the schema's limits: refused, naming what.
    let long = editor.post("/admin/api/faq/read", json!({ "text": "a".repeat(60_001) }));
    assert_eq!(long.status(), 422);
    let long = editor.post(
        "/admin/api/faq/write",
        json!({"text": "", "form": {"id": "faq-x", "title": "t", "answer": "", "tags": vec!["t"; 51]}}),
    );
    assert_eq!(long.status(), 422);
    assert!(long.text().unwrap().contains("tags"));
    // A body that is not the form's shape is a 422 of the JSON reader.
    let wrong = editor.post(
        "/admin/api/faq/write",
        json!({"text": "", "form": {"title": 1}}),
    );
    assert_eq!(wrong.status(), 422);
}
