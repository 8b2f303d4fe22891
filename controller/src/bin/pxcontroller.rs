//! `pxcontroller`: the controller process.

fn main() -> anyhow::Result<()> {
    anyhow::bail!("pxcontroller cannot run a cluster yet")
}
