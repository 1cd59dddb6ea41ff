//! String matchers compiled once from Sigma values: wildcard patterns with
//! Sigma's escaping, case folding, CIDR networks and the base64 encodings.
//!
//! Everything here works on `&str` without allocating for ASCII input (the
//! usual CloudTrail value), so that matching one record against many rules
//! costs comparisons, not copies.

use std::net::IpAddr;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

/// One piece of a Sigma string after escape processing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tok {
    /// Plain text (already lowercased when the pattern is case-insensitive).
    Lit(String),
    /// `*`: any run of characters, the empty one included.
    Star,
    /// `?`: exactly one character.
    One,
}

/// Parses a Sigma string value into literal text and wildcards, as the
/// specification's "Escaping" section (and pySigma, its reference
/// implementation) says: `\*`, `\?` and `\\` are the plain characters, a
/// backslash before any other character (or at the end) is itself plain.
pub(crate) fn parse_sigma_string(s: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut escaped = false;
    for c in s.chars() {
        if escaped {
            if matches!(c, '*' | '?' | '\\') {
                push_char(&mut out, c);
            } else {
                push_char(&mut out, '\\');
                push_char(&mut out, c);
            }
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == '*' {
            out.push(Tok::Star);
        } else if c == '?' {
            out.push(Tok::One);
        } else {
            push_char(&mut out, c);
        }
    }
    if escaped {
        push_char(&mut out, '\\');
    }
    out
}

fn push_char(out: &mut Vec<Tok>, c: char) {
    if let Some(Tok::Lit(s)) = out.last_mut() {
        s.push(c);
    } else {
        out.push(Tok::Lit(c.to_string()));
    }
}

/// The plain text of tokens without wildcards, `None` when one is present.
pub(crate) fn plain_text(toks: &[Tok]) -> Option<String> {
    let mut s = String::new();
    for t in toks {
        match t {
            Tok::Lit(l) => s.push_str(l),
            Tok::Star | Tok::One => return None,
        }
    }
    Some(s)
}

/// Where a value must appear in the field: the `contains`, `startswith` and
/// `endswith` modifiers, or the whole value (no modifier).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Anchor {
    Whole,
    Contains,
    StartsWith,
    EndsWith,
}

/// A compiled wildcard pattern. The common shapes (exact, prefix, suffix,
/// substring) get their own fast paths; anything else runs a linear-space,
/// O(pattern x text) glob matcher that cannot backtrack exponentially.
#[derive(Debug, Clone)]
pub(crate) struct StrPattern {
    kind: Kind,
    cased: bool,
}

#[derive(Debug, Clone)]
enum Kind {
    Exact(String),
    Prefix(String),
    Suffix(String),
    Contains(String),
    Any,
    Glob(Vec<Tok>),
}

impl StrPattern {
    /// Compiles tokens with an anchor, lowercasing the literals once unless
    /// the pattern is `cased`.
    pub(crate) fn new(mut toks: Vec<Tok>, anchor: Anchor, cased: bool) -> Self {
        // pySigma's contains/startswith/endswith only add a `*` where there
        // is none already.
        let starts_star = matches!(toks.first(), Some(Tok::Star));
        let ends_star = matches!(toks.last(), Some(Tok::Star));
        if matches!(anchor, Anchor::Contains | Anchor::EndsWith) && !starts_star {
            toks.insert(0, Tok::Star);
        }
        if matches!(anchor, Anchor::Contains | Anchor::StartsWith) && !ends_star {
            toks.push(Tok::Star);
        }
        // Merge runs of stars and of literals; lowercase literals.
        let mut norm: Vec<Tok> = Vec::with_capacity(toks.len());
        for t in toks {
            match t {
                Tok::Star if matches!(norm.last(), Some(Tok::Star)) => {}
                Tok::Lit(l) => {
                    let l = if cased { l } else { l.to_lowercase() };
                    if l.is_empty() {
                        continue;
                    }
                    if let Some(Tok::Lit(prev)) = norm.last_mut() {
                        prev.push_str(&l);
                    } else {
                        norm.push(Tok::Lit(l));
                    }
                }
                other => norm.push(other),
            }
        }
        let kind = match norm.as_slice() {
            [] => Kind::Exact(String::new()),
            [Tok::Lit(l)] => Kind::Exact(l.clone()),
            [Tok::Star] => Kind::Any,
            [Tok::Lit(l), Tok::Star] => Kind::Prefix(l.clone()),
            [Tok::Star, Tok::Lit(l)] => Kind::Suffix(l.clone()),
            [Tok::Star, Tok::Lit(l), Tok::Star] => Kind::Contains(l.clone()),
            _ => Kind::Glob(norm),
        };
        StrPattern { kind, cased }
    }

