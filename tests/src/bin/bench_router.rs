//! `trailguard-bench-router`: the alert router as Lambda runs it, against
//! the emulator: cold start (configuration, SDK, rules: the built-ins plus
//! the SigmaHQ rules when `TRAILGUARD_SIGMA_DIR` names them), then the
//! largest batch Lambda accepts, published to a real topic. Prints the
//! wall-clock instant it was ready (for `scripts/bench-router.sh` to
//! subtract the process start from), each phase's time and the peak
//! resident memory (VmHWM).

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use trailguard::aws::{load_config, SnsOutbox};
use trailguard::config::{self, Location};
use trailguard::route::Router;
use trailguard::rules;
use trailguard::synth::cwlogs_batch;

fn vm_hwm() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .map(str::to_string)
        })
        .unwrap_or_else(|| "VmHWM unknown".into())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let start = Instant::now();
    // As main.rs does.
    let env = |k: &str| std::env::var(k).ok();
    let mut cfg = config::router_from(env)?;
    if let Some(dir) = std::env::var_os("TRAILGUARD_SIGMA_DIR") {
        cfg.rules.push(Location::Path(dir.into()));
    }
    let sdk = load_config().await;
    let loaded = rules::load::<trailguard::aws::S3Store>(None, &cfg).await?;
    let active = loaded.active();
    let router = Router::new(&cfg, loaded, Some(SnsOutbox::new(&sdk)));
    let ready_ns = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos();
    let init = start.elapsed();
    println!("ready_unix_ns {ready_ns}");
    println!(
        "init_in_process_ms {:.1} ({active} rules in force)",
        init.as_secs_f64() * 1e3
    );
    println!("after_init {}", vm_hwm());

    let (payload, events) = cwlogs_batch(1024 * 1024);
    let again = payload.clone();
    let bytes = payload.to_string().len();
    let t = Instant::now();
    let out = alert_router::handle(&router, payload, cfg.max_inflated).await?;
    let took = t.elapsed();
    println!(
        "batch: {events} events, {bytes} bytes of payload, {} alerts, {} messages published, {:.1} ms ({:.0} events/s)",
        out["alerts"],
        out["published"],
        took.as_secs_f64() * 1e3,
        events as f64 / took.as_secs_f64()
    );
    println!("after_batch {}", vm_hwm());

    // A warm function on a stream of full batches (BATCHES, default 1): the
    // time per batch holds and memory does not grow from batch to batch.
    let batches: usize = std::env::var("BATCHES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    if batches > 1 {
        let mut times = Vec::with_capacity(batches - 1);
        for _ in 1..batches {
            let next = again.clone();
            let t = Instant::now();
            alert_router::handle(&router, next, cfg.max_inflated).await?;
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "stream: {} more batches ({} events): median {:.1} ms, max {:.1} ms per batch; after_stream {}",
            batches - 1,
            (batches - 1) * events,
            times[times.len() / 2],
            times[times.len() - 1],
            vm_hwm()
        );
    }
    Ok(())
}
