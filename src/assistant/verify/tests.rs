use super::*;

const SOURCE: &[&str] = &[
    "顔認証付きカードリーダーの申請は令和3年3月31日が締切です。病院は最高3台、診療所・薬局は1台申込みができます。",
    "オンライン資格確認等コールセンター 0800-0804583（通話無料）月～金：8:00-18:00 土：8:00-16:00",
    "申請書での申込みは、ポータルサイトでの申込みと比較し、2か月程度遅くなる可能性があります。",
    "富士通 Caora、キャノン Hi-CARA。受付完了のお知らせはメールで行います（令和3年5～6月頃）。contact@iryohokenjyoho-portalsite.jp",
    "カードの顔写真を機器で確認します。※顔写真は機器に保存されません。",
];

fn check(draft: &str) -> Result<(), Rejection> {
    verify(draft, "質問", &Evidence::new(SOURCE), &[])
}

#[test]
fn drafts_that_pass() {
    for draft in [
        "申請は令和3年3月31日が締切です。",
        "申請は2021年3月31日が締切です。",
        "申請は３月３１日が締切です。",
        "顔認証付きカードリーダーの申請は3/31が締切です。",
        "オンライン資格確認等コールセンターは0800-0804583です。月～金は8:00-18:00、土は8:00-16:00です。",
        "病院は最高3台、診療所・薬局は1台申込みができます。",
        "申請書での申込みは、ポータルサイトでの申込みと比較し、2ヶ月程度遅くなる可能性があります。",
        "キャノンはHi-CARAです。",
        "受付完了のお知らせは令和3年5月から6月頃メールで行います。",
        "顔写真は機器に保存されません。",
    ] {
        assert_eq!(check(draft), Ok(()), "{draft}");
    }
}

#[test]
fn drafts_that_fail() {
    for (draft, kind) in [
        ("申込締切は令和4年3月31日です。", "unsupported_fact"),
        ("申込締切は2022年3月31日です。", "unsupported_fact"),
        ("申込締切は令和3年3月30日です。", "unsupported_fact"),
        ("コールセンターは0800-0804538です。", "unsupported_fact"),
        ("カードリーダーの価格は5万円です。", "unsupported_fact"),
        ("病院は5台まで申し込めます。", "unsupported_fact"),
        ("受付は9:00からです。", "unsupported_fact"),
        ("富士通の製品はCaora Proです。", "unsupported_fact"),
        ("ソニーのリーダーも選べます。", "unsupported_fact"),
        ("締切は3月31日で", "cut_off"),
        ("", "empty"),
        ("The deadline is March 31.", "not_japanese"),
        ("締切は3月31日です。締切は3月31日です。", "repeated"),
        ("お問い合わせは0120-00-0000まで。", "unsupported_fact"),
        ("約7日間かかります。", "unsupported_fact"),
        ("はい。", "uninformative"),
        // Seen from the model: a negation flipped, and the question echoed back.
        ("顔写真の確認は、機器に保存されます。", "ungrounded"),
        (
            "郵送で申請した場合、ポータルより何か月遅れますか。",
            "ungrounded",
        ),
        (
            "申請書での申込みは、時間がかかるため、お電話でご相談ください。",
            "ungrounded",
        ),
        ("郵送の場合はお電話でご相談ください。", "ungrounded"),
        ("病院は最高3台申込みができません。", "ungrounded"),
    ] {
        let got = check(draft);
        assert_eq!(
            got.as_ref().map_err(Rejection::kind),
            Err(kind),
            "{draft}: {got:?}"
        );
    }
}

#[test]
fn a_fact_must_be_about_what_was_asked() {
    let evidence = Evidence::new(&[
        "事務連絡（令和3年3月3日）。",
        "申請は令和3年3月31日が締切です。",
    ]);
    let date = verify("令和3年3月31日。", "この事務連絡の日付は", &evidence, &[]);
    assert_eq!(date.map_err(|r| r.kind()), Err("unrelated_fact"));
    assert_eq!(
        verify(
            "令和3年3月3日です。",
            "この事務連絡の日付は",
            &evidence,
            &[]
        ),
        Ok(())
    );
    assert_eq!(
        verify("締切は令和3年3月31日です。", "いつまで", &evidence, &[]),
        Ok(())
    );
}