    /// A pattern matching exactly `text` (no wildcard interpretation).
    pub(crate) fn literal(text: &str, anchor: Anchor, cased: bool) -> Self {
        Self::new(vec![Tok::Lit(text.to_string())], anchor, cased)
    }

    /// The exact text this pattern requires (lowercased unless cased), when
    /// it has no wildcard: what the rule index keys on.
    pub(crate) fn exact(&self) -> Option<&str> {
        match &self.kind {
            Kind::Exact(s) => Some(s),
            _ => None,
        }
    }

    /// Whether `s` matches, folding case unless the pattern is cased.
    pub(crate) fn is_match(&self, s: &str) -> bool {
        if self.cased {
            self.kind.matches(s, false)
        } else if s.is_ascii() {
            self.kind.matches(s, true)
        } else {
            self.kind.matches(&s.to_lowercase(), false)
        }
    }
}

impl Kind {
    /// `fold`: compare ASCII letters case-insensitively (the pattern is
    /// already lowercase and `s` is ASCII).
    fn matches(&self, s: &str, fold: bool) -> bool {
        match self {
            Kind::Exact(l) => eq(s.as_bytes(), l.as_bytes(), fold),
            Kind::Prefix(l) => {
                s.len() >= l.len() && eq(&s.as_bytes()[..l.len()], l.as_bytes(), fold)
            }
            Kind::Suffix(l) => {
                s.len() >= l.len() && eq(&s.as_bytes()[s.len() - l.len()..], l.as_bytes(), fold)
            }
            Kind::Contains(l) => find(s.as_bytes(), l.as_bytes(), fold).is_some(),
            Kind::Any => true,
            Kind::Glob(toks) => glob(toks, s, fold),
        }
    }
}

/// Byte equality, ASCII-case-insensitive when `fold`.
pub(crate) fn eq(a: &[u8], b: &[u8], fold: bool) -> bool {
    if fold {
        a.eq_ignore_ascii_case(b)
    } else {
        a == b
    }
}

/// First position of `needle` in `hay`.
pub(crate) fn find(hay: &[u8], needle: &[u8], fold: bool) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    if needle.len() > hay.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| eq(w, needle, fold))
}

/// Whether `s[at..]` starts with `lit`.
fn lit_at(s: &str, at: usize, lit: &str, fold: bool) -> bool {
    s.as_bytes()
        .get(at..at + lit.len())
        .is_some_and(|b| eq(b, lit.as_bytes(), fold))
}

