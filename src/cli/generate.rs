//! Shell completions (clap_complete) and man pages (clap_mangen) generated from the clap definitions.

use clap::ValueEnum;
use clap_complete::{Generator, Shell};
use clap_complete_nushell::Nushell;

/// A shell `kube-rofs completions` writes a script for: clap_complete's shells and nushell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompletionShell {
    Bash,
    Elvish,
    Fish,
    Nushell,
    Powershell,
    Zsh,
}

/// The command tree as the generators see it: built, so a subcommand knows its full name
/// (`kube-rofs-check`, `kube-rofs check`); no `help` subcommand.
fn built(cmd: clap::Command) -> clap::Command {
    let mut cmd = cmd.disable_help_subcommand(true);
    cmd.build();
    cmd
}

/// The completion script of `cmd` for `shell`.
pub fn completions(cmd: clap::Command, shell: CompletionShell) -> String {
    fn script(generator: impl Generator, cmd: clap::Command) -> String {
        let mut cmd = built(cmd);
        let mut out = Vec::new();
        clap_complete::generate(generator, &mut cmd, "kube-rofs", &mut out);
        String::from_utf8(out).expect("completion scripts are UTF-8")
    }
    match shell {
        CompletionShell::Bash => script(Shell::Bash, cmd),
        CompletionShell::Elvish => script(Shell::Elvish, cmd),
        CompletionShell::Fish => script(Shell::Fish, cmd),
        CompletionShell::Nushell => script(Nushell, cmd),
        CompletionShell::Powershell => script(Shell::PowerShell, cmd),
        CompletionShell::Zsh => script(Shell::Zsh, cmd),
    }
}

/// The roff man page of `cmd`, or of one of its subcommands (`kube-rofs-check(1)`).
pub fn man(cmd: clap::Command, subcommand: Option<&str>) -> Result<String, String> {
    let cmd = built(cmd);
    let page = match subcommand {
        None => cmd,
        Some(name) => match cmd.find_subcommand(name) {
            Some(sub) => sub.clone(),
            None => {
                let names: Vec<&str> = cmd.get_subcommands().map(|s| s.get_name()).collect();
                return Err(format!("no subcommand '{name}' (one of: {})", names.join(", ")));
            }
        },
    };
    let mut out = Vec::new();
    let source = format!("kube-rofs {}", env!("CARGO_PKG_VERSION"));
    clap_mangen::Man::new(page).source(source).render(&mut out).expect("writing to a Vec");
    Ok(String::from_utf8(out).expect("man pages are UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::args::Cli;
    use clap::CommandFactory;

    #[test]
    fn completions_name_every_subcommand() {
        for shell in CompletionShell::value_variants() {
            let s = completions(Cli::command(), *shell);
            for name in
                ["check", "diff", "fix", "explain", "completions", "man", "stdin-filename", "color", "no-ignore"]
            {
                assert!(s.contains(name), "{shell:?}: no {name}");
            }
        }
        // nushell's script is a module of extern definitions, one per subcommand.
        let nu = completions(Cli::command(), CompletionShell::Nushell);
        assert!(nu.contains("export extern \"kube-rofs check\""), "{nu}");
    }

    #[test]
    fn man_pages_for_the_tool_and_each_subcommand() {
        // roff escapes hyphens.
        let page = man(Cli::command(), None).unwrap().replace("\\-", "-");
        assert!(page.starts_with(".ie"), "{}", &page[..200]);
        assert!(page.contains(".TH kube-rofs 1"), "{page}");
        for sub in ["kube-rofs-check", "kube-rofs-diff", "kube-rofs-fix", "kube-rofs-explain"] {
            assert!(page.contains(sub), "no {sub}: {page}");
        }
        let check = man(Cli::command(), Some("check")).unwrap().replace("\\-", "-");
        assert!(check.contains(".TH kube-rofs-check 1  \"kube-rofs "), "{check}");
        assert!(check.contains("threshold"), "{check}");
        assert!(man(Cli::command(), Some("nope")).is_err());
    }
}
