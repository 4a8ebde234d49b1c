use super::*;
use crate::settings::channels::ChannelsConfig;

fn line() -> Line {
    let config = ChannelsConfig::load(|name| match name {
        "SHIKAKU_LINE_CHANNEL_SECRET" => Some("secret".into()),
        "SHIKAKU_LINE_CHANNEL_ACCESS_TOKEN" => Some("token".into()),
        _ => None,
    })
    .unwrap();
    Line::new(
        config.line.unwrap(),
        Some("https://portal.example.jp".into()),
    )
    .unwrap()
}

fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

#[test]
fn signatures_are_checked_against_the_raw_body() {
    let line = line();
    let body = br#"{"destination":"U1","events":[]}"#;
    assert!(line.verify(body, Some(&sign("secret", body))));
    assert!(!line.verify(body, Some(&sign("other", body))));
    assert!(!line.verify(
        b"{\"destination\":\"U1\",\"events\":[ ]}",
        Some(&sign("secret", body))
    ));
    assert!(!line.verify(body, None));
    assert!(!line.verify(body, Some("not base64!")));
}

#[test]
fn an_agent_reply_is_marked_as_a_person_and_split() {
    const AGENT_HEADING: &str = "【担当者からの返信】";
    let line = line();
    let text = "ご確認ありがとうございます。".repeat(500);
    let messages = line.messages(&Outbound::Agent {
        text: text.clone(),
        author: None,
    });
    assert!(messages.len() >= 2);
    let first = messages[0]["text"].as_str().unwrap();
    assert!(first.starts_with(AGENT_HEADING));
    let joined: String = messages
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(joined, format!("{AGENT_HEADING}\n{text}"));
    assert!(
        messages
            .iter()
            .all(|m| crate::channels::render::units(m["text"].as_str().unwrap()) <= MAX_TEXT)
    );
    // Under the name the agent gives users, when they gave one.
    let named = line.messages(&Outbound::Agent {
        text: "お待たせしました。".into(),
        author: Some("佐藤".into()),
    });
    assert_eq!(
        named[0]["text"],
        "【担当者（佐藤）からの返信】\nお待たせしました。"
    );
}
