//! A Mosquitto of the test's own, on a free port, with a password file and
//! an ACL file, so a test can show what the broker lets devices do. The
//! machine's shared Mosquitto (port 1883) is never reconfigured.

use std::{
    net::TcpStream,
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

const MOSQUITTO: &str = "/usr/sbin/mosquitto";
const MOSQUITTO_PASSWD: &str = "/usr/bin/mosquitto_passwd";

pub struct Mosquitto {
    pub port: u16,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether the Mosquitto binaries are installed; under `CI=true` their
/// absence is a failure, never a silent skip.
pub fn installed() -> bool {
    let found = Path::new(MOSQUITTO).exists() && Path::new(MOSQUITTO_PASSWD).exists();
    if !found {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{MOSQUITTO} and {MOSQUITTO_PASSWD} are needed, and CI=true requires them");
        }
        eprintln!(
            "WARNING: {MOSQUITTO} is not installed; tests that start their own Mosquitto are SKIPPED"
        );
    }
    found
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

impl Mosquitto {
    /// Starts Mosquitto on `port` accepting only `users` (name, password),
    /// with `acl` as its ACL file, and waits until it listens.
    pub fn start(port: u16, users: &[(&str, &str)], acl: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let passwords = dir.path().join("passwd");
        for (n, (user, password)) in users.iter().enumerate() {
            let mut passwd = Command::new(MOSQUITTO_PASSWD);
            if n == 0 {
                passwd.arg("-c");
            }
            let status = passwd
                .arg("-b")
                .arg(&passwords)
                .arg(user)
                .arg(password)
                .stdout(Stdio::null())
                .status()
                .expect("run mosquitto_passwd");
            assert!(status.success(), "mosquitto_passwd failed for {user}");
        }
        let acl_file = dir.path().join("acl");
        std::fs::write(&acl_file, acl).expect("write the ACL file");
        let config = dir.path().join("mosquitto.conf");
        std::fs::write(
            &config,
            format!(
                "listener {port} 127.0.0.1\n\
                 allow_anonymous false\n\
                 password_file {}\n\
                 acl_file {}\n\
                 persistence false\n\
                 log_dest stderr\n\
                 # Started as root it would switch to the mosquitto user, who cannot read the temp dir.\n\
                 user root\n",
                passwords.display(),
                acl_file.display()
            ),
        )
        .expect("write the config");
        let mut child = Command::new(MOSQUITTO)
            .arg("-c")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start mosquitto");
        let deadline = Instant::now() + Duration::from_secs(5);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("mosquitto exited at start ({status}); config {config:?}");
            }
            assert!(
                Instant::now() < deadline,
                "mosquitto did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            port,
            child,
            _dir: dir,
        }
    }
}
