//! Ids: UUID normalisation, deterministic ids from a seed, random tokens.

/// A small deterministic PRNG (SplitMix64): same seed, same workspace.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (0 when n is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        (self.next_u64() % n as u64) as usize
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// A version-4-shaped UUID.
    pub fn uuid(&mut self) -> String {
        let hi = self.next_u64();
        let lo = self.next_u64();
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&hi.to_be_bytes());
        bytes[8..].copy_from_slice(&lo.to_be_bytes());
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        uuid::Uuid::from_bytes(bytes).hyphenated().to_string()
    }
}

/// A fresh random UUID (objects created through the API).
pub fn new_id() -> String {
    uuid::Uuid::new_v4().hyphenated().to_string()
}

/// A random opaque secret with a recognisable prefix.
pub fn random_token(prefix: &str) -> String {
    format!(
        "{prefix}{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// Accepts a UUID with or without dashes (any case); returns the dashed lowercase form.
pub fn normalize_id(raw: &str) -> Option<String> {
    let hex: String = raw.chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    if raw.contains('-') && raw.len() != 36 {
        return None;
    }
    let h = hex.to_ascii_lowercase();
    Some(format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    ))
}

/// The dash-less form used in Notion URLs.
pub fn compact_id(id: &str) -> String {
    id.chars().filter(|c| *c != '-').collect()
}

/// Constant-time equality for secrets.
pub fn secret_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= usize::from(x ^ y);
    }
    diff == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_dashless_and_uppercase_ids() {
        assert_eq!(
            normalize_id("38C9CE7B60A481B5B6E9F15A6673D8AD").as_deref(),
            Some("38c9ce7b-60a4-81b5-b6e9-f15a6673d8ad")
        );
        assert_eq!(
            normalize_id("38c9ce7b-60a4-81b5-b6e9-f15a6673d8ad").as_deref(),
            Some("38c9ce7b-60a4-81b5-b6e9-f15a6673d8ad")
        );
        assert!(normalize_id("not-a-uuid").is_none());
        assert!(normalize_id("38c9ce7b-60a4-81b5-b6e9-f15a6673d8a").is_none());
        assert!(normalize_id("38c9ce7b60a4-81b5-b6e9-f15a6673d8ad").is_none());
    }

    #[test]
    fn rng_is_deterministic() {
        let a: Vec<String> = (0..3)
            .map({
                let mut r = Rng::new(7);
                move |_| r.uuid()
            })
            .collect();
        let b: Vec<String> = (0..3)
            .map({
                let mut r = Rng::new(7);
                move |_| r.uuid()
            })
            .collect();
        assert_eq!(a, b);
        assert_ne!(a[0], a[1]);
        assert!(normalize_id(&a[0]).is_some());
    }

    #[test]
    fn secret_eq_compares_whole_strings() {
        assert!(secret_eq("abc", "abc"));
        assert!(!secret_eq("abc", "abd"));
        assert!(!secret_eq("abc", "abcd"));
        assert!(!secret_eq("", "a"));
    }
}
