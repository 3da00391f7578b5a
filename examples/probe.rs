//! Fix one file and print the result to stdout (a development aid).
fn main() {
    let path = std::env::args().nth(1).expect("usage: probe FILE");
    let bytes = std::fs::read(&path).expect("read");
    match kube_rofs::process(&bytes, &kube_rofs::Options::default()) {
        Ok(o) => {
            for f in &o.findings {
                eprintln!(
                    "{}: {} {} {} {:?}",
                    f.pos, f.kind, f.name, f.container, f.status
                );
            }
            if let Some(s) = &o.skipped {
                eprintln!("skipped: {s}");
            }
            print!(
                "{}",
                String::from_utf8_lossy(o.fixed.as_deref().unwrap_or(&bytes))
            );
        }
        Err(e) => eprintln!("{path}:{e}"),
    }
}
