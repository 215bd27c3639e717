//! A relay cluster for the tests, each member in a network namespace of its own on one
//! bridge (a /24 such as 10.98.0.0/24): `nats-server` nodes (MQTT and JetStream, Debian's package),
//! PostgreSQL (Debian's server, run as its `postgres` user), relay nodes and hubs. The test
//! process reaches them all from the net's `.1`. Everything is removed on drop. Needs root.

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use crate::netns::Namespace;
use crate::run_ok;

/// The bridge the members hang on, and the test's own way onto it.
pub struct Fabric {
    tag: String,
    root_link: String,
    members: Vec<Namespace>,
    etc: Vec<PathBuf>,
    switch: Namespace,
}

impl Fabric {
    /// A bridge in a namespace of its own for the members of `net`.0/24 (`"10.98.0"`),
    /// reached from `net`.1; `tag` (a few letters) keeps names apart. Fabrics that may
    /// exist at once need nets of their own.
    pub fn new(tag: &str, net: &str) -> anyhow::Result<Fabric> {
        let tag = format!("{tag}{}", std::process::id() % 10_000);
        let switch = Namespace::add(&format!("{tag}-sw"));
        switch.ip(&["link", "add", "br0", "type", "bridge"]);
        switch.ip(&["link", "set", "br0", "up"]);
        let root_link = format!("{tag}r");
        let _ = Command::new("ip")
            .args(["link", "del", &root_link])
            .output();
        run_ok(Command::new("ip").args([
            "link", "add", &root_link, "type", "veth", "peer", "name", "up0", "netns", &switch.0,
        ]))?;
        switch.ip(&["link", "set", "up0", "master", "br0", "up"]);
        run_ok(Command::new("ip").args([
            "addr",
            "add",
            &format!("{net}.1/24"),
            "dev",
            &root_link,
        ]))?;
        run_ok(Command::new("ip").args(["link", "set", &root_link, "up"]))?;
        Ok(Fabric {
            tag,
            root_link,
            members: Vec::new(),
            etc: Vec::new(),
            switch,
        })
    }

    /// A member `name` at `ip` (in the fabric's net); `hosts` lines, when given, are its /etc/hosts
    /// (what `ip netns exec` shows programs run inside). Returns the command prefix that
    /// runs a program there.
    pub fn member(&mut self, name: &str, ip: &str, hosts: &[&str]) -> anyhow::Result<Vec<String>> {
        let ns = Namespace::add(&format!("{}-{name}", self.tag));
        let port = format!("{}{}", self.tag, self.members.len());
        self.switch.ip(&[
            "link", "add", &port, "type", "veth", "peer", "name", "eth0", "netns", &ns.0,
        ]);
        self.switch
            .ip(&["link", "set", &port, "master", "br0", "up"]);
        ns.ip(&["addr", "add", &format!("{ip}/24"), "dev", "eth0"]);
        ns.ip(&["link", "set", "eth0", "up"]);
        if !hosts.is_empty() {
            let etc = PathBuf::from("/etc/netns").join(&ns.0);
            std::fs::create_dir_all(&etc)?;
            let mut text = String::from("127.0.0.1 localhost\n");
            for line in hosts {
                text.push_str(line);
                text.push('\n');
            }
            std::fs::write(etc.join("hosts"), text)?;
            self.etc.push(etc);
        }
        let prefix = ns.exec();
        self.members.push(ns);
        Ok(prefix)
    }
}

