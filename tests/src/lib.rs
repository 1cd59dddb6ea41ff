//! The end-to-end harness: the local AWS emulator (moto plus trailguard's
//! stand-in for what moto lacks) on a free loopback port, SDK configuration
//! pointed at it, and helpers to write synthetic trails into it.
//!
//! Every [`Emulator`] is its own process, stopped when dropped, so tests run
//! in parallel without sharing state.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_s3::config::Credentials;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketVersioningStatus, ServerSideEncryption, VersioningConfiguration};
use trailguard::synth::{RegionKeys, SigningKey, SynthObject, TrailSpec};

/// The repository's root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// A running emulator; killed on drop.
pub struct Emulator {
    child: Child,
    url: String,
}

impl Emulator {
    /// Starts `tests/emulator/server.py` on a free port and waits until it
    /// listens. Panics with a hint when moto is not installed.
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// Starts with extra arguments (e.g. `--latency-ms 20`).
    pub fn start_with(args: &[&str]) -> Self {
        let python = std::env::var("TRAILGUARD_PYTHON").unwrap_or_else(|_| "python3".into());
        let mut child = Command::new(&python)
            .arg(repo_root().join("tests/emulator/server.py"))
            .args(["--host", "127.0.0.1", "--port", "0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {python}: {e}"));
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        let read = BufReader::new(stdout).read_line(&mut line);
        let Some(url) = line.trim().strip_prefix("READY ").map(str::to_string) else {
            let _ = child.kill();
            panic!(
                "the emulator did not start ({read:?}, {line:?}); install it with \
                 `pip install -r tests/emulator/requirements.txt`"
            );
        };
        Self { child, url }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// SDK configuration for the emulator: its endpoint, `us-east-1`, and
    /// dummy credentials.
    pub async fn sdk_config(&self) -> SdkConfig {
        self.sdk_config_as("us-east-1", "testing").await
    }

    /// An SDK configuration for another region and caller (the access key
    /// is the user name the emulator records in the event history).
    pub async fn sdk_config_as(&self, region: &str, access_key: &str) -> SdkConfig {
        // The functions' own timeouts (trailguard::aws::load_config's).
        aws_config::defaults(BehaviorVersion::latest())
            .timeout_config(trailguard::aws::timeouts(trailguard::aws::ATTEMPT_TIMEOUT))
            .endpoint_url(&self.url)
            .region(Region::new(region.to_string()))
            .credentials_provider(Credentials::new(
                access_key.to_string(),
                "testing",
                None,
                None,
                "trailguard-tests",
            ))
            .load()
            .await
    }

    /// Environment variables that point the SDK (and the AWS CLI) here.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.url.clone()),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_DEFAULT_REGION", "us-east-1".into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
            ("AWS_CONFIG_FILE", "/dev/null".into()),
            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".into()),
        ]
    }

    /// Runs `tests/emulator/guard_chain.py` against this emulator (the log
    /// bucket's settings and the functions' feeds, made or broken as a
    /// deployment has them); returns its JSON answer.
    pub fn guard_chain(&self, args: &[&str]) -> serde_json::Value {
        let out = Command::new("python3")
            .arg(repo_root().join("tests/emulator/guard_chain.py"))
            .args(args)
            .envs(self.env())
            .output()
            .expect("python3");
        assert!(
            out.status.success(),
            "guard_chain.py {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("guard_chain.py prints JSON")
    }

    /// Calls a control endpoint of the stand-in; returns the response body.
    pub fn control(&self, method: &str, path: &str, body: &serde_json::Value) -> String {
        control(&self.url, method, path, body)
    }

    /// Makes `ListPublicKeys` in `region` serve this key for a long window.
    pub fn register_key(&self, region: &str, key: &SigningKey) {
        register_key(&self.url, region, key)
    }

    /// Makes each region's `ListPublicKeys` serve that region's key only.
    pub fn register_keys(&self, keys: &RegionKeys) {
        for (region, key) in keys.iter() {
            register_key(&self.url, region, key)
        }
    }

    /// Installs fault rules (see `tests/emulator/server.py`).
    pub fn faults(&self, rules: serde_json::Value) {
        self.control(
            "POST",
            "/_trailguard/faults",
            &serde_json::json!({ "rules": rules }),
        );
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Calls a control endpoint of the emulator at `url`; returns the body.
pub fn control(url: &str, method: &str, path: &str, body: &serde_json::Value) -> String {
    let addr = url.trim_start_matches("http://").trim_end_matches('/');
    let mut s = TcpStream::connect(addr).expect("connect to the emulator");
    s.set_read_timeout(Some(Duration::from_secs(30))).ok();
    let body = body.to_string();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("write to the emulator");
    let mut resp = String::new();
    s.read_to_string(&mut resp).expect("read from the emulator");
    assert!(
        resp.starts_with("HTTP/1.1 2") || resp.starts_with("HTTP/1.0 2"),
        "control call failed: {resp}"
    );
    resp.split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_string()
}

/// Makes `ListPublicKeys` of the emulator at `url` serve this key in
/// `region`, valid over a long window.
pub fn register_key(url: &str, region: &str, key: &SigningKey) {
    control(
        url,
        "POST",
        "/_trailguard/public-keys",
        &serde_json::json!({
            "region": region,
            "fingerprint": key.fingerprint(),
            "value_b64": base64(&key.public_der()),
            "validity_start": 1_600_000_000,
            "validity_end": 2_000_000_000,
        }),
    );
}

/// Standard base64 with padding.
pub fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= c.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// An S3 client for the emulator (path-style).
pub fn s3(config: &SdkConfig) -> aws_sdk_s3::Client {
    trailguard::aws::S3Store::new(config).client().clone()
}

/// Creates the trail's bucket, versioned as the guarded trail's is.
pub async fn create_bucket(s3: &aws_sdk_s3::Client, bucket: &str) {
    s3.create_bucket()
        .bucket(bucket)
        .send()
        .await
        .expect("CreateBucket");
    s3.put_bucket_versioning()
        .bucket(bucket)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .expect("PutBucketVersioning");
}

/// Writes one object as CloudTrail would: its metadata, and with a trail KMS
/// key, log files SSE-KMS but digests SSE-S3 (CloudTrail User Guide,
/// "Encrypting CloudTrail log files with AWS KMS keys (SSE-KMS)": "Digest
/// files are encrypted with Amazon S3 managed encryption keys (SSE-S3).").
pub async fn put(s3: &aws_sdk_s3::Client, bucket: &str, o: &SynthObject, kms_key: Option<&str>) {
    let mut req = s3
        .put_object()
        .bucket(bucket)
        .key(&o.key)
        .body(ByteStream::from(o.body.clone()))
        .content_type("application/json")
        .content_encoding("gzip");
    for (k, v) in &o.metadata {
        req = req.metadata(k, v);
    }
    match kms_key {
        Some(_) if o.is_digest => req = req.server_side_encryption(ServerSideEncryption::Aes256),
        Some(k) => {
            req = req
                .server_side_encryption(ServerSideEncryption::AwsKms)
                .ssekms_key_id(k)
        }
        None => {}
    }
    req.send()
        .await
        .unwrap_or_else(|e| panic!("PutObject {}: {e:?}", o.key));
}

/// Creates the bucket and writes a whole generated trail.
pub async fn write_trail(s3: &aws_sdk_s3::Client, spec: &TrailSpec, objects: &[SynthObject]) {
    create_bucket(s3, &spec.bucket).await;
    for o in objects {
        put(s3, &spec.bucket, o, spec.kms_key.as_deref()).await;
    }
}

/// Overwrites an object's body, keeping its metadata.
pub async fn overwrite(s3: &aws_sdk_s3::Client, bucket: &str, key: &str, body: Vec<u8>) {
    let head = s3
        .head_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .expect("HeadObject");
    let mut req = s3
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body));
    for (k, v) in head.metadata().cloned().unwrap_or_default() {
        req = req.metadata(k, v);
    }
    req.send().await.expect("PutObject");
}

