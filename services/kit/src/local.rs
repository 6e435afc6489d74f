//! Private PostgreSQL and Redis servers started from the installed binaries, for
//! `canopyd dev` and for tests on machines without a server running. Each lives in
//! a folder we own, listens on loopback only, and is stopped by whoever started it.
//!
//! PostgreSQL refuses to run as root, so when we are root the cluster is created
//! and run as an unprivileged system user (`postgres`, else `nobody`) via `setpriv`,
//! which execs in place: the child we hold *is* the postmaster, so our signals reach it.
//!
//! A server started [`Lifetime::WithThisProcess`] (`canopyd dev`) dies with us even
//! when we are killed: `setpriv --pdeathsig` asks the kernel to signal it when its
//! parent goes. Its durability is PostgreSQL's and Redis's own (no relaxed fsync, an
//! append-only file), and a server a dead predecessor left behind in the same folder
//! is stopped before a new one starts. A [`Lifetime::Detached`] server (the test
//! harness's, shared by a run's processes) outlives us and keeps disposable data, so
//! it trades durability for speed.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::{Pid, User, geteuid};

/// Why a private server could not be started. The message says what is missing.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error(
        "{binary} not found: install PostgreSQL and Redis (Debian: apt-get install postgresql redis-server), or set DATABASE_URL and REDIS_URL"
    )]
    MissingBinary { binary: &'static str },
    #[error("{what}: {reason}")]
    Failed { what: String, reason: String },
}

fn failed(what: impl Into<String>, reason: impl std::fmt::Display) -> LocalError {
    LocalError::Failed { what: what.into(), reason: reason.to_string() }
}

/// Finds a PostgreSQL server binary: the newest `/usr/lib/postgresql/*/bin`, then PATH.
fn postgres_binary(name: &'static str) -> Result<PathBuf, LocalError> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let path = entry.path().join("bin").join(name);
            path.is_file().then_some((version, path))
        })
        .collect();
    versions.sort();
    if let Some((_, path)) = versions.pop() {
        return Ok(path);
    }
    find_on_path(name).ok_or(LocalError::MissingBinary { binary: name })
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?.to_str()?.split(':').map(|dir| Path::new(dir).join(name)).find(|p| p.is_file())
}

/// 32 random bytes, base64 (a dev or test encryption key).
pub fn random_key_base64() -> String {
    use base64::Engine as _;
    use rand::RngCore as _;
    let mut key = [0u8; 32];
    rand::rng().fill_bytes(&mut key);
    base64::engine::general_purpose::STANDARD.encode(key)
}

/// A free loopback port (the tiny race before the server binds is acceptable here).
pub fn free_port() -> Result<u16, LocalError> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| failed("finding a free port", e))?;
    listener.local_addr().map(|a| a.port()).map_err(|e| failed("finding a free port", e))
}

/// How long a private server lives, and what it keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifetime {
    /// Dies with this process, however it ends; durable data (dev).
    WithThisProcess,
    /// Left running for others to stop by pid; disposable data (tests).
    Detached,
}

/// A program run as `user` (when given), signalled with `death_signal` when this
/// process dies (when given), through `setpriv`.
fn supervised(program: &Path, user: &Option<User>, death_signal: Option<&str>) -> Command {
    if user.is_none() && death_signal.is_none() {
        return Command::new(program);
    }
    let mut command = Command::new("setpriv");
    if let Some(signal) = death_signal {
        command.arg(format!("--pdeathsig={signal}"));
    }
    if let Some(user) = user {
        command.arg(format!("--reuid={}", user.uid)).arg(format!("--regid={}", user.gid)).arg("--clear-groups");
    }
    command.arg("--").arg(program);
    command
}

