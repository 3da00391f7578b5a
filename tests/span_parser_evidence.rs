//! Why the span tree is built with granit-parser and not yaml-rust2 (see README, "Span parser").
//! These tests pin the measured facts; if yaml-rust2 changes, they fail and the choice can be
//! revisited.

use granit_parser::{Event as GEvent, Parser as GParser};
use yaml_rust2::parser::{Event, Parser};

const DRIFT: &str = "k: |\n  ✓✓✓\nz: 1\n";

/// (event, marker index) pairs from yaml-rust2.
fn yaml_rust2_scalars(text: &str) -> Vec<(String, usize, usize, usize)> {
    let mut p = Parser::new_from_str(text);
    let mut out = Vec::new();
    loop {
        let (ev, mark) = p.next_token().unwrap();
        match ev {
            Event::Scalar(v, ..) => out.push((v.to_string(), mark.index(), mark.line(), mark.col())),
            Event::StreamEnd => return out,
            _ => {}
        }
    }
}

#[test]
fn yaml_rust2_index_drifts_after_a_non_ascii_block_scalar() {
    let byte_of_z = DRIFT.find("z:").unwrap();
    assert_eq!(byte_of_z, 17);
    let z = yaml_rust2_scalars(DRIFT).into_iter().find(|s| s.0 == "z").unwrap();
    assert_ne!(z.1, byte_of_z, "yaml-rust2's index is not a byte offset here");
    assert_eq!((z.2, z.3), (3, 0), "its line and column are right");
}

#[test]
fn granit_gives_exact_byte_ranges_there() {
    let mut found = None;
    for next in GParser::new_from_str(DRIFT) {
        let (ev, span) = next.unwrap();
        if matches!(&ev, GEvent::Scalar(v, ..) if v == "z") {
            found = span.byte_range();
        }
    }
    assert_eq!(found, Some(17..18));
}

#[test]
fn yaml_rust2_has_no_scalar_end_positions() {
    // Only a start marker per event: the end of `plain\n  multi` (needed to insert after it)
    // would have to be re-scanned by hand. granit reports it.
    let text = "a: plain\n  multi # c\nb: 1\n";
    let mut end = None;
    for next in GParser::new_from_str(text) {
        let (ev, span) = next.unwrap();
        if matches!(&ev, GEvent::Scalar(v, ..) if v == "plain multi") {
            end = span.end.byte_offset();
        }
    }
    assert_eq!(end, Some(text.find(" # c").unwrap()));
    let starts: Vec<usize> = yaml_rust2_scalars(text).into_iter().map(|s| s.1).collect();
    assert_eq!(starts.len(), 4, "one marker per scalar, and it is the start");
}