/// Reads an object's body.
pub async fn body(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Vec<u8> {
    let r = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .expect("GetObject");
    r.body.collect().await.expect("body").into_bytes().to_vec()
}

/// Deletes an object (a delete marker in a versioned bucket).
pub async fn delete(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) {
    s3.delete_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .expect("DeleteObject");
}

/// What a command printed and how it ended.
pub struct Run {
    /// Exit status code.
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// The verdict lines (`Digest file\t...`, `Log file\t...`, `Object\t...`)
    /// of both streams, as (label, s3 url, status) triples.
    pub fn verdict_lines(&self) -> Vec<(String, String, String)> {
        self.stdout
            .lines()
            .chain(self.stderr.lines())
            .filter_map(|l| {
                let mut p = l.splitn(3, '\t');
                let (a, b, c) = (p.next()?, p.next()?, p.next()?);
                matches!(
                    a,
                    "Digest file" | "Log file" | "Object" | "(backfill) Digest file"
                )
                .then(|| (a.to_string(), b.to_string(), c.to_string()))
            })
            .collect()
    }
}

/// Runs a program with the emulator's environment.
pub fn run(program: &Path, args: &[&str], emu: &Emulator, extra_env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(program);
    cmd.args(args).stdin(Stdio::null());
    for (k, v) in emu.env() {
        cmd.env(k, v);
    }
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// An SNS topic with an SQS queue subscribed to it: what a person
/// subscribed to the alerts would receive, read back from the queue.
pub struct Inbox {
    /// The topic's ARN.
    pub topic_arn: String,
    /// The subscribed queue.
    pub queue_url: String,
    sqs: aws_sdk_sqs::Client,
}

impl Inbox {
    /// Creates topic `name` and queue `name-inbox` subscribed to it.
    pub async fn create(sdk: &SdkConfig, name: &str) -> Inbox {
        let sns = aws_sdk_sns::Client::new(sdk);
        let sqs = aws_sdk_sqs::Client::new(sdk);
        let topic_arn = sns
            .create_topic()
            .name(name)
            .send()
            .await
            .expect("create topic")
            .topic_arn
            .expect("topic arn");
        let queue_url = sqs
            .create_queue()
            .queue_name(format!("{name}-inbox"))
            .send()
            .await
            .expect("create queue")
            .queue_url
            .expect("queue url");
        let arn_attr = aws_sdk_sqs::types::QueueAttributeName::QueueArn;
        let attrs = sqs
            .get_queue_attributes()
            .queue_url(&queue_url)
            .attribute_names(arn_attr.clone())
            .send()
            .await
            .expect("queue attributes")
            .attributes
            .unwrap_or_default();
        let queue_arn = attrs.get(&arn_attr).cloned().expect("queue arn");
        sns.subscribe()
            .topic_arn(&topic_arn)
            .protocol("sqs")
            .endpoint(queue_arn)
            .send()
            .await
            .expect("subscribe");
        Inbox {
            topic_arn,
            queue_url,
            sqs,
        }
    }

    /// Every SNS envelope waiting in the queue (deleted once read).
    pub async fn drain(&self) -> Vec<serde_json::Value> {
        let mut out = Vec::new();
        let mut empty = 0;
        while empty < 2 {
            let r = self
                .sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(0)
                .send()
                .await
                .expect("receive");
            if r.messages().is_empty() {
                empty += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
            for m in r.messages() {
                out.push(serde_json::from_str(m.body().unwrap_or("{}")).expect("SNS envelope"));
                if let Some(h) = m.receipt_handle() {
                    self.sqs
                        .delete_message()
                        .queue_url(&self.queue_url)
                        .receipt_handle(h)
                        .send()
                        .await
                        .expect("delete");
                }
            }
        }
        out
    }
}

/// A program on `PATH` (the AWS CLI the tests compare with), if any.
pub fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join(name))
            .find(|f| f.is_file())
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_vectors() {
        assert_eq!(super::base64(b""), "");
        assert_eq!(super::base64(b"f"), "Zg==");
        assert_eq!(super::base64(b"fo"), "Zm8=");
        assert_eq!(super::base64(b"foo"), "Zm9v");
        assert_eq!(super::base64(b"foobar"), "Zm9vYmFy");
    }
}