impl Drop for Fabric {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["link", "del", &self.root_link])
            .output();
        for dir in &self.etc {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Waits until something accepts TCP at `addr`.
pub fn wait_listening(addr: SocketAddr, within: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + within;
    while TcpStream::connect_timeout(&addr, Duration::from_millis(300)).is_err() {
        if Instant::now() > deadline {
            bail!("nothing listens on {addr} after {within:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

fn command(prefix: &[String], program: &str) -> Command {
    match prefix.split_first() {
        Some((first, rest)) => {
            let mut c = Command::new(first);
            c.args(rest).arg(program);
            c
        }
        None => Command::new(program),
    }
}

/// A child killed on drop.
pub struct Process(pub Option<Child>);

impl Process {
    /// SIGKILL, as a machine dying would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One `nats-server` of a cluster named `relay`: client port 4222, routes 6222, MQTT 1883,
/// monitoring 8222, all on `ip`; users sign in as `relay` with `password`.
pub fn nats(
    prefix: &[String],
    dir: &Path,
    name: &str,
    ip: &str,
    peers: &[&str],
    password: &str,
) -> anyhow::Result<Process> {
    let routes: Vec<String> = peers
        .iter()
        .map(|p| format!("\"nats-route://{p}:6222\""))
        .collect();
    let store = dir.join(format!("js-{name}"));
    let conf = format!(
        "server_name: {name}\nlisten: \"{ip}:4222\"\nhttp: \"{ip}:8222\"\n\
         jetstream {{ store_dir: {store:?}, max_mem: 64MB, max_file: 1GB }}\n\
         cluster {{ name: relay, listen: \"{ip}:6222\", routes: [{}] }}\n\
         mqtt {{ listen: \"{ip}:1883\" }}\n\
         authorization {{ users: [ {{ user: relay, password: \"{password}\" }} ] }}\n",
        routes.join(", ")
    );
    let path = dir.join(format!("{name}.conf"));
    std::fs::write(&path, conf)?;
    let log = std::fs::File::create(dir.join(format!("{name}.log")))?;
    let child = command(prefix, "nats-server")
        .arg("-c")
        .arg(&path)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .context("cannot start nats-server (Debian's nats-server package)")?;
    let process = Process(Some(child));
    wait_listening(format!("{ip}:1883").parse()?, Duration::from_secs(30))?;
    Ok(process)
}

/// Debian's PostgreSQL server binaries, the newest installed.
fn postgres_bin() -> anyhow::Result<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .context("PostgreSQL's server is not installed (/usr/lib/postgresql)")?
        .filter_map(|e| Some(e.ok()?.path().join("bin")))
        .filter(|p| p.join("postgres").is_file())
        .collect();
    found.sort();
    found.pop().context("no PostgreSQL server binaries")
}

/// A throw-away PostgreSQL on `ip`:5432 (user `relay`, trust, fsync off), run as the
/// `postgres` user (it refuses root); its libpq connection string.
pub fn postgres(prefix: &[String], dir: &Path, ip: &str) -> anyhow::Result<(Process, String)> {
    let bin = postgres_bin()?;
    let data = dir.join("pg");
    std::fs::create_dir_all(&data)?;
    for path in [dir, data.as_path()] {
        run_ok(Command::new("chown").arg("postgres:postgres").arg(path))?;
    }
    let as_postgres = [
        "--reuid=postgres",
        "--regid=postgres",
        "--init-groups",
        "--",
    ];
    run_ok(
        Command::new("setpriv")
            .args(as_postgres)
            .arg(bin.join("initdb"))
            .args([
                "-U",
                "relay",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
                "-D",
            ])
            .arg(&data),
    )?;
    // The relays connect from their own namespaces, on the bridge.
    let hba = data.join("pg_hba.conf");
    let mut rules = std::fs::read_to_string(&hba)?;
    let net = ip.rsplit_once('.').map_or(ip, |(net, _)| net);
    rules.push_str(&format!("host all relay {net}.0/24 trust\n"));
    std::fs::write(&hba, rules)?;
    let log = std::fs::File::create(dir.join("postgres.log"))?;
    run_ok(
        Command::new("chown")
            .arg("postgres")
            .arg(dir.join("postgres.log")),
    )?;
    let child = command(prefix, "setpriv")
        .args(as_postgres)
        .arg(bin.join("postgres"))
        .arg("-D")
        .arg(&data)
        .arg("-k")
        .arg(dir)
        .args(["-p", "5432", "-c", &format!("listen_addresses={ip}")])
        .args(["-c", "fsync=off"])
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .context("cannot start postgres")?;
    let process = Process(Some(child));
    let deadline = Instant::now() + Duration::from_secs(30);
    while !Command::new(bin.join("pg_isready"))
        .args(["-q", "-h", ip, "-p", "5432"])
        .status()
        .is_ok_and(|s| s.success())
    {
        if Instant::now() > deadline {
            bail!(
                "PostgreSQL did not start; see {}",
                dir.join("postgres.log").display()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok((
        process,
        format!("host={ip} port=5432 user=relay dbname=postgres"),
    ))
}

/// One query's rows through `psql` (fields split by `|`).
pub fn psql(ip: &str, query: &str) -> anyhow::Result<Vec<Vec<String>>> {
    let out = run_ok(
        Command::new("psql")
            .args([
                "-h", ip, "-p", "5432", "-U", "relay", "-d", "postgres", "-At", "-c",
            ])
            .arg(query),
    )?;
    Ok(out
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.split('|').map(str::to_owned).collect())
        .collect())
}
