use granit_parser::Parser;
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let s = std::fs::read_to_string(path).unwrap();
    for ev in Parser::new_from_str(&s) {
        match ev {
            Ok((e, sp)) => println!("{:?} [{:?}] l{}c{} indent={:?} {:?}", e, sp.byte_range(), sp.start.line(), sp.start.col(), sp.indent, sp.slice(&s)),
            Err(e) => { println!("ERR {:?} {}", e, e); break; }
        }
    }
}