/// Byte index of the character after the one starting at `at`.
fn next_char(s: &str, at: usize) -> usize {
    let mut i = at + 1;
    while i < s.len() && !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// Glob matching with `*` and `?` by the classic greedy algorithm that only
/// remembers the last star: O(pattern x text) time, no recursion.
fn glob(toks: &[Tok], s: &str, fold: bool) -> bool {
    let (mut ti, mut si) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    loop {
        if let Some(t) = toks.get(ti) {
            match t {
                Tok::Star => {
                    if ti + 1 == toks.len() {
                        return true;
                    }
                    star = Some((ti + 1, si));
                    ti += 1;
                    continue;
                }
                Tok::One if si < s.len() => {
                    si = next_char(s, si);
                    ti += 1;
                    continue;
                }
                Tok::Lit(l) if lit_at(s, si, l, fold) => {
                    si += l.len();
                    ti += 1;
                    continue;
                }
                _ => {}
            }
        } else if si == s.len() {
            return true;
        }
        match star {
            Some((sti, ssi)) if ssi < s.len() => {
                let n = next_char(s, ssi);
                star = Some((sti, n));
                ti = sti;
                si = n;
            }
            _ => return false,
        }
    }
}

/// Whether `hay` relates to `needle` as the anchor says, case-insensitively
/// unless `cased`: the comparison of two field values (`fieldref`).
pub(crate) fn relate(hay: &str, needle: &str, anchor: Anchor, cased: bool) -> bool {
    if cased {
        relate_bytes(hay.as_bytes(), needle.as_bytes(), anchor, false)
    } else if hay.is_ascii() && needle.is_ascii() {
        relate_bytes(hay.as_bytes(), needle.as_bytes(), anchor, true)
    } else {
        let (h, n) = (hay.to_lowercase(), needle.to_lowercase());
        relate_bytes(h.as_bytes(), n.as_bytes(), anchor, false)
    }
}

fn relate_bytes(h: &[u8], n: &[u8], anchor: Anchor, fold: bool) -> bool {
    match anchor {
        Anchor::Whole => eq(h, n, fold),
        Anchor::StartsWith => h.len() >= n.len() && eq(&h[..n.len()], n, fold),
        Anchor::EndsWith => h.len() >= n.len() && eq(&h[h.len() - n.len()..], n, fold),
        Anchor::Contains => find(h, n, fold).is_some(),
    }
}

/// An IPv4 or IPv6 network (the `cidr` modifier), parsed with the standard
/// library: a plain address is a single-host network; host bits must be
/// zero, as Python's `ipaddress.ip_network` (pySigma) requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `10.0.0.0/8`, `2001:db8::/32` or a bare address.
    pub fn parse(s: &str) -> Result<Cidr, String> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("`{s}` is not an IPv4 or IPv6 network"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => match p.parse::<u8>() {
                Ok(p) if p <= max => p,
                _ => return Err(format!("`{s}` has an invalid prefix length")),
            },
        };
        let cidr = Cidr { addr, prefix };
        if !cidr.contains(addr) || cidr.network_bits(addr) != cidr.addr_bits() {
            return Err(format!("`{s}` has host bits set"));
        }
        Ok(cidr)
    }

    fn addr_bits(&self) -> u128 {
        match self.addr {
            IpAddr::V4(a) => u128::from(u32::from(a)),
            IpAddr::V6(a) => u128::from(a),
        }
    }

    fn network_bits(&self, ip: IpAddr) -> u128 {
        match ip {
            IpAddr::V4(a) => {
                let mask = if self.prefix == 0 {
                    0
                } else {
                    u32::MAX << (32 - u32::from(self.prefix))
                };
                u128::from(u32::from(a) & mask)
            }
            IpAddr::V6(a) => {
                let mask = if self.prefix == 0 {
                    0
                } else {
                    u128::MAX << (128 - u32::from(self.prefix))
                };
                u128::from(a) & mask
            }
        }
    }

    /// Whether `ip` (IPv4-mapped IPv6 addresses count as IPv4) is inside.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        if ip.is_ipv4() != self.addr.is_ipv4() {
            return false;
        }
        self.network_bits(ip) == self.network_bits(self.addr)
    }

    /// Whether the text of a field value is an address inside.
    pub fn contains_text(&self, s: &str) -> bool {
        s.trim().parse::<IpAddr>().is_ok_and(|ip| self.contains(ip))
    }
}

/// The text encodings that may precede `base64`/`base64offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextEncoding {
    Utf8,
    Utf16Le,
    Utf16Be,
    /// UTF-16LE with a byte order mark.
    Utf16Bom,
}

impl TextEncoding {
    pub(crate) fn encode(self, s: &str) -> Vec<u8> {
        match self {
            TextEncoding::Utf8 => s.as_bytes().to_vec(),
            TextEncoding::Utf16Le => s.encode_utf16().flat_map(u16::to_le_bytes).collect(),
            TextEncoding::Utf16Be => s.encode_utf16().flat_map(u16::to_be_bytes).collect(),
            TextEncoding::Utf16Bom => {
                let mut v = vec![0xFF, 0xFE];
                v.extend(s.encode_utf16().flat_map(u16::to_le_bytes));
                v
            }
        }
    }
}

/// The `base64` modifier: the standard, padded encoding.
pub(crate) fn base64(data: &[u8]) -> String {
    STANDARD.encode(data)
}