/// (source, draft, what the verifier says), the sources in the knowledge base's words.
#[test]
fn a_claim_keeps_the_condition_its_source_attaches_to_it() {
    const SELF_PAY: &str = "顔認証付きカードリーダーを令和3年3月31日までに申し込むと、補助上限額までは自己負担0円となります。";
    const FULL: &str = "令和3年3月末までに顔認証付きカードリーダーを申し込むと、補助上限額まで全額補助することとされています。";
    const REQUIREMENT: &str = "追加補助の対象要件は、顔認証付きカードリーダーを令和3年3月31日までに申し込むことです。既に申請済みの医療機関等も追加補助の対象となります。";
    const POSTMARK: &str =
        "郵便局の消印の日付が令和3年3月31日までであれば、受付締切に間に合う扱いです。";
    const BY_MAIL: &str = "インターネットでの回答が難しい場合は、調査票の裏面を使い、同封の返信用封筒の「オンライン資格確認導入意向調査在中」に○をつけて、切手を貼って郵送してください。";
    const PLANNED: &str =
        "「未導入（導入予定あり）」を選んだ場合は、導入予定の年・月を西暦で記入します。";
    const CONSENT: &str = "同意をすれば、初めての医療機関等でも、今までに使った正確な薬の情報が医師等と共有できます。";
    const PRIVACY: &str = "本調査は、オンライン資格確認普及促進に向けての対応にのみ使用し、他の目的には使用しません。";
    const PAPER: &str = "紙の申請書で申し込んだ場合でも、顔認証付きカードリーダーの受付が完了した旨のお知らせをメールで行います（令和3年5～6月頃）。";
    const DELAY: &str = "申請書での申込みは、受付から発注処理までに時間を要するため、顔認証付きカードリーダーのお届けが、ポータルサイトでの申込みと比べて2か月程度遅くなる可能性があります。";
    let dropped = Err("dropped_condition");
    for (source, draft, want) in [
        // Seen from the model: the deadline left out.
        (SELF_PAY, "自己負担なしで入ることができます。", dropped),
        (SELF_PAY, "補助上限額までは自己負担0円となります。", dropped),
        (
            SELF_PAY,
            "令和3年3月31日までに申し込むと、補助上限額までは自己負担0円となります。",
            Ok(()),
        ),
        (
            SELF_PAY,
            "3月31日までに申し込めば、自己負担0円で導入できます。",
            Ok(()),
        ),
        (
            SELF_PAY,
            "2021年3月31日までに申し込むと、自己負担0円です。",
            Ok(()),
        ),
        (
            SELF_PAY,
            "3/31までに申し込むと、補助上限額までは自己負担0円となります。",
            Ok(()),
        ),
        (
            FULL,
            "顔認証付きカードリーダーを申し込むと、補助上限額まで全額補助されます。",
            dropped,
        ),
        (
            FULL,
            "3月中に顔認証付きカードリーダーを申し込むと、全額補助されます。",
            Ok(()),
        ),
        (
            SELF_PAY,
            "締切日までに顔認証付きカードリーダーを申し込むと、補助上限額までは自己負担0円となります。",
            Ok(()),
        ),
        (
            REQUIREMENT,
            "追加補助の対象要件は、顔認証付きカードリーダーを申し込むことです。",
            dropped,
        ),
        (
            REQUIREMENT,
            "追加補助の対象要件は、令和3年3月31日までに申し込むことです。",
            Ok(()),
        ),
        // The other sentence says it unconditionally.
        (
            REQUIREMENT,
            "既に申請済みの医療機関等も追加補助の対象となります。",
            Ok(()),
        ),
        (
            POSTMARK,
            "消印があれば、受付締切に間に合う扱いです。",
            dropped,
        ),
        (POSTMARK, "受付締切に間に合う扱いです。", dropped),
        (
            POSTMARK,
            "3月31日までの消印であれば、受付締切に間に合います。",
            Ok(()),
        ),
        (
            BY_MAIL,
            "調査票の裏面を使い、切手を貼って郵送してください。",
            dropped,
        ),
        (
            BY_MAIL,
            "ネットでの回答が難しいときは、調査票の裏面を使い、切手を貼って郵送してください。",
            Ok(()),
        ),
        (
            BY_MAIL,
            "インターネットでの回答が難しい場合は、調査票の裏面を使って郵送してください。",
            Ok(()),
        ),
        (PLANNED, "導入予定の年・月を西暦で記入します。", dropped),
        (
            PLANNED,
            "導入予定がある場合は、導入予定の年・月を西暦で記入します。",
            Ok(()),
        ),
        (
            CONSENT,
            "初めての医療機関等でも、薬の情報が医師等と共有できます。",
            dropped,
        ),
        (
            CONSENT,
            "同意すれば、初めての医療機関等でも、薬の情報が医師等と共有できます。",
            Ok(()),
        ),
        // A restriction inside a clause governs that clause only.
        (PRIVACY, "回答は他の目的には使用しません。", Ok(())),
        // 「場合でも」 widens the claim, and 「発注処理までに」 is no deadline.
        (
            PAPER,
            "受付が完了した旨のお知らせはメールで行います（令和3年5～6月頃）。",
            Ok(()),
        ),
        (
            DELAY,
            "申請書での申込みは、ポータルサイトでの申込みと比べて2か月程度遅くなる可能性があります。",
            Ok(()),
        ),
    ] {
        let got = verify(draft, "質問", &Evidence::new(&[source]), &[]);
        assert_eq!(
            got.as_ref().map(|_| ()).map_err(Rejection::kind),
            want,
            "{draft} ({source}): {got:?}"
        );
    }
    assert_eq!(
        verify(
            "自己負担なしで入ることができます。",
            "質問",
            &Evidence::new(&[SELF_PAY]),
            &[]
        ),
        Err(Rejection::DroppedCondition(
            "顔認証付きカードリーダーを令和3年3月31日までに".into()
        ))
    );
}

