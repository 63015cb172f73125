//! Finding and loading ONNX Runtime's shared library.
//!
//! irritant does not link ONNX Runtime: the library is loaded when an encoder model is
//! first used, from (in this order) the `--ort-lib` flag, the `ORT_DYLIB_PATH`
//! environment variable, or the `onnxruntime` Python package installed for `python3`
//! (its `capi/` folder ships `libonnxruntime.so`). Nothing is downloaded.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{anyhow, bail, Result};
use ort::environment::Environment;

/// The environment variable naming the library.
pub const ENV_VAR: &str = "ORT_DYLIB_PATH";

static ENVIRONMENT: OnceLock<std::result::Result<(PathBuf, Environment), String>> = OnceLock::new();

/// Finds the library: the flag, then the environment variable, then the Python package.
pub fn locate(flag: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = flag {
        if !p.is_file() {
            bail!("--ort-lib {}: no such file", p.display());
        }
        return Ok(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os(ENV_VAR).filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        if !p.is_file() {
            bail!("{ENV_VAR}={}: no such file", p.display());
        }
        return Ok(p);
    }
    if let Some(p) = from_python_package() {
        return Ok(p);
    }
    bail!(
        "cannot find the ONNX Runtime library: give its path with --ort-lib, or set {ENV_VAR}, \
         or install the onnxruntime Python package for python3 (models/e5-small/setup.sh does)"
    )
}

/// `libonnxruntime` inside the `onnxruntime` package that `python3` imports, if any.
fn from_python_package() -> Option<PathBuf> {
    let out = std::process::Command::new("python3")
        .args(["-c", "import os, onnxruntime; print(os.path.dirname(onnxruntime.__file__))"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let capi = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim()).join("capi");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&capi)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            (name.starts_with("libonnxruntime.so") || name.starts_with("libonnxruntime.") && name.ends_with(".dylib"))
                && !name.contains("providers")
                || name == "onnxruntime.dll"
        })
        .collect();
    // The versioned name (libonnxruntime.so.1.31.1) is the real file; prefer it.
    found.sort_by_key(|p| std::cmp::Reverse(p.as_os_str().len()));
    found.into_iter().next()
}

/// Loads the library once per process and returns the ONNX Runtime environment and the
/// library's path. A later call with another path gets the first one's environment.
pub fn environment(flag: Option<&Path>) -> Result<(&'static Path, &'static Environment)> {
    let init = ENVIRONMENT.get_or_init(|| {
        let path = locate(flag).map_err(|e| e.to_string())?;
        let env = ort::init_from(&path)
            .map_err(|e| format!("cannot load ONNX Runtime from {}: {e}", path.display()))?
            .with_name("irritant")
            .with_telemetry(false)
            .build()
            .map_err(|e| format!("cannot start ONNX Runtime from {}: {e}", path.display()))?;
        tracing::info!(library = %path.display(), "ONNX Runtime loaded");
        Ok((path, env))
    });
    match init {
        Ok((p, e)) => Ok((p.as_path(), e)),
        Err(e) => Err(anyhow!("{e}")),
    }
}
