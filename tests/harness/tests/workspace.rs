//! The workspace's package lists cannot drift: `Cargo.toml` names its members twice
//! (`members` and `default-members`) and the OS programs are listed in
//! `scripts/os-programs`. The rules: `members` is exactly `default-members` plus the OS
//! programs' folders, no list names a folder twice, each OS program's folder holds the
//! package the list names, and every package folder in the tree (fuzz crates, which are
//! workspaces of their own, aside) is a member.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn manifest(path: &Path) -> toml::Table {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.parse()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A list of folders under `[workspace]`, checked for duplicates.
fn workspace_list(key: &str) -> BTreeSet<String> {
    let table = manifest(&root().join("Cargo.toml"));
    let list = table["workspace"][key]
        .as_array()
        .unwrap_or_else(|| panic!("workspace.{key} is not a list"));
    let mut set = BTreeSet::new();
    for entry in list {
        let folder = entry.as_str().unwrap().to_string();
        assert!(
            set.insert(folder.clone()),
            "workspace.{key} names {folder} twice"
        );
    }
    set
}

/// `scripts/os-programs`: (package, folder) pairs.
fn os_programs() -> Vec<(String, String)> {
    let path = root().join("scripts/os-programs");
    fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|line| line.split('#').next().unwrap_or_default())
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(
                fields.len(),
                2,
                "{}: not `package folder`: {line:?}",
                path.display()
            );
            (fields[0].to_string(), fields[1].to_string())
        })
        .collect()
}

/// Folders below `dir` (relative to the root) holding a Cargo.toml, skipping `target`
/// and `fuzz` folders.
fn package_folders(dir: &Path, found: &mut BTreeSet<String>) {
    for entry in fs::read_dir(root().join(dir)).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if !entry.file_type().unwrap().is_dir() || name == "target" || name == "fuzz" {
            continue;
        }
        let rel = dir.join(&name);
        if root().join(&rel).join("Cargo.toml").is_file() {
            found.insert(rel.to_str().unwrap().to_string());
        }
        package_folders(&rel, found);
    }
}

#[test]
fn members_are_the_default_members_plus_the_os_programs() {
    let members = workspace_list("members");
    let defaults = workspace_list("default-members");
    let programs: BTreeSet<String> = os_programs().into_iter().map(|(_, f)| f).collect();
    let not_members: Vec<&String> = defaults.difference(&members).collect();
    assert!(
        not_members.is_empty(),
        "default-members that are not members: {not_members:?}"
    );
    let both: Vec<&String> = defaults.intersection(&programs).collect();
    assert!(
        both.is_empty(),
        "OS programs among default-members (they build only for the OS target): {both:?}"
    );
    let expected: BTreeSet<String> = defaults.union(&programs).cloned().collect();
    let extra: Vec<&String> = members.difference(&expected).collect();
    assert!(
        extra.is_empty(),
        "members that are neither default-members nor in scripts/os-programs: {extra:?}"
    );
    let missing: Vec<&String> = expected.difference(&members).collect();
    assert!(
        missing.is_empty(),
        "OS programs that are not members: {missing:?}"
    );
}

#[test]
fn each_os_program_folder_holds_the_package_listed() {
    let mut names = BTreeSet::new();
    for (package, folder) in os_programs() {
        assert!(
            names.insert(package.clone()),
            "scripts/os-programs lists {package} twice"
        );
        let table = manifest(&root().join(&folder).join("Cargo.toml"));
        assert_eq!(
            table["package"]["name"].as_str(),
            Some(package.as_str()),
            "{folder}/Cargo.toml"
        );
    }
}

#[test]
fn every_package_in_the_tree_is_a_member() {
    let members = workspace_list("members");
    let mut found = BTreeSet::new();
    for top in ["userspace", "tools", "tests", "source"] {
        package_folders(Path::new(top), &mut found);
    }
    let strays: Vec<&String> = found.difference(&members).collect();
    assert!(
        strays.is_empty(),
        "packages that are not workspace members: {strays:?}"
    );
}
