#![allow(clippy::unwrap_used)]
use relay_shared::markdown::*;
#[test]
fn perf() {
    let inputs = vec![
        ("list", "- a\n".repeat(100_000)),
        ("emph", "*a* b ".repeat(100_000)),
        ("quotes", ">".repeat(1_000_000)),
        ("nested", (0..2000).map(|d| format!("{}- x\n", " ".repeat(d * 2))).collect::<String>()),
        ("table", format!("|a|b|\n|-|-|\n{}", "|x|y|\n".repeat(50_000))),
        ("links", "[a](https://e.x) ".repeat(100_000)),
    ];
    for (name, md) in inputs {
        let t = std::time::Instant::now();
        let doc = to_blocks(&md);
        let parsed = t.elapsed();
        let t = std::time::Instant::now();
        let (blocks, plan) = match doc {
            Ok(doc) => { let n = doc.blocks.len(); (n, plan_requests(doc.blocks).map(|p| p.appends.len())) }
            Err(e) => { println!("{name}: error {e}"); continue; }
        };
        println!("{name}: {} bytes, parse {:?}, {} top blocks, plan {:?} -> {:?}", md.len(), parsed, blocks, t.elapsed(), plan);
    }
}
