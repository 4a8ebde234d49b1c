//! The command line, end to end: the real binary, dictionary and index.

use std::os::unix::ffi::OsStrExt;

use crate::common::{Env, stderr, stdout};

#[test]
fn ask_json_answers_with_citations() {
    let env = Env::new();
    let v = env.json(&[
        "ask",
        "--json",
        "--today",
        "2021-03-10",
        "カードリーダーの申込み締切は？",
    ]);
    assert_eq!(v["outcome"], "answered");
    let answer = v["answer"].as_str().unwrap();
    assert!(answer.contains("令和3年3月31日"), "{answer}");
    assert!(!answer.contains("過ぎ"), "not past on 2021-03-10: {answer}");
    let citations = v["citations"].as_array().unwrap();
    assert!(
        citations
            .iter()
            .any(|c| c["doc_id"] == "notice-main" && c["section"] == "前文"),
        "{v}"
    );
    assert!(v["confidence"].as_f64().unwrap() > 0.5);
}

#[test]
fn ask_says_a_past_deadline_has_passed() {
    let env = Env::new();
    let v = env.json(&[
        "ask",
        "--json",
        "--today",
        "2021-05-01",
        "カードリーダーの申込み締切は？",
    ]);
    assert!(
        v["answer"].as_str().unwrap().contains("既に過ぎています"),
        "{v}"
    );
}

