//! `trailguard-standin`: S3 and CloudTrail's `ListPublicKeys` answered from
//! memory, after a fixed latency, with no per-request work beyond a lookup.
//!
//! For the benchmarks only (BENCHMARKS.md b): the emulator (moto) spends
//! about 3.9 ms of CPU per GetObject, serialised by Python's GIL, so with
//! hundreds of requests in flight its own CPU, not the latency being
//! simulated, sets the figure. This serves one synthetic trail, made by the
//! same generator and options as `trailguard-synth`, on loopback:
//!
//! - S3, path style: `HEAD /BUCKET` (with `x-amz-bucket-region`),
//!   `GET /BUCKET?location`, `GET /BUCKET?list-type=2` (ListObjectsV2:
//!   `prefix`, `delimiter`, `start-after`, `continuation-token`,
//!   `max-keys`), `GET /BUCKET` (ListObjects: `prefix`, `delimiter`,
//!   `marker`, `max-keys`), `GET /BUCKET/KEY` (with each object's
//!   `x-amz-meta-*` metadata);
//! - CloudTrail (JSON 1.1, `X-Amz-Target`): `ListPublicKeys` (every
//!   region's key, as the emulator registers them), `DescribeTrails` (the
//!   trail: an organization trail with `--org-id`), `GetTrailStatus`
//!   (logging since a day before the first digest); Organizations'
//!   `DescribeOrganization` (how the AWS CLI finds an organization trail's
//!   folder); any other call answers `TrailNotFoundException`;
//! - `GET /_standin/requests`: the requests served, by operation.
//!
//! Nothing is checked (no signature, no credentials): a benchmark
//! stand-in, never a test oracle. It prints `listening http://ADDR` on
//! standard output, then serves until killed.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use chrono::{DateTime, Utc};
use clap::Parser;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use trailguard::synth::{generate, RegionKeys, TrailSpec};

/// Serve a synthetic trail as S3 and CloudTrail would, from memory.
#[derive(Parser)]
struct Args {
    /// Address to listen on (loopback only).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: std::net::SocketAddr,
    /// Added to every answer.
    #[arg(long, default_value_t = 20)]
    latency_ms: u64,
    /// The log bucket.
    #[arg(long, default_value = "bench-logs")]
    bucket: String,
    /// The trail's name.
    #[arg(long, default_value = "main-trail")]
    trail: String,
    /// The account (one per `--accounts`, counting up from it).
    #[arg(long, default_value = "111122223333")]
    account: String,
    /// How many accounts (an organization trail when more than one).
    #[arg(long, default_value_t = 1)]
    accounts: u32,
    /// The organization ID, for an organization trail.
    #[arg(long)]
    org_id: Option<String>,
    /// Start of the first digest window.
    #[arg(long, default_value = "2026-01-15T00:00:00Z")]
    start: DateTime<Utc>,
    /// Hours of digests.
    #[arg(long, default_value_t = 24)]
    hours: u32,
    /// Log files per hour.
    #[arg(long, default_value_t = 12)]
    logs_per_hour: u32,
    /// Records per log file.
    #[arg(long, default_value_t = 500)]
    records: u32,
    /// Regions (comma-separated); the first is the home region.
    #[arg(long, value_delimiter = ',', default_value = "us-east-1")]
    regions: Vec<String>,
}

struct Object {
    body: Vec<u8>,
    metadata: Vec<(String, String)>,
}

