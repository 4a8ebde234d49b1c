use super::*;

#[test]
fn a_heading_loses_its_numbering_whatever_its_style() {
    for (heading, topic) in [
        ("1．趣旨", "趣旨"),
        ("２ 申込方法", "申込方法"),
        ("（3）対象となる医療機関", "対象となる医療機関"),
        ("第4 補助の内容", "補助の内容"),
        ("①申請書の送付先", "申請書の送付先"),
        ("追加補助の締切", "追加補助の締切"),
        ("12", "12"),
    ] {
        assert_eq!(without_numbering(heading), topic, "{heading}");
    }
}

#[test]
fn html_headings_paragraphs_tables_and_entities() {
    let html = "<html><head><style>p{color:red}</style><script>var a='<p>';</script></head>\
        <body><h1>お知らせ &amp; 案内</h1><p>令和3年3月3日</p><p>締切は\n令和3年3月31日です。</p>\
        <table><tr><th>区分</th><th>上限</th></tr><tr><td>病院</td><td>3台</td></tr></table>\
        <h2>2 問い合わせ先</h2><p>電話&#12288;0800-0804583</p></body></html>";
    let blocks = html_blocks(html);
    assert_eq!(
        blocks,
        vec![
            Block::Heading("お知らせ & 案内".into()),
            Block::Paragraph("令和3年3月3日".into()),
            Block::Paragraph("締切は 令和3年3月31日です。".into()),
            Block::Table(vec![
                vec!["区分".into(), "上限".into()],
                vec!["病院".into(), "3台".into()]
            ]),
            Block::Heading("2 問い合わせ先".into()),
            Block::Paragraph("電話 0800-0804583".into()),
        ]
    );
    assert_eq!(issued(&blocks), NaiveDate::from_ymd_opt(2021, 3, 3));
}

#[test]
fn pdf_like_text_finds_numbered_headings_and_joins_wrapped_lines() {
    let text = "事務連絡\n\n1 追加補助について\n\nオンライン資格確認の導入に向けて、\n申請は令和3年3月31日が締切です。\n\n【問い合わせ先】\n\nE-mail: a@b.jp";
    let blocks = text_blocks(text);
    assert_eq!(blocks[1], Block::Heading("1 追加補助について".into()));
    assert_eq!(
        blocks[2],
        Block::Paragraph(
            "オンライン資格確認の導入に向けて、申請は令和3年3月31日が締切です。".into()
        )
    );
    assert_eq!(blocks[3], Block::Heading("【問い合わせ先】".into()));
    // A sentence is not a heading, however short.
    assert_eq!(
        text_blocks("1 はい。")[0],
        Block::Paragraph("1 はい。".into())
    );
}

#[test]
fn proposals_are_a_notice_and_faqs_that_need_review() {
    let blocks = vec![
        Block::Paragraph("令和3年3月3日".into()),
        Block::Heading("1 追加補助の締切について".into()),
        Block::Paragraph("申請は令和3年3月31日が締切です。".into()),
        Block::Table(vec![
            vec!["区分".into(), "上限".into()],
            vec!["病院".into(), "3台".into()],
        ]),
    ];
    let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
    let files = propose("seed.pdf", "seed", &blocks, today);
    // A table keeps its header row as Markdown marks one.
    assert!(
        files[0]
            .text
            .contains("| 区分 | 上限 |\n| --- | --- |\n| 病院 | 3台 |"),
        "{}",
        files[0].text
    );
    assert_eq!(files[0].path, "notices/seed.md");
    assert!(files[0].text.contains("issued = \"2021-03-03\""));
    assert!(files[0].text.contains("## 1 追加補助の締切について {#s2}"));
    assert!(files.iter().all(|f| f.text.contains("needs_review = ")));
    assert_eq!(files[1].path, "faq/seed-s2.md");
    assert!(
        files[1]
            .text
            .contains("title = \"追加補助の締切について教えてください\"")
    );
    assert!(files[1].text.contains("sources = [\"notice-seed#s2\"]"));
    assert_eq!(id_from_name("R3 通知_0303.PDF", today), "r3-0303");
    assert_eq!(id_from_name("通知.pdf", today), "import-20261124");
}
