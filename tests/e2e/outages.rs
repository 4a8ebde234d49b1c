//! The database failing under the running service: a full disk (SQLite) and a stopped
//! server (PostgreSQL). The user is told at once, with the call center's number; nothing
//! half-written stays behind; the service recovers by itself once the database is back.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::{Env, Server};

/// The call center's number, from the knowledge base.
const PHONE: &str = "0800-0804583";

/// A full disk (a small tmpfs: needs root, as CI runs; elsewhere the test says so and
/// stops): the user gets a 503 with the call center's number, `/readyz` says not ready, and
/// once the disk is freed the service recovers by itself, with no restart.
#[test]
fn a_full_disk_is_a_clear_503_and_the_service_recovers_when_it_is_freed() {
    let dir = tempfile::tempdir().unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=3m", "tmpfs"])
        .arg(dir.path())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("SKIPPED: cannot mount a tmpfs here (not root)");
        return;
    }
    struct Unmount<'a>(&'a Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(self.0).status();
        }
    }
    let _unmount = Unmount(dir.path());
    let env = Env::new();
    let url = format!("sqlite://{}", dir.path().join("shikaku.db").display());
    let server = Server::start(&env, &[("DATABASE_URL", &url), ("SHIKAKU_RATE_LIMIT", "0")]);
    assert_eq!(server.get("/readyz").status(), 200);
    let filler = dir.path().join("filler");
    let _ = std::fs::write(&filler, vec![0u8; 3 * 1024 * 1024]);
    let long = "締切はいつですか。".repeat(200);
    let mut refused = None;
    for _ in 0..200 {
        let r = server.post_json("/api/v1/chat", &json!({"message": long}));
        if r.status() != 200 {
            refused = Some(r);
            break;
        }
    }
    let refused = refused.expect("the disk filled");
    assert_eq!(refused.status(), 503);
    let body: Value = refused.json().unwrap();
    assert_eq!(body["error"]["code"], "storage_unavailable", "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains(PHONE),
        "{body}"
    );
    assert_eq!(server.get("/readyz").status(), 503);

    std::fs::remove_file(&filler).unwrap();
    for i in 0..20 {
        let r = server.post_json("/api/v1/chat", &json!({"message": "締切はいつですか"}));
        assert_eq!(
            r.status(),
            200,
            "request {i} after the disk was freed: {:?}",
            r.text()
        );
    }
    assert_eq!(server.get("/readyz").status(), 200);
}

/// A PostgreSQL server of the test's own (its own folder and port), so that stopping it
/// disturbs no other test. `None` where it cannot be made here: initdb must run as the
/// `postgres` user, so this needs root and Debian's postgresql, as CI has.
struct OwnPostgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
}

impl OwnPostgres {
    fn start() -> Option<OwnPostgres> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .filter(|b| b.join("initdb").is_file())
            .max()?;
        let dir = tempfile::tempdir().ok()?;
        let owned = Command::new("chown")
            .args(["postgres:postgres"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        if !owned {
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let postgres = OwnPostgres { dir, bin, port };
        let data = postgres.data();
        let made = postgres
            .as_postgres("initdb")
            .args(["-A", "trust", "-U", "postgres", "--no-sync", "-D"])
            .arg(&data)
            .output()
            .is_ok_and(|o| o.status.success());
        (made && postgres.pg_ctl("start")).then_some(postgres)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn as_postgres(&self, program: &str) -> Command {
        let mut command = Command::new("runuser");
        command
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join(program));
        command
    }

    /// `pg_ctl start` or `stop` (immediate: as a crash or a pulled cable), waiting for it.
    fn pg_ctl(&self, action: &str) -> bool {
        let mut command = self.as_postgres("pg_ctl");
        command
            .arg("-D")
            .arg(self.data())
            .args(["-w", "-m", "immediate"]);
        if action == "start" {
            let options = format!(
                "-p {} -k {} -c listen_addresses=127.0.0.1",
                self.port,
                self.dir.path().display()
            );
            command
                .args(["-o", &options, "-l"])
                .arg(self.dir.path().join("log"));
        }
        command
            .arg(action)
            .output()
            .is_ok_and(|o| o.status.success())
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        self.pg_ctl("stop");
    }
}

/// How long a request took, and its response.
fn timed(
    request: impl FnOnce() -> reqwest::blocking::Response,
) -> (Duration, reqwest::blocking::Response) {
    let start = Instant::now();
    let response = request();
    (start.elapsed(), response)
}

fn assert_told_to_call(response: reqwest::blocking::Response) {
    assert_eq!(response.status(), 503);
    let body: Value = response.json().unwrap();
    assert_eq!(body["error"]["code"], "storage_unavailable", "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains(PHONE),
        "{body}"
    );
}

/// PostgreSQL stopped mid-traffic: chat and handoff fail fast (before: each request hung
/// ~10 s, and a handoff was a 500) with the call center's number, `/readyz` says not ready;
/// once PostgreSQL is started again the service recovers within seconds, with no restart.
#[test]
fn postgres_stopped_fails_fast_with_the_phone_number_and_the_service_recovers() {
    let Some(postgres) = OwnPostgres::start() else {
        eprintln!("SKIPPED: cannot start a PostgreSQL server of the test's own here (needs root)");
        return;
    };
    let env = Env::new();
    let url = postgres.url();
    let server = Server::start(&env, &[("DATABASE_URL", &url), ("SHIKAKU_RATE_LIMIT", "0")]);
    let asked = server.post_json("/api/v1/chat", &json!({"message": "締切はいつですか"}));
    assert_eq!(asked.status(), 200);
    let session = asked.json::<Value>().unwrap()["session_id"].clone();

    assert!(postgres.pg_ctl("stop"), "stopping PostgreSQL");
    for body in [
        json!({"message": "締切はいつですか"}),
        json!({"session_id": session, "message": "診療所は？"}),
    ] {
        let (took, response) = timed(|| server.post_json("/api/v1/chat", &body));
        assert!(took < Duration::from_secs(5), "chat took {took:?}");
        assert_told_to_call(response);
    }
    let (took, response) = timed(|| {
        server.post_json(
            "/api/v1/handoff",
            &json!({"facility_name": "停電クリニック"}),
        )
    });
    assert!(took < Duration::from_secs(5), "handoff took {took:?}");
    assert_told_to_call(response);
    assert_eq!(server.get("/readyz").status(), 503);

    assert!(postgres.pg_ctl("start"), "starting PostgreSQL again");
    let back = Instant::now();
    loop {
        let r = server.post_json(
            "/api/v1/chat",
            &json!({"session_id": session, "message": "締切はいつですか"}),
        );
        if r.status() == 200 {
            break;
        }
        assert!(
            back.elapsed() < Duration::from_secs(20),
            "not recovered 20 s after PostgreSQL came back: {} {:?}",
            r.status(),
            r.text()
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    assert_eq!(server.get("/readyz").status(), 200);
    let ticket = server.post_json(
        "/api/v1/handoff",
        &json!({"session_id": session, "facility_name": "停電クリニック"}),
    );
    assert_eq!(ticket.status(), 201);
}