/// Stops a server a previous owner of `pid_file` left running: the pid on its first
/// line, if that process is alive and is `expected` (its /proc comm), gets `signal`,
/// then SIGKILL after `grace`. A reused pid of another program is left alone.
fn stop_leftover(pid_file: &Path, expected: &str, signal: Signal, grace: Duration) {
    let Some(pid) = std::fs::read_to_string(pid_file)
        .ok()
        .and_then(|text| text.lines().next().and_then(|line| line.trim().parse::<i32>().ok()))
    else {
        return;
    };
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    if comm.trim() != expected {
        return;
    }
    tracing::warn!(pid, server = expected, "stopping a server left running by a previous canopyd");
    let pid = Pid::from_raw(pid);
    let _ = kill(pid, signal);
    let deadline = Instant::now() + grace;
    while kill(pid, None).is_ok() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(25));
    }
    let _ = kill(pid, Signal::SIGKILL);
    while kill(pid, None).is_ok() && Instant::now() < deadline + Duration::from_secs(2) {
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// The user PostgreSQL runs as: ourselves, unless we are root.
fn unprivileged_user() -> Result<Option<User>, LocalError> {
    if !geteuid().is_root() {
        return Ok(None);
    }
    for name in ["postgres", "nobody"] {
        if let Ok(Some(user)) = User::from_name(name) {
            return Ok(Some(user));
        }
    }
    Err(failed("running PostgreSQL as root", "no unprivileged user (postgres or nobody) exists"))
}

fn chown_tree(path: &Path, user: &User) -> Result<(), LocalError> {
    std::os::unix::fs::chown(path, Some(user.uid.as_raw()), Some(user.gid.as_raw()))
        .map_err(|e| failed(format!("chown {}", path.display()), e))?;
    if path.is_dir() {
        for entry in std::fs::read_dir(path).map_err(|e| failed(format!("reading {}", path.display()), e))? {
            let entry = entry.map_err(|e| failed(format!("reading {}", path.display()), e))?;
            chown_tree(&entry.path(), user)?;
        }
    }
    Ok(())
}

/// A PostgreSQL cluster of our own.
pub struct PrivatePostgres {
    child: Option<Child>,
    port: u16,
    data_dir: PathBuf,
}

impl PrivatePostgres {
    /// Initialises `dir/data` when empty, stops a server a dead predecessor left
    /// there, then starts the server on a free loopback port and waits until it
    /// accepts connections.
    pub fn start(dir: &Path, lifetime: Lifetime) -> Result<Self, LocalError> {
        Self::start_on(dir, free_port()?, lifetime)
    }

    /// As [`PrivatePostgres::start`], on `port` (e.g. the port of one that was
    /// stopped, to restart it where clients expect it).
    pub fn start_on(dir: &Path, port: u16, lifetime: Lifetime) -> Result<Self, LocalError> {
        let initdb = postgres_binary("initdb")?;
        let postgres = postgres_binary("postgres")?;
        let user = unprivileged_user()?;
        let data_dir = dir.join("data");
        std::fs::create_dir_all(dir).map_err(|e| failed(format!("creating {}", dir.display()), e))?;
        if let Some(user) = &user {
            chown_tree(dir, user)?;
        }
        if !data_dir.join("PG_VERSION").is_file() {
            let output = supervised(&initdb, &user, None)
                .args(["--auth=trust", "--username=postgres", "--encoding=UTF8", "--no-instructions", "-D"])
                .arg(&data_dir)
                .stdin(Stdio::null())
                .output()
                .map_err(|e| failed("running initdb", e))?;
            if !output.status.success() {
                return Err(failed("initdb", last_line(&output.stderr)));
            }
        }
        // A fast shutdown (SIGINT) of a postmaster whose owner died.
        stop_leftover(&data_dir.join("postmaster.pid"), "postgres", Signal::SIGINT, Duration::from_secs(10));
        let log_path = dir.join("postgres.log");
        let log =
            std::fs::File::create(&log_path).map_err(|e| failed(format!("creating {}", log_path.display()), e))?;
        if let Some(user) = &user {
            chown_tree(&log_path, user)?;
        }
        let mut command = match lifetime {
            Lifetime::WithThisProcess => supervised(&postgres, &user, Some("INT")),
            Lifetime::Detached => supervised(&postgres, &user, None),
        };
        command.arg("-D").arg(&data_dir).args(["-p", &port.to_string()]).args([
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "unix_socket_directories=",
            "-c",
            "max_connections=300",
        ]);
        if lifetime == Lifetime::Detached {
            // Test data is disposable: trade durability for speed. Never for dev,
            // where a confirmed commit (a deployment's log line) must survive a crash.
            command.args(["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]);
        }
        let child = command
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| failed("postgres log", e))?)
            .stderr(log)
            .spawn()
            .map_err(|e| failed("starting postgres", e))?;
        let mut server = Self { child: Some(child), port, data_dir };
        server.wait_ready(&log_path)?;
        Ok(server)
    }

    fn wait_ready(&mut self, log_path: &Path) -> Result<(), LocalError> {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                let log = std::fs::read(log_path).unwrap_or_default();
                return Err(failed(format!("postgres exited ({status})"), last_line(&log)));
            }
            // The server accepts TCP before it accepts sessions; a startup packet
            // answered with anything but "starting up" means ready enough for sqlx,
            // which retries on its own. We look for the "ready" log line instead.
            let log = std::fs::read_to_string(log_path).unwrap_or_default();
            if log.contains("database system is ready to accept connections") {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(failed("postgres", "not ready after 30s"))
    }

    /// Superuser URL of the `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Fast shutdown (SIGINT), escalating to SIGKILL after 10 s.
    pub fn stop(&mut self) {
        if let Some(child) = self.child.take() {
            stop_child(child, Signal::SIGINT, Duration::from_secs(10));
        }
    }

    /// Immediate shutdown (SIGQUIT, `pg_ctl stop -m immediate`): every backend exits
    /// at once without a checkpoint, as in a crash; the next start recovers from WAL.
    pub fn stop_immediately(&mut self) {
        if let Some(child) = self.child.take() {
            stop_child(child, Signal::SIGQUIT, Duration::from_secs(10));
        }
    }

    /// Leaves the server running after we exit (the caller stops it by pid later).
    pub fn detach(mut self) -> u32 {
        self.child.take().map(|c| c.id()).unwrap_or_default()
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A redis-server of our own: with an append-only file (fsync every second) when it
/// lives with this process, so dev sessions survive a restart; nothing on disk when
/// detached.
pub struct PrivateRedis {
    child: Option<Child>,
    port: u16,
}

impl PrivateRedis {
    /// Starts a server on a free loopback port.
    pub fn start(dir: &Path, lifetime: Lifetime) -> Result<Self, LocalError> {
        Self::start_on(dir, free_port()?, lifetime)
    }

    /// Starts a server on `port` (e.g. the port of one that was stopped, to restart
    /// it where clients expect it).
    pub fn start_on(dir: &Path, port: u16, lifetime: Lifetime) -> Result<Self, LocalError> {
        let binary = find_on_path("redis-server").ok_or(LocalError::MissingBinary { binary: "redis-server" })?;
        std::fs::create_dir_all(dir).map_err(|e| failed(format!("creating {}", dir.display()), e))?;
        let dir = dir.canonicalize().map_err(|e| failed(format!("reading {}", dir.display()), e))?;
        let pid_file = dir.join("redis.pid");
        stop_leftover(&pid_file, "redis-server", Signal::SIGTERM, Duration::from_secs(5));
        let log_path = dir.join("redis.log");
        let mut command = match lifetime {
            Lifetime::WithThisProcess => supervised(&binary, &None, Some("TERM")),
            Lifetime::Detached => supervised(&binary, &None, None),
        };
        command.args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", ""]);
        match lifetime {
            Lifetime::WithThisProcess => command.args(["--appendonly", "yes", "--appendfsync", "everysec"]),
            Lifetime::Detached => command.args(["--appendonly", "no"]),
        };
        let child = command
            .arg("--pidfile")
            .arg(&pid_file)
            .arg("--dir")
            .arg(&dir)
            .arg("--logfile")
            .arg(&log_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| failed("starting redis-server", e))?;
        let mut server = Self { child: Some(child), port };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(server);
            }
            if let Some(child) = server.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                let log = std::fs::read(&log_path).unwrap_or_default();
                return Err(failed(format!("redis-server exited ({status})"), last_line(&log)));
            }
            if Instant::now() > deadline {
                return Err(failed("redis-server", "not listening after 10s"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's process id, while we hold it (tests signal it to stall it).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    pub fn stop(&mut self) {
        if let Some(child) = self.child.take() {
            stop_child(child, Signal::SIGTERM, Duration::from_secs(5));
        }
    }

    /// Kills the server at once (SIGKILL, no shutdown), as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Leaves the server running after we exit.
    pub fn detach(mut self) -> u32 {
        self.child.take().map(|c| c.id()).unwrap_or_default()
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

fn stop_child(mut child: Child, signal: Signal, grace: Duration) {
    let pid = Pid::from_raw(child.id() as i32);
    let _ = kill(pid, signal);
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn last_line(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").trim().to_string()
}
