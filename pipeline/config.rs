//! `irritant.toml`: the settings of `irritant run` in a file, so a team's job is one
//! reviewed file rather than a long command line.
//!
//! The file holds a `[run]` table whose keys are the long flags of `irritant run`, with
//! `-` or `_` alike (`max_reject_rate = 0.2`, `comments = ["exports/a.csv",
//! "exports/b.csv"]`, `no_redact = true`). It is read from `--config FILE`, else from
//! `irritant.toml` in the current directory when there is one. Flags given on the command
//! line win over the file, a repeatable flag included (the command line's values replace
//! the file's), and so does a flag that conflicts with a setting (`--no-redact` given, the
//! file's `redact_kinds` is left out). Relative paths in the file are relative to the
//! file's folder. An unknown key is an error that lists the valid ones.
//!
//! The file is turned into command-line arguments placed before the user's, so there is
//! one parser, one set of defaults and one validation for both.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::ArgAction;

/// The default config file, looked for in the current directory.
pub const DEFAULT_FILE: &str = "irritant.toml";

/// A config file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {reason}")]
pub struct ConfigError {
    pub file: PathBuf,
    pub reason: String,
}

/// The config file `argv` asks for (`--config FILE` after the subcommand), else
/// `irritant.toml` in the current directory if present.
pub fn locate(argv: &[OsString]) -> Option<PathBuf> {
    if argv.get(1).is_none_or(|a| a.as_os_str() != "run") {
        return None;
    }
    let mut it = argv.iter().skip(2);
    while let Some(a) = it.next() {
        let s = a.to_string_lossy();
        if s == "--config" {
            return it.next().map(PathBuf::from);
        }
        if let Some(v) = s.strip_prefix("--config=") {
            return Some(PathBuf::from(v));
        }
    }
    let default = PathBuf::from(DEFAULT_FILE);
    default.is_file().then_some(default)
}

/// The flags the user gave after the subcommand, by long name (short ones such as `-o`
/// looked up in `cmd`).
fn given_flags(cmd: &clap::Command, args: &[OsString]) -> Vec<String> {
    let mut given = Vec::new();
    for a in args.iter().filter_map(|a| a.to_str()) {
        if let Some(long) = a.strip_prefix("--") {
            given.push(long.split('=').next().unwrap_or(long).to_string());
        } else if let Some(shorts) = a.strip_prefix('-') {
            for c in shorts.chars() {
                match cmd.get_arguments().find(|arg| arg.get_short() == Some(c)) {
                    Some(arg) => given.extend(arg.get_long().map(str::to_string)),
                    // The rest is the value of a short option (`-oDIR`).
                    None => break,
                }
            }
        }
    }
    given
}