struct World {
    bucket: String,
    describe_trails: String,
    trail_status: String,
    organization: Option<String>,
    objects: BTreeMap<String, Object>,
    keys_json: String,
    latency: Duration,
    counts: std::sync::Mutex<HashMap<&'static str, u64>>,
    total: AtomicU64,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    if !args.listen.ip().is_loopback() {
        return Err("--listen must be a loopback address".into());
    }
    let keys = RegionKeys::generate(&args.regions);
    let mut objects = BTreeMap::new();
    let first: u64 = args.account.parse()?;
    for i in 0..u64::from(args.accounts.max(1)) {
        let spec = TrailSpec {
            bucket: args.bucket.clone(),
            org_id: args.org_id.clone(),
            account: format!("{:012}", first + i),
            regions: args.regions.clone(),
            trail_name: args.trail.clone(),
            home_region: args.regions.first().cloned().unwrap_or_default(),
            start: args.start,
            hours: args.hours,
            logs_per_hour: args.logs_per_hour,
            records_per_log: args.records,
            seed: 1 + i,
            kms_key: None,
            ..TrailSpec::default()
        };
        for o in generate(&spec, &keys).objects {
            objects.insert(
                o.key,
                Object {
                    body: o.body,
                    metadata: o.metadata,
                },
            );
        }
    }
    let b64 = base64::engine::general_purpose::STANDARD;
    let list: Vec<serde_json::Value> = keys
        .iter()
        .map(|(_, k)| {
            serde_json::json!({
                "Value": b64.encode(k.public_der()),
                "ValidityStartTime": 946_684_800,
                "ValidityEndTime": 4_102_444_800_i64,
                "Fingerprint": k.fingerprint(),
            })
        })
        .collect();
    let home = args.regions.first().cloned().unwrap_or_default();
    let arn = format!(
        "arn:aws:cloudtrail:{home}:{}:trail/{}",
        args.account, args.trail
    );
    let world = Arc::new(World {
        describe_trails: serde_json::json!({"trailList": [{
            "Name": args.trail, "S3BucketName": args.bucket, "TrailARN": arn,
            "HomeRegion": home, "IsMultiRegionTrail": true, "IncludeGlobalServiceEvents": true,
            "LogFileValidationEnabled": true, "IsOrganizationTrail": args.org_id.is_some(),
        }]})
        .to_string(),
        // Logging since a day before the first digest: every hour of the
        // trail is owed a digest.
        trail_status: serde_json::json!({
            "IsLogging": true,
            "StartLoggingTime": (args.start - chrono::Duration::days(1)).timestamp(),
        })
        .to_string(),
        organization: args.org_id.as_ref().map(|o| {
            serde_json::json!({"Organization": {
                "Id": o, "Arn": format!("arn:aws:organizations::{}:organization/{o}", args.account),
                "MasterAccountId": args.account, "FeatureSet": "ALL",
            }})
            .to_string()
        }),
        bucket: args.bucket.clone(),
        objects,
        keys_json: serde_json::json!({ "PublicKeyList": list }).to_string(),
        latency: Duration::from_millis(args.latency_ms),
        counts: std::sync::Mutex::default(),
        total: AtomicU64::new(0),
    });
    let listener = TcpListener::bind(args.listen).await?;
    println!("listening http://{}", listener.local_addr()?);
    eprintln!(
        "serving {} objects of s3://{} with {} ms latency",
        world.objects.len(),
        world.bucket,
        args.latency_ms
    );
    loop {
        let (conn, _) = listener.accept().await?;
        // Each answer is one write, and no Nagle delay: with a head and a
        // body in two segments, Nagle's algorithm and the client's delayed
        // ACK would add 40 ms to an answer, a latency nobody configured.
        conn.set_nodelay(true)?;
        let world = world.clone();
        tokio::spawn(async move {
            let _ = serve(conn, world).await;
        });
    }
}

