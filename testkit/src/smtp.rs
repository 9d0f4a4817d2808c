//! A tiny SMTP server that accepts every message and keeps it, so tests can
//! check what the store mailed. Plain SMTP only (no TLS, no auth).

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
    task::JoinHandle,
};

/// One message as it arrived.
#[derive(Debug, Clone, PartialEq)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    /// Headers and body, as sent after `DATA`.
    pub data: String,
}

pub struct SmtpRecorder {
    port: u16,
    mails: Arc<Mutex<Vec<Mail>>>,
    server: JoinHandle<()>,
}

impl Drop for SmtpRecorder {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl SmtpRecorder {
    /// Listens on a free local port.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the SMTP recorder");
        let port = listener.local_addr().expect("bound address").port();
        let mails = Arc::new(Mutex::new(Vec::new()));
        let server = tokio::spawn({
            let mails = mails.clone();
            async move {
                while let Ok((stream, _)) = listener.accept().await {
                    tokio::spawn(serve(stream, mails.clone()));
                }
            }
        });
        Self {
            port,
            mails,
            server,
        }
    }

    /// The URL to hand the store (`AUTOMAT_SMTP_URL`).
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.mails.lock().expect("mails lock").clone()
    }

    /// The messages to `recipient`, waiting up to `within` for at least `count`.
    pub async fn wait_for(&self, recipient: &str, count: usize, within: Duration) -> Vec<Mail> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let found: Vec<Mail> = self
                .mails()
                .into_iter()
                .filter(|m| m.to.iter().any(|t| t == recipient))
                .collect();
            if found.len() >= count || tokio::time::Instant::now() >= deadline {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// One SMTP conversation; a broken one simply ends.
async fn serve(stream: TcpStream, mails: Arc<Mutex<Vec<Mail>>>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    let mut reply = async |text: &str| write.write_all(format!("{text}\r\n").as_bytes()).await;
    if reply("220 recorder ESMTP").await.is_err() {
        return;
    }
    let (mut from, mut to) = (String::new(), Vec::new());
    while let Ok(Some(line)) = lines.next_line().await {
        let upper = line.to_ascii_uppercase();
        let answer = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            "250 recorder"
        } else if upper.starts_with("MAIL FROM:") {
            from = address(&line["MAIL FROM:".len()..]);
            "250 OK"
        } else if upper.starts_with("RCPT TO:") {
            to.push(address(&line["RCPT TO:".len()..]));
            "250 OK"
        } else if upper == "DATA" {
            if reply("354 end with <CRLF>.<CRLF>").await.is_err() {
                return;
            }
            let mut data = Vec::new();
            while let Ok(Some(line)) = lines.next_line().await {
                if line == "." {
                    break;
                }
                // Dot-stuffing: a leading "." was doubled by the sender.
                data.push(line.strip_prefix('.').map_or(line.clone(), str::to_owned));
            }
            mails.lock().expect("mails lock").push(Mail {
                from: std::mem::take(&mut from),
                to: std::mem::take(&mut to),
                data: data.join("\r\n"),
            });
            "250 OK queued"
        } else if upper == "QUIT" {
            let _ = reply("221 bye").await;
            return;
        } else {
            // RSET, NOOP and anything else.
            "250 OK"
        };
        if reply(answer).await.is_err() {
            return;
        }
    }
}

fn address(raw: &str) -> String {
    raw.trim()
        .trim_start_matches('<')
        .split('>')
        .next()
        .unwrap_or_default()
        .to_owned()
}