fn toml_scalar(v: &toml::Value) -> Option<String> {
    match v {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Integer(i) => Some(i.to_string()),
        toml::Value::Float(f) => Some(f.to_string()),
        toml::Value::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Whether an argument's value, relative to the config file's folder `base`, is a path:
/// its value name says so, or it names a model and that folder exists.
fn takes_path(arg: &clap::Arg, value: &str, base: &Path) -> bool {
    arg.get_value_names().is_some_and(|names| {
        names.iter().any(|n| match n.as_str() {
            "PATH" | "FILE" | "DIR" => true,
            "NAME_OR_DIR" => base.join(value.split(':').next().unwrap_or(value)).is_dir(),
            _ => false,
        })
    })
}

/// Whether `arg` and a flag the user gave cannot be used together (declared on either):
/// the command line wins, so the setting is left out rather than failing the parse.
fn conflicts_with_given(cmd: &clap::Command, arg: &clap::Arg, given: &[String]) -> bool {
    cmd.get_arguments().filter(|other| other.get_long().is_some_and(|l| given.iter().any(|g| g == l))).any(|other| {
        cmd.get_arg_conflicts_with(arg).iter().any(|c| c.get_id() == other.get_id())
            || cmd.get_arg_conflicts_with(other).iter().any(|c| c.get_id() == arg.get_id())
    })
}

/// `argv` with the config file's settings for `irritant run` inserted after the
/// subcommand, where the command line does not give them. `cmd` is the whole command
/// (for the flags of `run`); returns `argv` unchanged for other subcommands.
pub fn merge(cmd: &clap::Command, argv: Vec<OsString>, file: &Path) -> Result<Vec<OsString>, ConfigError> {
    let err = |reason: String| ConfigError { file: file.to_path_buf(), reason };
    if argv.get(1).is_none_or(|a| a.as_os_str() != "run") {
        return Ok(argv);
    }
    let run_at = 1;
    let text = std::fs::read_to_string(file).map_err(|e| err(format!("cannot read: {e}")))?;
    let doc: toml::Table = toml::from_str(&text).map_err(|e| err(format!("not valid TOML: {e}")))?;
    if let Some(other) = doc.keys().find(|k| k.as_str() != "run") {
        return Err(err(format!("unknown table or key {other:?}: settings go in a [run] table")));
    }
    let Some(run) = doc.get("run") else { return Ok(argv) };
    let run = run.as_table().ok_or_else(|| err("`run` must be a table ([run])".into()))?;
    let run_cmd = cmd.find_subcommand("run").expect("irritant has a run subcommand");
    let base = file.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let given = given_flags(run_cmd, &argv[run_at + 1..]);
    let valid: Vec<&str> =
        run_cmd.get_arguments().filter_map(|a| a.get_long()).filter(|l| *l != "config" && *l != "help").collect();
    let mut injected: Vec<OsString> = Vec::new();
    for (key, value) in run {
        let long = key.replace('_', "-");
        let Some(arg) = run_cmd.get_arguments().find(|a| a.get_long() == Some(long.as_str()) && long != "config")
        else {
            return Err(err(format!("unknown setting {key:?} in [run]; valid: {}", valid.join(", "))));
        };
        if given.contains(&long) || conflicts_with_given(run_cmd, arg, &given) {
            continue;
        }
        let values: Vec<&toml::Value> = match value {
            toml::Value::Array(items) => items.iter().collect(),
            v => vec![v],
        };
        if values.len() > 1 && !matches!(arg.get_action(), ArgAction::Append) {
            return Err(err(format!("{key}: takes one value, not a list")));
        }
        for v in values {
            let s = toml_scalar(v).ok_or_else(|| err(format!("{key}: expected a string, number or boolean")))?;
            match arg.get_action() {
                ArgAction::SetTrue => match v {
                    toml::Value::Boolean(true) => injected.push(format!("--{long}").into()),
                    toml::Value::Boolean(false) => {}
                    _ => return Err(err(format!("{key}: expected true or false"))),
                },
                _ => {
                    let s = if Path::new(&s).is_relative() && takes_path(arg, &s, base) {
                        base.join(&s).display().to_string()
                    } else {
                        s
                    };
                    injected.push(format!("--{long}={s}").into());
                }
            }
        }
    }
    let mut out = argv[..=run_at].to_vec();
    out.extend(injected);
    out.extend(argv[run_at + 1..].iter().cloned());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{Arg, Command};

    fn cmd() -> Command {
        Command::new("irritant").subcommand(
            Command::new("run")
                .arg(Arg::new("comments").long("comments").value_name("PATH").action(ArgAction::Append))
                .arg(Arg::new("threads").long("threads"))
                .arg(Arg::new("out").long("out").short('o').value_name("DIR"))
                .arg(Arg::new("no-redact").long("no-redact").action(ArgAction::SetTrue))
                .arg(
                    Arg::new("redact-kinds")
                        .long("redact-kinds")
                        .value_delimiter(',')
                        .action(ArgAction::Append)
                        .conflicts_with("no-redact"),
                )
                .arg(Arg::new("config").long("config").value_name("FILE")),
        )
    }

    fn merged(toml: &str, args: &[&str]) -> Result<Vec<String>, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("irritant.toml");
        std::fs::write(&file, toml).unwrap();
        let argv = args.iter().map(OsString::from).collect();
        merge(&cmd(), argv, &file).map(|v| {
            v.into_iter().map(|a| a.to_string_lossy().replace(&dir.path().display().to_string(), "CFG")).collect()
        })
    }

    #[test]
    fn settings_become_flags_before_the_users() {
        let out = merged(
            "[run]\ncomments = [\"a.csv\", \"/abs/b.csv\"]\nthreads = 2\nno_redact = true\n",
            &["irritant", "run", "--threads", "4"],
        )
        .unwrap();
        assert_eq!(
            out,
            vec!["irritant", "run", "--comments=CFG/a.csv", "--comments=/abs/b.csv", "--no-redact", "--threads", "4"]
        );
    }

    #[test]
    fn a_short_flag_counts_as_given() {
        let out = merged("[run]\nout = \"from-file\"\n", &["irritant", "run", "-o", "x"]).unwrap();
        assert_eq!(out, vec!["irritant", "run", "-o", "x"]);
    }

    #[test]
    fn a_flag_on_the_command_line_replaces_a_repeatable_setting() {
        let out = merged("[run]\ncomments = [\"a.csv\"]\n", &["irritant", "run", "--comments=x.csv"]).unwrap();
        assert_eq!(out, vec!["irritant", "run", "--comments=x.csv"]);
    }

    #[test]
    fn unknown_keys_and_wrong_shapes_are_errors() {
        let e = merged("[run]\nthread = 2\n", &["irritant", "run"]).unwrap_err().reason;
        assert!(e.contains("unknown setting \"thread\"") && e.contains("threads"), "{e}");
        let e = merged("threads = 2\n", &["irritant", "run"]).unwrap_err().reason;
        assert!(e.contains("[run]"), "{e}");
        let e = merged("[run]\nthreads = [1, 2]\n", &["irritant", "run"]).unwrap_err().reason;
        assert!(e.contains("one value"), "{e}");
        let e = merged("[run]\nno_redact = \"yes\"\n", &["irritant", "run"]).unwrap_err().reason;
        assert!(e.contains("true or false"), "{e}");
    }

    #[test]
    fn redact_kinds_is_a_list_or_a_comma_separated_string() {
        let out = merged("[run]\nredact_kinds = [\"email\", \"phone\"]\n", &["irritant", "run"]).unwrap();
        assert_eq!(out, vec!["irritant", "run", "--redact-kinds=email", "--redact-kinds=phone"]);
        let out = merged("[run]\nredact-kinds = \"email,name\"\n", &["irritant", "run"]).unwrap();
        assert_eq!(out, vec!["irritant", "run", "--redact-kinds=email,name"]);
        let parsed = cmd().try_get_matches_from(out).unwrap();
        let kinds: Vec<&String> =
            parsed.subcommand_matches("run").unwrap().get_many::<String>("redact-kinds").unwrap().collect();
        assert_eq!(kinds, ["email", "name"]);
    }

    /// A setting that conflicts with a flag on the command line is left out, whichever of
    /// the two declares the conflict.
    #[test]
    fn a_conflicting_flag_on_the_command_line_wins() {
        let out = merged("[run]\nredact_kinds = [\"email\"]\nthreads = 2\n", &["irritant", "run", "--no-redact"]);
        assert_eq!(out.unwrap(), vec!["irritant", "run", "--threads=2", "--no-redact"]);
        let out = merged("[run]\nno_redact = true\n", &["irritant", "run", "--redact-kinds", "name"]);
        assert_eq!(out.unwrap(), vec!["irritant", "run", "--redact-kinds", "name"]);
        // Both in the file: the parser reports the conflict.
        let out = merged("[run]\nno_redact = true\nredact_kinds = \"name\"\n", &["irritant", "run"]).unwrap();
        assert!(cmd().try_get_matches_from(out).is_err());
    }
}
