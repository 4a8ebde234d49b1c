//! Account management by admins, end to end on SQLite and PostgreSQL: the list with each
//! account's state, disabling (sessions end, no sign-in, no tickets handed to it) and
//! enabling, a new password shown once (the old one and the lock gone).

use serde_json::{Value, json};

use crate::common::console::{Agent, PASSWORD, add_user};
use crate::common::{Database, Env, Server};

on_both_databases!(admins_list_disable_enable_and_reset_accounts);

fn sign_in(server: &Server, name: &str, password: &str) -> reqwest::blocking::Response {
    server.post_json(
        "/agent/api/login",
        &json!({"name": name, "password": password}),
    )
}

fn account<'a>(users: &'a Value, name: &str) -> &'a Value {
    users["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == name)
        .unwrap_or_else(|| panic!("{name} in {users}"))
}

fn admins_list_disable_enable_and_reset_accounts(db: &Database) {
    let env = Env::new();
    add_user(&env, db, "sato", "agent");
    add_user(&env, db, "kanri", "admin");
    let mut settings = db.env();
    settings.push(("SHIKAKU_RATE_LIMIT", "0"));
    let server = Server::start(&env, &settings);
    let sato = Agent::sign_in(&server, "sato");
    let admin = Agent::sign_in(&server, "kanri");

    // Only admins manage accounts.
    assert_eq!(sato.get("/agent/api/users").status(), 403);
    let r = sato.put("/agent/api/users/kanri/disabled", json!({"disabled": true}));
    assert_eq!(r.status(), 403);
    assert_eq!(
        sato.post("/agent/api/users/kanri/password", json!({}))
            .status(),
        403
    );

    let users: Value = admin.get("/agent/api/users").json().unwrap();
    let listed = account(&users, "sato");
    assert_eq!(listed["role"], "agent");
    assert_eq!(listed["disabled"], false);
    assert_eq!(listed["locked"], false);

    // Disabled: the session ends, signing in answers as for an unknown name, and no ticket
    // can be handed to the account.
    let r = admin.put("/agent/api/users/sato/disabled", json!({"disabled": true}));
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().unwrap(),
        json!({"name": "sato", "disabled": true})
    );
    assert_eq!(sato.get("/agent/api/tickets").status(), 401);
    let refused = sign_in(&server, "sato", PASSWORD);
    assert_eq!(refused.status(), 401);
    let unknown = sign_in(&server, "nobody", PASSWORD);
    assert_eq!(
        refused.json::<Value>().unwrap(),
        unknown.json::<Value>().unwrap()
    );
    let agents: Value = admin.get("/agent/api/agents").json().unwrap();
    assert_eq!(agents["agents"], json!(["kanri"]));
    let users: Value = admin.get("/agent/api/users").json().unwrap();
    assert_eq!(account(&users, "sato")["disabled"], true);

    // Enabled again; then locked by wrong passwords, and a reset unlocks it.
    let r = admin.put("/agent/api/users/sato/disabled", json!({"disabled": false}));
    assert_eq!(r.status(), 200);
    let again = Agent::sign_in(&server, "sato");
    for _ in 0..5 {
        sign_in(&server, "sato", "wrong password!");
    }
    assert_eq!(sign_in(&server, "sato", PASSWORD).status(), 429);
    let users: Value = admin.get("/agent/api/users").json().unwrap();
    assert_eq!(account(&users, "sato")["locked"], true);
    let r = admin.post("/agent/api/users/sato/password", json!({}));
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let reset: Value = r.json().unwrap();
    let password = reset["password"].as_str().unwrap().to_string();
    assert!(password.chars().count() >= 12, "{reset}");
    // The old sessions and password are gone; the new one signs in.
    assert_eq!(again.get("/agent/api/tickets").status(), 401);
    assert_eq!(sign_in(&server, "sato", PASSWORD).status(), 401);
    assert_eq!(sign_in(&server, "sato", &password).status(), 200);
    let users: Value = admin.get("/agent/api/users").json().unwrap();
    assert_eq!(account(&users, "sato")["locked"], false);

    // Not one's own account, not an unknown one, not without the CSRF token.
    let r = admin.put("/agent/api/users/kanri/disabled", json!({"disabled": true}));
    assert_eq!(r.status(), 409);
    // Nor one's own password: it would end the session that asks (the fuzzer, following
    // the users' list, signed its own admin out that way).
    let r = admin.post("/agent/api/users/kanri/password", json!({}));
    assert_eq!(r.status(), 409);
    assert_eq!(admin.get("/agent/api/me").status(), 200);
    let r = admin.put(
        "/agent/api/users/nobody/disabled",
        json!({"disabled": true}),
    );
    assert_eq!(r.status(), 404);
    assert_eq!(
        admin
            .post("/agent/api/users/nobody/password", json!({}))
            .status(),
        404
    );
    let r = admin.put("/agent/api/users/sato/disabled", json!({"disabled": "yes"}));
    assert_eq!(r.status(), 422);
    let no_csrf = server
        .client
        .put(server.url("/agent/api/users/sato/disabled"))
        .header("cookie", &admin.cookie)
        .json(&json!({"disabled": true}))
        .send()
        .unwrap();
    assert_eq!(no_csrf.status(), 403);
    let users: Value = admin.get("/agent/api/users").json().unwrap();
    assert_eq!(account(&users, "sato")["disabled"], false);
}