#[test]
fn ask_human_output_lists_sources() {
    let env = Env::new();
    let out = env.run(&["ask", "コールセンターの電話番号は"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("0800-0804583"), "{text}");
    assert!(text.contains("出典:"), "{text}");
}

#[test]
fn handoff_and_decline_outcomes() {
    let env = Env::new();
    let v = env.json(&["ask", "--json", "オペレーターにつないでください"]);
    assert_eq!(v["outcome"], "handoff");
    assert_eq!(v["handoff_reason"], "requested_person");
    assert!(v["answer"].as_str().unwrap().contains("0800-0804583"));
    let v = env.json(&["ask", "--json", "明日の天気を教えて"]);
    assert_eq!(v["outcome"], "no_answer");
    assert!(
        v["answer"].as_str().unwrap().contains("0800-0804583"),
        "offers the call center: {v}"
    );
}

#[test]
fn a_my_number_is_never_echoed_or_logged() {
    let env = Env::new();
    let out = env
        .command()
        .env("SHIKAKU_LOG", "trace")
        .args([
            "ask",
            "--json",
            "マイナンバーは1234 5678 9018です。締切はいつ？",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let all = format!("{}{}", stdout(&out), stderr(&out));
    for fragment in ["1234 5678 9018", "123456789018", "9018"] {
        assert!(!all.contains(fragment), "{fragment} leaked: {all}");
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["number_removed"], true);
    assert!(
        v["answer"]
            .as_str()
            .unwrap()
            .contains("入力しないでください")
    );
}

#[test]
fn bad_questions_and_flags_are_clear_errors() {
    let env = Env::new();
    for (args, needle) in [
        (vec!["ask", ""], "空"),
        (vec!["ask", "   \n "], "空"),
        (vec!["ask", "--colour", "x"], "--colour"),
        (vec!["ask", "--today", "2021-02-30", "締切"], "--today"),
        (vec!["ask"], "required"),
    ] {
        let out = env.run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains(needle), "{args:?}: {}", stderr(&out));
    }
    let long = "あ".repeat(2001);
    let out = env.run(&["ask", &long]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("2001文字"), "{}", stderr(&out));

    let out = env
        .command()
        .arg("ask")
        .arg(std::ffi::OsStr::from_bytes(b"\xff\xfe"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).to_lowercase().contains("utf-8"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn batch_keeps_order_and_reports_each_bad_line() {
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("batch.jsonl");
    let mut input = Vec::new();
    input.extend_from_slice(
        "{\"id\":\"a\",\"question\":\"病院は何台まで申し込めますか\"}\n".as_bytes(),
    );
    input.extend_from_slice(b"{not json}\n");
    input.extend_from_slice(b"{\"id\":\"c\"}\n");
    input.extend_from_slice(b"\n");
    input.extend_from_slice(b"{\"id\":\"e\",\"question\":\"  \"}\n");
    input.extend_from_slice(b"{\"id\":\"f\",\"question\":\"\xff\"}\n");
    input.extend_from_slice(
        "{\"id\":\"g\",\"question\":\"締切は\",\"today\":\"tomorrow\"}\n".as_bytes(),
    );
    input.extend_from_slice(
        "{\"id\":7,\"question\":\"まだ間に合いますか\",\"today\":\"2021-03-30\"}\n".as_bytes(),
    );
    std::fs::write(&file, input).unwrap();

    let out = env.run(&["ask", "--json", "--batch", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "some lines failed");
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 7, "one output per non-blank input line");
    assert_eq!(lines[0]["id"], "a");
    assert!(lines[0]["answer"].as_str().unwrap().contains("3台"));
    assert_eq!(lines[0]["citations"][0]["doc_id"], "application-form");
    assert_eq!(
        (lines[1]["line"].as_u64(), lines[1]["id"].is_null()),
        (Some(2), true)
    );
    assert!(lines[1]["error"].as_str().unwrap().contains("invalid JSON"));
    assert_eq!(lines[2]["id"], "c");
    assert!(lines[2]["error"].as_str().unwrap().contains("question"));
    assert_eq!(
        (lines[3]["id"].as_str(), lines[3]["line"].as_u64()),
        (Some("e"), Some(5))
    );
    assert!(lines[4]["error"].as_str().unwrap().contains("UTF-8"));
    assert!(lines[5]["error"].as_str().unwrap().contains("today"));
    assert_eq!(lines[6]["id"], 7);
    assert!(
        lines[6]["answer"]
            .as_str()
            .unwrap()
            .contains("まだ間に合います"),
        "{}",
        lines[6]
    );
}

#[test]
fn kb_check_reports_file_and_line_and_loads_the_rest() {
    let (env, copy) = Env::with_knowledge_copy();
    let faq = copy.path().join("faq");
    std::fs::write(
        faq.join("zz-dup.md"),
        "+++\nid = \"faq-chatbot\"\nkind = \"faq\"\ntitle = \"重複\"\nsources = [\"leaflet#portal\"]\n+++\n答え\n",
    )
    .unwrap();
    std::fs::write(
        faq.join("zz-bad-source.md"),
        "+++\nid = \"faq-zz\"\nkind = \"faq\"\ntitle = \"T\"\nsources = [\"leaflet#nowhere\"]\n+++\n答え\n",
    )
    .unwrap();
    std::fs::write(
        copy.path().join("notices/zz-date.md"),
        "+++\nid = \"zz-notice\"\nkind = \"notice\"\ntitle = \"T\"\nsource = \"S\"\nissued = \"2021-13-01\"\n+++\n## a {#a}\nx\n",
    )
    .unwrap();
    std::fs::write(
        faq.join("zz-no-title.md"),
        "+++\nid = \"faq-nt\"\nkind = \"faq\"\n+++\nx\n",
    )
    .unwrap();
    // One pass reports everything: a file's unknown source beside its other problems.
    std::fs::write(
        faq.join("zz-two-problems.md"),
        "+++\nid = \"faq-two\"\nkind = \"faq\"\nsources = [\"leaflet#gone\"]\n+++\nx\n",
    )
    .unwrap();
    std::fs::write(
        faq.join("zz-bad-id-and-source.md"),
        "+++\nid = \"faq-Bad\"\nkind = \"faq\"\ntitle = \"T\"\nsources = [\"leaflet#nowhere2\"]\n+++\nx\n",
    )
    .unwrap();

    let out = env.run(&["kb", "check"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let has = |needle: &str| assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    has("zz-dup.md:2: id「faq-chatbot」は重複しています");
    has(
        "zz-bad-source.md:5: sources の「leaflet#nowhere」が指す notice「leaflet」にセクション「nowhere」がありません。",
    );
    has("zz-date.md:6: 日付「2021-13-01」を読めません");
    has("zz-no-title.md:2: front matter に title がありません。");
    has("zz-two-problems.md:2: front matter に title がありません。");
    has(
        "zz-two-problems.md:4: sources の「leaflet#gone」が指す notice「leaflet」にセクション「gone」がありません。",
    );
    has("zz-bad-id-and-source.md:2: id「faq-Bad」には a-z、0-9、「-」だけを使ってください。");
    has(
        "zz-bad-id-and-source.md:5: sources の「leaflet#nowhere2」が指す notice「leaflet」にセクション「nowhere2」がありません。",
    );
    has("94 件の文書を読み込みました");
    // The assistant still answers from the documents that loaded.
    let v = env.json(&["ask", "--json", "シカクはいつ使えますか"]);
    assert_eq!(v["outcome"], "answered");
}

#[test]
fn the_index_follows_the_knowledge_base() {
    let (env, copy) = Env::with_knowledge_copy();
    let v = env.json(&["ask", "--json", "ポータルサイトでは何ができますか"]);
    assert!(v["answer"].as_str().unwrap().contains("補助金申請"));
    // Change an answer; the next question must see the new text without a manual rebuild.
    let path = copy.path().join("faq/portal-features.md");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replace("補助金申請ができます", "補助金申請ができます（改訂版）"),
    )
    .unwrap();
    let v = env.json(&["ask", "--json", "ポータルサイトでは何ができますか"]);
    assert!(v["answer"].as_str().unwrap().contains("改訂版"), "{v}");

    let out = env.run(&["index", "build"]);
    assert!(out.status.success());
    assert!(
        stdout(&out).contains("indexed 118 passages"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn eval_grades_and_reports_failures() {
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("set.jsonl");
    std::fs::write(
        &file,
        concat!(
            "{\"id\":\"ok\",\"question\":\"病院は何台まで？\",\"expect\":\"answer\",\"facts\":[[\"3台\"]]}\n",
            "{\"id\":\"wrong\",\"question\":\"病院は何台まで？\",\"expect\":\"answer\",\"facts\":[[\"7台\"]]}\n",
        ),
    )
    .unwrap();
    let out = env.run(&["eval", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("FAIL wrong"), "{text}");
    assert!(text.trim_end().ends_with("1 passed, 1 failed"), "{text}");
}

/// The name users see beside an agent's replies is checked when the account is made:
/// empty, too long, a control character or a My Number is refused, saying why.
#[test]
fn user_add_refuses_a_display_name_that_cannot_be_shown() {
    let env = Env::new();
    let long = "佐".repeat(41);
    for bad in ["  ", long.as_str(), "佐藤\u{7}", "佐藤 123456789012"] {
        let out = env.run(&[
            "user",
            "add",
            "kato",
            "--role",
            "agent",
            "--display-name",
            bad,
        ]);
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("the display name must be 1 to 40 characters"),
            "{bad:?}: {}",
            stderr(&out)
        );
    }
}