/// The `base64offset` modifier: the three encodings of `data` at byte
/// offsets 0, 1 and 2 of a longer stream, cut to the characters that do not
/// depend on the neighbouring bytes (pySigma's algorithm). `None` when a
/// variant would be empty (a value too short to be searched for this way).
pub(crate) fn base64_offsets(data: &[u8]) -> Option<[String; 3]> {
    const START: [usize; 3] = [0, 2, 3];
    let mut out: [String; 3] = Default::default();
    for (i, slot) in out.iter_mut().enumerate() {
        let mut buf = vec![b' '; i];
        buf.extend_from_slice(data);
        let enc = STANDARD.encode(&buf);
        let end = match (data.len() + i) % 3 {
            0 => enc.len(),
            1 => enc.len().checked_sub(3)?,
            _ => enc.len().checked_sub(2)?,
        };
        let piece = enc.get(START[i]..end)?;
        if piece.is_empty() {
            return None;
        }
        *slot = piece.to_string();
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pat(s: &str, anchor: Anchor, cased: bool) -> StrPattern {
        StrPattern::new(parse_sigma_string(s), anchor, cased)
    }

    #[test]
    fn escaping_follows_the_spec_table() {
        // Plain backslash not before a wildcard: single or double.
        assert_eq!(
            parse_sigma_string(r"C:\Windows"),
            vec![Tok::Lit(r"C:\Windows".into())]
        );
        assert_eq!(parse_sigma_string(r"a\\b"), vec![Tok::Lit(r"a\b".into())]);
        // Escaped wildcards are plain characters.
        assert_eq!(parse_sigma_string(r"a\*b\?"), vec![Tok::Lit("a*b?".into())]);
        // Escaped backslash followed by a wildcard.
        assert_eq!(
            parse_sigma_string(r"a\\*"),
            vec![Tok::Lit(r"a\".into()), Tok::Star]
        );
        // Three backslashes: backslash and plain wildcard.
        assert_eq!(parse_sigma_string(r"a\\\*"), vec![Tok::Lit(r"a\*".into())]);
        // Three or four backslashes (not before a wildcard) are two.
        assert_eq!(
            parse_sigma_string(r"a\\\\b"),
            vec![Tok::Lit(r"a\\b".into())]
        );
        assert_eq!(parse_sigma_string(r"a\\\b"), vec![Tok::Lit(r"a\\b".into())]);
        // Trailing backslash is plain.
        assert_eq!(parse_sigma_string(r"a\"), vec![Tok::Lit(r"a\".into())]);
        assert_eq!(
            parse_sigma_string("a?*"),
            vec![Tok::Lit("a".into()), Tok::One, Tok::Star]
        );
    }

    #[test]
    fn escaped_wildcards_match_only_themselves() {
        let p = pat(r"100\*", Anchor::Whole, false);
        assert!(p.is_match("100*"));
        assert!(!p.is_match("1000"));
        let p = pat(r"what\?", Anchor::Whole, false);
        assert!(p.is_match("what?"));
        assert!(!p.is_match("whatx"));
        let p = pat(r"C:\\*", Anchor::Whole, false);
        assert!(p.is_match(r"C:\anything"));
        assert!(!p.is_match("C:anything"));
    }

    #[test]
    fn wildcards_and_case() {
        let p = pat("prog?.exe", Anchor::Whole, false);
        assert!(p.is_match("progA.exe"));
        assert!(p.is_match("PROGb.EXE"));
        assert!(!p.is_match("prog.exe"));
        assert!(!p.is_match("progAB.exe"));
        let p = pat("a*b*c", Anchor::Whole, false);
        assert!(p.is_match("abc"));
        assert!(p.is_match("aXXbYYc"));
        assert!(p.is_match("abcbc"));
        assert!(!p.is_match("aXXbYY"));
        assert!(!p.is_match("XabcX"));
        let p = pat("*", Anchor::Whole, false);
        assert!(p.is_match(""));
        assert!(p.is_match("anything"));
        // `?` is one character, not one byte.
        let p = pat("caf?", Anchor::Whole, false);
        assert!(p.is_match("café"));
        let p = pat("?", Anchor::Whole, true);
        assert!(p.is_match("é"));
        assert!(!p.is_match("éé"));
        // Non-ASCII case folding.
        let p = pat("ÉTÉ", Anchor::Contains, false);
        assert!(p.is_match("un été chaud"));
        let p = pat("Été", Anchor::Whole, true);
        assert!(!p.is_match("été"));
        assert!(p.is_match("Été"));
    }

    #[test]
    fn anchors() {
        assert!(pat("Update", Anchor::StartsWith, false)
            .is_match("UpdateFunctionConfiguration20150331v2"));
        assert!(!pat("Update", Anchor::StartsWith, false).is_match("xUpdate"));
        assert!(pat(".exe", Anchor::EndsWith, false).is_match("a.EXE"));
        assert!(!pat(".exe", Anchor::EndsWith, false).is_match("a.exe "));
        assert!(pat("ell", Anchor::Contains, false).is_match("HELLO"));
        assert!(!pat("ell", Anchor::Contains, true).is_match("HELLO"));
        // contains of `*` is everything (SigmaHQ's "field is set" idiom).
        assert!(pat("*", Anchor::Contains, false).is_match(""));
        // Contains with inner wildcards.
        let p = pat("a?c", Anchor::Contains, false);
        assert!(p.is_match("xxabcxx"));
        assert!(!p.is_match("xxacxx"));
        assert_eq!(pat("x", Anchor::Whole, false).exact(), Some("x"));
        assert_eq!(pat("X", Anchor::Whole, true).exact(), Some("X"));
        assert_eq!(pat("x*", Anchor::Whole, false).exact(), None);
        assert!(pat("", Anchor::Whole, false).is_match(""));
        assert!(!pat("", Anchor::Whole, false).is_match("a"));
    }

    #[test]
    fn glob_is_not_exponential() {
        let p = pat("*a*a*a*a*a*a*a*a*a*a*b", Anchor::Whole, false);
        let s = "a".repeat(20_000);
        let t = std::time::Instant::now();
        assert!(!p.is_match(&s));
        assert!(t.elapsed() < std::time::Duration::from_secs(2));
    }

    #[test]
    fn relate_modes() {
        assert!(relate("Alice", "alice", Anchor::Whole, false));
        assert!(!relate("Alice", "alice", Anchor::Whole, true));
        assert!(relate(
            "arn:aws:iam::1:user/Alice",
            "alice",
            Anchor::EndsWith,
            false
        ));
        assert!(relate(
            "arn:aws:iam::1:user/Alice",
            "ARN",
            Anchor::StartsWith,
            false
        ));
        assert!(relate("x/Ünïcode/y", "üNÏCODE", Anchor::Contains, false));
        assert!(!relate("abc", "abcd", Anchor::Contains, false));
    }

    #[test]
    fn cidr_v4_v6_and_mapped() {
        let c = Cidr::parse("10.0.0.0/8").unwrap();
        assert!(c.contains_text("10.1.2.3"));
        assert!(c.contains_text(" 10.255.255.255 "));
        assert!(!c.contains_text("11.0.0.1"));
        assert!(c.contains_text("::ffff:10.0.0.1"));
        assert!(!c.contains_text("AWS Internal"));
        assert!(!c.contains_text("ec2.amazonaws.com"));
        let c = Cidr::parse("2001:db8::/32").unwrap();
        assert!(c.contains_text("2001:db8:1::1"));
        assert!(!c.contains_text("2001:db9::1"));
        assert!(!c.contains_text("10.0.0.1"));
        let c = Cidr::parse("192.0.2.7").unwrap();
        assert!(c.contains_text("192.0.2.7"));
        assert!(!c.contains_text("192.0.2.8"));
        let c = Cidr::parse("0.0.0.0/0").unwrap();
        assert!(c.contains_text("8.8.8.8"));
        assert!(Cidr::parse("10.0.0.1/8").unwrap_err().contains("host bits"));
        assert!(Cidr::parse("10.0.0.0/33").is_err());
        assert!(Cidr::parse("10.0.0/8").is_err());
        assert!(Cidr::parse("nonsense").is_err());
    }

    #[test]
    fn base64_and_offsets() {
        assert_eq!(base64(b"http://"), "aHR0cDovLw==");
        // pySigma: base64offset of 'http://' gives these three fragments.
        let v = base64_offsets(b"http://").unwrap();
        assert_eq!(
            v,
            [
                "aHR0cDovL".to_string(),
                "h0dHA6Ly".to_string(),
                "odHRwOi8v".to_string()
            ]
        );
        assert!(base64_offsets(b"a").is_none());
        assert_eq!(
            TextEncoding::Utf16Le.encode("cmd"),
            vec![0x63, 0, 0x6d, 0, 0x64, 0]
        );
        assert_eq!(
            TextEncoding::Utf16Be.encode("cmd"),
            vec![0, 0x63, 0, 0x6d, 0, 0x64]
        );
        assert_eq!(
            TextEncoding::Utf16Bom.encode("cmd"),
            vec![0xFF, 0xFE, 0x63, 0, 0x6d, 0, 0x64, 0]
        );
    }
}
