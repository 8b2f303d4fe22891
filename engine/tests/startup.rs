//! The files a stock engine runs as it starts — `$PYTHONSTARTUP`, then the profile's
//! `startup/` files by name — run in pxengine's Python too, and a Python that dies in one
//! ends the engine with one line, as a stock engine dies with it.

mod support;

use support::{Controller, LIMIT};

#[test]
fn python_startup_and_profile_startup_files_run_in_order() {
    let controller = Controller::start();
    let startup = controller.profile_dir().join("startup");
    std::fs::create_dir_all(&startup).unwrap();
    std::fs::write(
        startup.join("10-second.py"),
        "order.append('10')\nfrom_profile = 1\n",
    )
    .unwrap();
    std::fs::write(startup.join("05-first.ipy"), "order.append('05')\n").unwrap();
    std::fs::write(startup.join("README"), "not python\n").unwrap();
    let env_file = controller.profile_dir().join("env_startup.py");
    std::fs::write(&env_file, "order = ['env']\nfrom_env = 1\n").unwrap();
    let _engine = controller.engine_with(&[], &[("PYTHONSTARTUP", env_file.to_str().unwrap())]);
    let r = controller.drive("startup.py", &[]);
    assert_eq!(
        r["names"],
        serde_json::json!(["from_env", "from_profile", "order"])
    );
    assert_eq!(r["order"], serde_json::json!(["env", "05", "10"]));
}

#[test]
fn a_python_dying_in_a_startup_file_ends_the_engine_with_one_line() {
    let controller = Controller::start();
    let crash = controller.profile_dir().join("crash.py");
    std::fs::write(&crash, "import os\nos._exit(1)\n").unwrap();
    let mut engine = controller.engine_with(&[], &[("PYTHONSTARTUP", crash.to_str().unwrap())]);
    let status = engine.wait(LIMIT).expect("the engine gives up");
    assert_eq!(status.code(), Some(1));
    let stderr = engine.stderr();
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("pxengine: the Python died running the startup file")
            && last.contains("crash.py")
            && last.contains("exit code 1"),
        "{stderr}"
    );
}
