//! What the client's and the coordinator's benchmarks share: their command line and what they
//! read of a process from /proc. (Included by path from `node-client/coordinator/benches`.)

#![allow(dead_code)]

use std::time::Duration;

/// The bench's arguments: whether it runs as a benchmark (`cargo bench` passes `--bench`; under
/// `cargo test` it is a smoke run), and `--name value` options.
pub struct Args(Vec<String>);

impl Args {
	pub fn new() -> Self {
		Self(std::env::args().collect())
	}

	/// Run as a benchmark rather than a smoke test.
	pub fn bench(&self) -> bool {
		self.0.iter().any(|a| a == "--bench")
	}

	/// The value of `--name`, or `default`.
	pub fn get<T: std::str::FromStr>(&self, name: &str, default: T) -> T {
		self.0
			.iter()
			.position(|a| a == name)
			.and_then(|i| self.0.get(i + 1))
			.and_then(|v| v.parse().ok())
			.unwrap_or(default)
	}
}

fn proc_field(pid: u32, file: &str, pick: impl Fn(&str) -> Option<u64>) -> u64 {
	std::fs::read_to_string(format!("/proc/{pid}/{file}")).ok().and_then(|s| pick(&s)).unwrap_or(0)
}

/// A process's CPU time (user + system).
pub fn cpu(pid: u32) -> Duration {
	let ticks = proc_field(pid, "stat", |s| {
		let after = s.rsplit_once(')')?.1;
		Some(after.split_whitespace().skip(11).take(2).filter_map(|f| f.parse::<u64>().ok()).sum())
	});
	Duration::from_millis(ticks * 10) // USER_HZ = 100
}

/// A field of a process's /proc status in KiB (`VmRSS:`, `VmHWM:`).
pub fn status_kib(pid: u32, field: &str) -> u64 {
	proc_field(pid, "status", |s| {
		s.lines().find(|l| l.starts_with(field))?.split_whitespace().nth(1)?.parse().ok()
	})
}