#[test]
fn what_counts_as_a_condition() {
    for (sentence, want) in [
        (
            "顔認証付きカードリーダーを令和3年3月31日までに申し込むと、自己負担0円となります",
            vec!["顔認証付きカードリーダーを令和3年3月31日までに"],
        ),
        (
            "付き合いのある業者がない場合は、お問い合わせ先を参照してください",
            vec!["付き合いのある業者がない場合は"],
        ),
        ("病院に限り、3台まで申し込めます", vec!["病院に限り"]),
        ("同意をすれば、薬の情報が共有できます", vec!["同意をすれば"]),
        (
            "消印が3月31日までであれば、間に合います",
            vec!["消印が3月31日までであれば"],
        ),
        (
            "本調査は、対応にのみ使用し、他の目的には使用しません",
            vec!["対応にのみ"],
        ),
        // No conditions: a wider claim, a span of work, a manner, an example, a duty, advice.
        ("紙の申請書で申し込んだ場合でも、メールで届きます", vec![]),
        (
            "紙の申請書で申し込んだ場合も、アカウント登録をしてください",
            vec![],
        ),
        ("受付から発注処理までに時間を要します", vec![]),
        ("できる限り早く申し込んでください", vec![]),
        ("例えば、レセコンの業者に相談します", vec![]),
        ("申請書を記入しなければなりません", vec![]),
        ("どこに相談すればよいですか", vec![]),
    ] {
        let got: Vec<String> = conditions(sentence).into_iter().map(|c| c.text).collect();
        assert_eq!(got, want, "{sentence}");
    }
}

#[test]
fn a_draft_must_keep_the_curated_facts() {
    let evidence = Evidence::new(SOURCE);
    let (required, _) = facts("月～金：8:00-18:00");
    assert_eq!(
        verify(
            "コールセンターは月～金の8:00-18:00です。",
            "質問",
            &evidence,
            &required
        ),
        Ok(())
    );
    let got = verify(
        "コールセンターは月～金の8:00からです。",
        "質問",
        &evidence,
        &required,
    );
    assert_eq!(got, Err(Rejection::Dropped("18:00".into())));
}
