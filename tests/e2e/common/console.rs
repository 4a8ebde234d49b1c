//! The agent console as a test signs in to it: accounts made with the real CLI, and a
//! client that carries the session cookie and the CSRF token.

use std::io::Write;

use serde_json::{Value, json};

use super::{Database, Env, Server};

pub const PASSWORD: &str = "a long enough password";

pub fn add_user(env: &Env, db: &Database, name: &str, role: &str) {
    add_user_with(env, db, &["user", "add", name, "--role", role]);
}

/// An agent whose replies users see under `shown`.
pub fn add_agent_shown_as(env: &Env, db: &Database, name: &str, shown: &str) {
    add_user_with(
        env,
        db,
        &[
            "user",
            "add",
            name,
            "--role",
            "agent",
            "--display-name",
            shown,
        ],
    );
}

fn add_user_with(env: &Env, db: &Database, args: &[&str]) {
    let mut command = env.command();
    for (k, v) in db.env() {
        command.env(k, v);
    }
    let mut child = command
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", super::stderr(&out));
}

/// A signed-in console client: its cookie and CSRF token.
pub struct Agent<'a> {
    pub server: &'a Server,
    pub cookie: String,
    pub csrf: String,
}

impl<'a> Agent<'a> {
    pub fn sign_in(server: &'a Server, name: &str) -> Agent<'a> {
        let response = server.post_json(
            "/agent/api/login",
            &json!({"name": name, "password": PASSWORD}),
        );
        assert_eq!(response.status(), 200);
        let set_cookie = response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"));
        let cookie = set_cookie.split(';').next().unwrap().to_string();
        let body: Value = response.json().unwrap();
        Agent {
            server,
            cookie,
            csrf: body["csrf"].as_str().unwrap().to_string(),
        }
    }

    pub fn get(&self, path: &str) -> reqwest::blocking::Response {
        self.server
            .client
            .get(self.server.url(path))
            .header("cookie", &self.cookie)
            .send()
            .unwrap()
    }

    pub fn put(&self, path: &str, body: Value) -> reqwest::blocking::Response {
        self.server
            .client
            .put(self.server.url(path))
            .header("cookie", &self.cookie)
            .header("x-csrf-token", &self.csrf)
            .json(&body)
            .send()
            .unwrap()
    }

    pub fn post(&self, path: &str, body: Value) -> reqwest::blocking::Response {
        self.server
            .client
            .post(self.server.url(path))
            .header("cookie", &self.cookie)
            .header("x-csrf-token", &self.csrf)
            .json(&body)
            .send()
            .unwrap()
    }

    pub fn delete(&self, path: &str) -> reqwest::blocking::Response {
        self.server
            .client
            .delete(self.server.url(path))
            .header("cookie", &self.cookie)
            .header("x-csrf-token", &self.csrf)
            .send()
            .unwrap()
    }
}

/// On a thread: the first `n` events of a Server-Sent Events stream named `only` (any name
/// when `None`), as (name, data).
pub fn read_events(
    stream: reqwest::blocking::Response,
    n: usize,
    only: Option<&'static str>,
) -> std::thread::JoinHandle<Vec<(String, Value)>> {
    read_events_where(stream, n, move |name, _| only.is_none_or(|o| o == name))
}

/// On a thread: the first `n` events of a Server-Sent Events stream that `keep` keeps.
pub fn read_events_where(
    stream: reqwest::blocking::Response,
    n: usize,
    keep: impl Fn(&str, &Value) -> bool + Send + 'static,
) -> std::thread::JoinHandle<Vec<(String, Value)>> {
    use std::io::{BufRead, BufReader};
    std::thread::spawn(move || {
        let mut name = String::new();
        let mut found = Vec::new();
        for line in BufReader::new(stream).lines() {
            let line = line.unwrap();
            if let Some(event) = line.strip_prefix("event:") {
                name = event.trim().to_string();
            } else if let Some(data) = line.strip_prefix("data:") {
                let data: Value = serde_json::from_str(data.trim()).unwrap();
                if !keep(&name, &data) {
                    continue;
                }
                found.push((name.clone(), data));
                if found.len() == n {
                    return found;
                }
            }
        }
        panic!("the event stream ended after {found:?}");
    })
}