/// One request, as much as the answers need.
struct Request {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

impl Request {
    fn q(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

async fn serve(mut conn: TcpStream, world: Arc<World>) -> std::io::Result<()> {
    let mut buf: Vec<u8> = Vec::with_capacity(8192);
    loop {
        let Some(req) = read_request(&mut conn, &mut buf).await? else {
            return Ok(());
        };
        let (op, status, headers, body) = answer(&world, &req);
        world.total.fetch_add(1, Ordering::Relaxed);
        *world
            .counts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(op)
            .or_default() += 1;
        tokio::time::sleep(world.latency).await;
        let mut head = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n", body.len());
        for (k, v) in &headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        let mut answer = head.into_bytes();
        if req.method != "HEAD" {
            answer.extend_from_slice(&body);
        }
        conn.write_all(&answer).await?;
    }
}

async fn read_request(conn: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<Option<Request>> {
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let mut chunk = [0u8; 8192];
        let n = conn.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    buf.drain(..end + 4);
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or_default().split(' ');
    let method = first.next().unwrap_or_default().to_string();
    let target = first.next().unwrap_or_default();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let len: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < len {
        let mut chunk = [0u8; 8192];
        let n = conn.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body: Vec<u8> = buf.drain(..len).collect();
    Ok(Some(Request {
        method,
        path: decode(path),
        query: query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (decode(k), decode(v))
            })
            .collect(),
        headers,
        body,
    }))
}

/// Percent-decoding (and `+` left as is: S3 clients encode spaces as %20).
fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

type Answer = (&'static str, &'static str, Vec<(String, String)>, Vec<u8>);

fn answer(world: &World, req: &Request) -> Answer {
    let json = |op: &'static str, status: &'static str, body: String| -> Answer {
        (
            op,
            status,
            vec![("Content-Type".into(), "application/x-amz-json-1.1".into())],
            body.into_bytes(),
        )
    };
    let xml = |op: &'static str, status: &'static str, body: String| -> Answer {
        (
            op,
            status,
            vec![("Content-Type".into(), "application/xml".into())],
            body.into_bytes(),
        )
    };
    if let Some(target) = req.headers.get("x-amz-target") {
        let _ = &req.body;
        return match target.rsplit('.').next() {
            Some("DescribeTrails") => json(
                "cloudtrail:DescribeTrails",
                "200 OK",
                world.describe_trails.clone(),
            ),
            Some("GetTrailStatus") => json(
                "cloudtrail:GetTrailStatus",
                "200 OK",
                world.trail_status.clone(),
            ),
            Some("DescribeOrganization") => match &world.organization {
                Some(o) => json("organizations:DescribeOrganization", "200 OK", o.clone()),
                None => json(
                    "organizations:DescribeOrganization",
                    "400 Bad Request",
                    r#"{"__type":"AWSOrganizationsNotInUseException","message":"not in an organization"}"#.into(),
                ),
            },
            Some("ListPublicKeys") => json(
                "cloudtrail:ListPublicKeys",
                "200 OK",
                world.keys_json.clone(),
            ),
            _ => json(
                "cloudtrail:other",
                "400 Bad Request",
                r#"{"__type":"TrailNotFoundException","message":"Unknown trail (stand-in)"}"#
                    .into(),
            ),
        };
    }
    if req.path == "/_standin/requests" {
        let counts = world
            .counts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let body =
            serde_json::json!({"total": world.total.load(Ordering::Relaxed), "counts": counts});
        return json("standin:requests", "200 OK", body.to_string());
    }
    let path = req.path.trim_start_matches('/');
    let (bucket, key) = path.split_once('/').unwrap_or((path, ""));
    if bucket != world.bucket {
        return xml(
            "s3:NoSuchBucket",
            "404 Not Found",
            "<Error><Code>NoSuchBucket</Code><Message>no such bucket</Message></Error>".into(),
        );
    }
    if key.is_empty() {
        if req.method == "HEAD" {
            let mut a = xml("s3:HeadBucket", "200 OK", String::new());
            a.2.push(("x-amz-bucket-region".into(), "us-east-1".into()));
            return a;
        }
        if req.q("location").is_some() {
            return xml(
                "s3:GetBucketLocation",
                "200 OK",
                r#"<?xml version="1.0" encoding="UTF-8"?><LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>"#.into(),
            );
        }
        return list(world, req);
    }
    match world.objects.get(key) {
        None => xml(
            "s3:GetObject",
            "404 Not Found",
            "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>".into(),
        ),
        Some(o) => {
            let mut headers = vec![
                ("Content-Type".into(), "application/x-gzip".into()),
                ("ETag".into(), "\"0\"".into()),
                ("Last-Modified".into(), "Thu, 15 Jan 2026 00:00:00 GMT".into()),
            ];
            for (k, v) in &o.metadata {
                headers.push((format!("x-amz-meta-{k}"), v.clone()));
            }
            let op = if req.method == "HEAD" { "s3:HeadObject" } else { "s3:GetObject" };
            (op, "200 OK", headers, o.body.clone())
        }
    }
}

/// ListObjects and ListObjectsV2, 1000 keys a page.
fn list(world: &World, req: &Request) -> Answer {
    let v2 = req.q("list-type") == Some("2");
    let prefix = req.q("prefix").unwrap_or("");
    let delimiter = req.q("delimiter").filter(|d| !d.is_empty());
    let after = if v2 {
        req.q("continuation-token")
            .map(|t| String::from_utf8_lossy(&hex::decode(t).unwrap_or_default()).into_owned())
            .or_else(|| req.q("start-after").map(str::to_string))
    } else {
        req.q("marker").map(str::to_string)
    }
    .unwrap_or_default();
    let max: usize = req
        .q("max-keys")
        .and_then(|m| m.parse().ok())
        .unwrap_or(1000)
        .min(1000);
    let mut contents: Vec<&str> = Vec::new();
    let mut prefixes: Vec<String> = Vec::new();
    let mut last = String::new();
    let mut truncated = false;
    // From the prefix, or after the marker when it is further.
    let from = if after.as_str() >= prefix {
        std::ops::Bound::Excluded(after.as_str())
    } else {
        std::ops::Bound::Included(prefix)
    };
    for k in world
        .objects
        .range::<str, _>((from, std::ops::Bound::Unbounded))
        .map(|(k, _)| k.as_str())
        .take_while(|k| k.starts_with(prefix))
    {
        if contents.len() + prefixes.len() >= max {
            truncated = true;
            break;
        }
        if let Some(d) = delimiter {
            if let Some(i) = k[prefix.len()..].find(d) {
                let p = &k[..prefix.len() + i + d.len()];
                if prefixes.last().map(String::as_str) != Some(p) {
                    prefixes.push(p.to_string());
                }
                last = k.to_string();
                continue;
            }
        }
        contents.push(k);
        last = k.to_string();
    }
    let mut x = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">"#,
    );
    x.push_str(&format!(
        "<Name>{}</Name><Prefix>{}</Prefix><MaxKeys>{max}</MaxKeys><IsTruncated>{truncated}</IsTruncated>",
        xml_escape(&world.bucket),
        xml_escape(prefix)
    ));
    if let Some(d) = delimiter {
        x.push_str(&format!("<Delimiter>{}</Delimiter>", xml_escape(d)));
    }
    if v2 {
        x.push_str(&format!(
            "<KeyCount>{}</KeyCount>",
            contents.len() + prefixes.len()
        ));
        if truncated {
            x.push_str(&format!(
                "<NextContinuationToken>{}</NextContinuationToken>",
                hex::encode(&last)
            ));
        }
    } else {
        x.push_str(&format!("<Marker>{}</Marker>", xml_escape(&after)));
        if truncated {
            x.push_str(&format!("<NextMarker>{}</NextMarker>", xml_escape(&last)));
        }
    }
    for k in contents {
        let size = world.objects.get(k).map_or(0, |o| o.body.len());
        x.push_str(&format!(
            "<Contents><Key>{}</Key><LastModified>2026-01-15T00:00:00.000Z</LastModified><ETag>&quot;0&quot;</ETag><Size>{size}</Size><StorageClass>STANDARD</StorageClass></Contents>",
            xml_escape(k)
        ));
    }
    for p in prefixes {
        x.push_str(&format!(
            "<CommonPrefixes><Prefix>{}</Prefix></CommonPrefixes>",
            xml_escape(&p)
        ));
    }
    x.push_str("</ListBucketResult>");
    (
        if v2 {
            "s3:ListObjectsV2"
        } else {
            "s3:ListObjects"
        },
        "200 OK",
        vec![("Content-Type".into(), "application/xml".into())],
        x.into_bytes(),
    )
}
