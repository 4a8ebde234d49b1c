use super::*;

fn errors(text: &str) -> Vec<String> {
    match parse(Path::new("x.md"), text) {
        Ok(_) => vec![],
        Err(e) => e
            .diagnostics
            .into_iter()
            .map(|d| format!("{}: {}", d.line, d.message))
            .collect(),
    }
}

#[test]
fn toml_problems_are_said_in_japanese_with_the_key_they_name() {
    assert_eq!(
        toml_problem("missing field `title`"),
        "front matter に title がありません。「title = …」の行を加えてください。"
    );
    assert!(
        toml_problem("unknown field `titel`, expected one of `id`")
            .contains("titel は使えない項目")
    );
    assert!(
        toml_problem("missing comma between array elements, expected `,`")
            .starts_with("front matter の書き方が正しくありません")
    );
}

#[test]
fn parses_a_notice_with_sections() {
    let text = "+++\nid = \"n\"\nkind = \"notice\"\ntitle = \"T\"\nsource = \"S\"\nissued = \"2021-03-03\"\n+++\n## 見出し {#a}\n本文。\n## 二 {#b}\n二の本文。\n";
    let doc = parse(Path::new("n.md"), text).unwrap();
    assert_eq!(doc.sections.len(), 2);
    assert_eq!(doc.sections[0].heading, "見出し");
    assert_eq!(doc.sections[1].body, "二の本文。");
    assert_eq!(doc.issued, NaiveDate::from_ymd_opt(2021, 3, 3));
}

#[test]
fn reports_missing_field_with_line() {
    let e = errors("+++\nid = \"faq-x\"\nkind = \"faq\"\n+++\n答え\n");
    assert_eq!(e.len(), 1);
    assert!(e[0].contains("title"), "{e:?}");
}

#[test]
fn reports_bad_date_on_its_line() {
    let e = errors(
        "+++\nid = \"n\"\nkind = \"notice\"\ntitle = \"T\"\nsource = \"S\"\nissued = \"2021-02-30\"\n+++\n## a {#a}\nx\n",
    );
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].starts_with("6: 日付「2021-02-30」を読めません"),
        "{e:?}"
    );
}

#[test]
fn reports_unknown_keys_and_kinds() {
    let e = errors("+++\nid = \"n\"\nkind = \"memo\"\ntitle = \"T\"\n+++\nx\n");
    assert!(e[0].contains("kind「memo」は使えません"), "{e:?}");
    let e = errors("+++\nid = \"n\"\nkind = \"faq\"\ntitle = \"T\"\ncolour = 1\n+++\nx\n");
    assert!(
        e[0].starts_with("5: front matter の colour は使えない項目です"),
        "{e:?}"
    );
}

#[test]
fn heading_without_id_is_an_error() {
    let e = errors(
        "+++\nid = \"n\"\nkind = \"notice\"\ntitle = \"T\"\nsource = \"S\"\n+++\n## 見出し\nx\n",
    );
    assert!(
        e.iter()
            .any(|m| m.starts_with("7: 見出し「見出し」に id がありません")),
        "{e:?}"
    );
}

#[test]
fn missing_front_matter() {
    let e = errors("# just markdown\n");
    assert_eq!(
        e,
        vec!["1: ファイルの先頭は front matter の開始行「+++」にしてください。".to_string()]
    );
}
