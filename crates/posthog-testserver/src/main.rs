//! `posthog-testserver [--port N]`: runs the test server until killed.
//!
//! Prints exactly one line, `http://127.0.0.1:PORT`, to stdout once it listens.

use std::io::Write;

use posthog_testserver::{
    Error, PersonalApiKeys, Profile, QueryThrottle, ServerOptions, TestServer,
};

const USAGE: &str = "usage: posthog-testserver [--port N] [--max-body-bytes N] \
[--max-event-bytes N] [--profile current|capture-2024] [--v1-retry-after SECS] \
[--definitions-route-missing] [--admin-rate-limit N] [--admin-retry-after SECS] \
[--query-throttle off|legacy|current] [--personal-api-keys current|legacy]\n\
(--profile capture-2024 sets the 2 MiB body limit and no event limit unless given)";

fn parse_args(args: impl Iterator<Item = String>) -> Result<Option<ServerOptions>, Error> {
    let mut opts = ServerOptions::default();
    let (mut body, mut event) = (None, None);
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        if name == "-h" || name == "--help" {
            return Ok(None);
        }
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| Error::Usage(format!("{name} needs a value\n{USAGE}")))
        };
        let number = |v: String| {
            v.parse::<u64>()
                .map_err(|_| Error::Usage(format!("{name}: not a number: {v}\n{USAGE}")))
        };
        match name.as_str() {
            "--definitions-route-missing" => opts.definitions_route_missing = true,
            "--port" => {
                opts.port = u16::try_from(number(value()?)?)
                    .map_err(|_| Error::Usage(format!("--port out of range\n{USAGE}")))?;
            }
            "--max-body-bytes" => body = Some(number(value()?)? as usize),
            "--max-event-bytes" => event = Some(number(value()?)? as usize),
            "--v1-retry-after" => opts.v1_retry_after_secs = number(value()?)?,
            "--admin-rate-limit" => {
                opts.admin_rate_limit = Some(u32::try_from(number(value()?)?).map_err(|_| {
                    Error::Usage(format!("--admin-rate-limit out of range\n{USAGE}"))
                })?);
            }
            "--admin-retry-after" => opts.admin_retry_after_secs = number(value()?)?,
            "--query-throttle" => {
                opts.query_throttle = match value()?.as_str() {
                    "off" => QueryThrottle::Off,
                    "legacy" => QueryThrottle::Legacy,
                    "current" => QueryThrottle::Current,
                    other => {
                        return Err(Error::Usage(format!(
                            "unknown query throttle {other}\n{USAGE}"
                        )));
                    }
                }
            }
            "--personal-api-keys" => {
                opts.personal_api_keys = match value()?.as_str() {
                    "current" => PersonalApiKeys::Current,
                    "legacy" => PersonalApiKeys::Legacy,
                    other => {
                        return Err(Error::Usage(format!(
                            "unknown personal API key generation {other}\n{USAGE}"
                        )));
                    }
                }
            }
            "--profile" => {
                opts.profile = match value()?.as_str() {
                    "current" => Profile::Current,
                    "capture-2024" => {
                        let preset = ServerOptions::capture_2024();
                        opts.max_body_bytes = preset.max_body_bytes;
                        opts.max_event_bytes = preset.max_event_bytes;
                        Profile::Capture2024
                    }
                    other => {
                        return Err(Error::Usage(format!("unknown profile {other}\n{USAGE}")));
                    }
                }
            }
            other => return Err(Error::Usage(format!("unknown argument {other}\n{USAGE}"))),
        }
    }
    opts.max_body_bytes = body.unwrap_or(opts.max_body_bytes);
    opts.max_event_bytes = event.unwrap_or(opts.max_event_bytes);
    Ok(Some(opts))
}

fn main() {
    let opts = match parse_args(std::env::args().skip(1)) {
        Ok(Some(opts)) => opts,
        Ok(None) => {
            println!("{USAGE}");
            return;
        }
        Err(err) => {
            eprintln!("posthog-testserver: {err}");
            std::process::exit(2);
        }
    };
    let server = match TestServer::try_spawn_with(opts) {
        Ok(server) => server,
        Err(err) => {
            eprintln!("posthog-testserver: {err}");
            std::process::exit(1);
        }
    };
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{}", server.url());
    let _ = stdout.flush();
    drop(stdout);
    // Serve until the process is killed (SIGTERM / SIGINT end it with their default action).
    loop {
        std::thread::park();
    }
}
