//! `tandem release`: cut a release (freeze its files in tandem.lock), or bundle a cut
//! one for a deploy pipeline.

use std::path::{Path, PathBuf};

use clap::Subcommand;

use crate::bundle;
use crate::diag::Result;
use crate::generate;
use crate::layout;
use crate::project::Project;

#[derive(Debug, Subcommand)]
pub enum ReleaseAction {
    /// Freeze a release: record its files and checksums in tandem.lock.
    Cut { release: String },
    /// Pack a cut release for a deploy pipeline: pre-deploy/, post-deploy/, runbook.md,
    /// manifest.json.
    Bundle {
        release: String,
        #[arg(long)]
        out: PathBuf,
    },
}

pub fn run(root: &Path, action: &ReleaseAction) -> Result<u8> {
    match action {
        ReleaseAction::Cut { release } => cut(root, release),
        ReleaseAction::Bundle { release, out } => bundle(root, release, out),
    }
}

fn cut(root: &Path, release: &str) -> Result<u8> {
    let project = Project::load(root)?;
    let plan = layout::build_plan(&project)?;
    let frozen = generate::cut(&plan, &project.config, &project.lock, release)?;
    let earlier: Vec<&str> = frozen
        .iter()
        .map(String::as_str)
        .filter(|n| *n != release)
        .collect();
    if earlier.is_empty() {
        println!("cut {release}: recorded in tandem.lock");
    } else {
        println!(
            "cut {release}: recorded in tandem.lock, with the releases before it that were not cut: {}",
            earlier.join(", ")
        );
    }
    Ok(0)
}

fn bundle(root: &Path, release: &str, out: &Path) -> Result<u8> {
    let project = Project::load(root)?;
    let plan = layout::build_plan(&project)?;
    let manifest = bundle::write(&project, &plan, release, out)?;
    let in_phase = |phase: &str| manifest.files.iter().filter(|f| f.phase == phase).count();
    println!(
        "bundled {release} into {}: {} pre-deploy, {} post-deploy files",
        out.display(),
        in_phase("expand"),
        in_phase("contract")
    );
    Ok(0)
}
